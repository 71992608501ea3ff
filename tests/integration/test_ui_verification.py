"""核查互动 verification records (seed 001 ch. 7) in the UI, on SQLite and PostgreSQL: the list and its
default (待核查 + 退回核查), 处理 with uploads (PDF only, size limits, several files per type, delete), cost
details with errors next to the field, 提交 through intake (files, then the answer), 核查中 after customs'
receipt, and the refusals: wrong state, another enterprise, bad uploads."""

from __future__ import annotations

import html
import io
import re

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from gateway.db import models as m
from tests.integration.declarant_docs import decide, pdf, receive, record_xml
from tests.integration.ui_world import AGENT, PRINCIPAL, UiWorld, csrf_of

PRODUCT = "PR3501202600000123"
GOOD_COSTS = {
    "p.HSCode": "9617001900", "p.NameCn": "不锈钢真空保温杯", "p.NameEn": "STAINLESS STEEL VACUUM FLASK 500ML",
    "p.Unit": "个", "p.Currency": "CNY", "p.ExWorksPrice": "38.50", "p.FOBPrice": "41.20", "p.ContainsImported": "1",
    "lines": "2",
    "d-1.HSCode": "722020", "d-1.MaterialName": "不锈钢冷轧板", "d-1.OriginCountry": "CHN", "d-1.UnitPrice": "18.60",
    "d-1.Usage": "0.42", "d-1.UsageUnit": "千克", "d-1.OriginatingValue": "7.812", "d-1.NonOriginatingValue": "0",
    "d-2.HSCode": "390210", "d-2.MaterialName": "聚丙烯粒子", "d-2.OriginCountry": "KOR", "d-2.UnitPrice": "12.00",
    "d-2.Usage": "0.085", "d-2.UsageUnit": "千克", "d-2.OriginatingValue": "0", "d-2.NonOriginatingValue": "1.02",
}


def _open_record(world: UiWorld, enterprise_id: str = AGENT.id, record_no: str = "HC3501202600004512",
                 status: str = "PENDING", **kw: str) -> str:
    reg = AGENT.reg_no if enterprise_id == AGENT.id else PRINCIPAL.reg_no
    return receive(world, enterprise_id, "GACC_VERIFICATION_RECORD",
                   record_xml(record_no, status, uscc=enterprise_id, reg_no=reg, **kw))


def _upload(client: FlaskClient, record_id: str, material: str, name: str, content: bytes):  # type: ignore[no-untyped-def]
    """A browser's multipart upload (encoded in memory: the test client's own encoder spools big bodies to a
    temporary file it never closes)."""
    token = csrf_of(client, f"/ui/verifications/{record_id}")
    boundary, body = encode_multipart({"csrf_token": token, "material": material,
                                       "file": FileStorage(io.BytesIO(content), filename=name)})
    return client.post(f"/ui/verifications/{record_id}/files", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _post(client: FlaskClient, path: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/ui/verifications")
    return client.post(path, data={"csrf_token": token, **(data or {})})


def _messages(world: UiWorld, message_type: str) -> list[m.Message]:
    with world.container.store.sessions() as s:
        return list(s.scalars(select(m.Message).where(m.Message.message_type == message_type)
                              .order_by(m.Message.id)))


def _field_error(page: str, rule: str) -> str:
    found = re.search(rf'<span class="field-error" data-rule="{re.escape(rule)}">([^<]*)</span>', page)
    return html.unescape(found.group(1)) if found else ""


def test_the_list_shows_open_records_by_default_and_the_agent_sees_its_principals(ui_world: UiWorld) -> None:
    _open_record(ui_world)
    _open_record(ui_world, PRINCIPAL.id, record_no="HC1100202600000007", status="RETURNED",
                 return_reason="成本明细与发票不符")
    agent = ui_world.client("agent-declarant")
    page = agent.get("/ui/verifications").get_data(as_text=True)
    assert 'data-record-no="HC3501202600004512" data-status="PENDING"' in page and "待核查" in page
    assert 'data-record-no="HC1100202600000007" data-status="RETURNED"' in page and "退回核查" in page
    assert "HC1100202600000007" not in agent.get("/ui/verifications?status=PENDING").get_data(as_text=True)
    assert "HC3501202600004512" not in agent.get("/ui/verifications?record_no=HC1100").get_data(as_text=True)
    assert "HC3501202600004512" in agent.get("/ui/verifications?cert_no=E263501000010023").get_data(as_text=True)
    assert agent.get("/ui/verifications?from=20-11-2026").status_code == 400
    # the principal sees its own record only; an outsider sees nothing
    principal = ui_world.client("principal-declarant").get("/ui/verifications").get_data(as_text=True)
    assert "HC1100202600000007" in principal and "HC3501202600004512" not in principal
    other = ui_world.client("other-declarant").get("/ui/verifications?status=ALL").get_data(as_text=True)
    assert "HC1100202600000007" not in other and "HC3501202600004512" not in other


def test_process_upload_costs_submit_and_customs_receipt_makes_it_in_progress(ui_world: UiWorld) -> None:
    record_id = _open_record(ui_world)
    client = ui_world.client("agent-declarant")
    assert client.get(f"/ui/verifications/{record_id}/process").status_code == 200

    # 提交 before anything is prepared: refused next to the material and the product, nothing sent
    r = _post(client, f"/ui/verifications/{record_id}/submit")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "required material CGFP" in page and "必传附件" in page
    assert "VERIFICATION.COST_DETAILS_REQUIRED" in page and "产品成本明细" in page
    assert _messages(ui_world, "GACC_VERIFICATION_RESPONSE") == [] == _messages(ui_world, "GACC_VERIFICATION_FILE")

    # uploads: two invoices (添加), one of them deleted again and replaced; process, cost sheet for the product
    for material, name in (("CGFP|", "采购发票-1.pdf"), ("CGFP|", "采购发票-2.pdf"), ("CGFP|", "wrong.pdf"),
                           ("SCGY|", "生产工艺流程.pdf"), (f"CBHS|{PRODUCT}", "成本核算表.pdf")):
        r = _upload(client, record_id, material, name, pdf(2, name))
        assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    page = client.get(f"/ui/verifications/{record_id}/process").get_data(as_text=True)
    wrong = re.search(r'data-file="wrong.pdf".*?/files/(\d+)/delete', page, re.S)
    assert wrong, page
    assert _post(client, f"/ui/verifications/{record_id}/files/{wrong.group(1)}/delete").status_code == 303
    page = client.get(f"/ui/verifications/{record_id}/process").get_data(as_text=True)
    assert "wrong.pdf" not in page and "采购发票-1.pdf" in page and "采购发票-2.pdf" in page
    # the same name twice is refused next to the upload
    r = _upload(client, record_id, "SCGY|", "生产工艺流程.pdf", pdf())
    assert r.status_code == 422 and "already attached" in _field_error(r.get_data(as_text=True),
                                                                         "VERIFICATION.ATTACHMENT_NAME_DUPLICATE")

    # cost details: the form is pre-filled from the record; FOB below ex-works is refused next to the field
    form = client.get(f"/ui/verifications/{record_id}/products/1/costs").get_data(as_text=True)
    assert f'value="{PRODUCT}"' in form and 'name="p.HSCode" value="9617001900"' in form
    r = _post(client, f"/ui/verifications/{record_id}/products/1/costs", {**GOOD_COSTS, "p.FOBPrice": "30"})
    error = _field_error(r.get_data(as_text=True), "PRODUCT.FOB_GE_EXWORKS")
    assert r.status_code == 422 and "must not be less than" in error and "单位产品FOB值" in error
    r = _post(client, f"/ui/verifications/{record_id}/products/1/costs", {**GOOD_COSTS, "d-2.NonOriginatingValue": "5"})
    assert r.status_code == 422 and "PRODUCT.LINE_VALUE" in r.get_data(as_text=True)
    r = _post(client, f"/ui/verifications/{record_id}/products/1/costs", {**GOOD_COSTS, "action": "add_line"})
    assert r.status_code == 200 and 'name="d-3.HSCode"' in r.get_data(as_text=True)
    r = _post(client, f"/ui/verifications/{record_id}/products/1/costs", {**GOOD_COSTS, "p.Unit": ""})
    assert r.status_code == 422 and "p.Unit" in r.get_data(as_text=True)  # the XSD's rule, next to the field
    assert _post(client, f"/ui/verifications/{record_id}/products/1/costs", GOOD_COSTS).status_code == 303
    assert "已保存 saved" in client.get(f"/ui/verifications/{record_id}/process").get_data(as_text=True)

    # 提交: four files, then the answer naming them, all through intake
    r = _post(client, f"/ui/verifications/{record_id}/submit")
    assert r.status_code == 303, r.get_data(as_text=True)[:3000]
    files = _messages(ui_world, "GACC_VERIFICATION_FILE")
    responses = _messages(ui_world, "GACC_VERIFICATION_RESPONSE")
    assert len(files) == 4 and len(responses) == 1 and {x.state for x in files + responses} == {"QUEUED"}
    assert max(f.id for f in files) < responses[0].id  # customs gets the files before the answer
    with ui_world.container.store.transaction() as tx:
        raw = tx.payload(responses[0].id, "raw")
    assert raw is not None and b"<RecordNo>HC3501202600004512</RecordNo>" in raw and "采购发票-2.pdf".encode() in raw
    assert b"<NonOrigExWorksPct>2.65</NonOrigExWorksPct>" in raw  # derived, not typed
    detail = client.get(f"/ui/verifications/{record_id}").get_data(as_text=True)
    assert "已提交" in detail and 'data-status="PENDING"' in detail
    # while the answer waits for customs nothing more can be sent
    assert client.get(f"/ui/verifications/{record_id}/process").status_code == 409
    assert _post(client, f"/ui/verifications/{record_id}/submit").status_code == 409
    assert len(_messages(ui_world, "GACC_VERIFICATION_RESPONSE")) == 1

    # customs' receipt: 核查中; no more processing
    decide(ui_world, responses[0].message_id, "APPROVED", "核查中", text="核查记录单接收成功")
    receive(ui_world, AGENT.id, "GACC_VERIFICATION_RECEIPT", _receipt_xml(responses[0].document_no or ""))
    detail = client.get(f"/ui/verifications/{record_id}").get_data(as_text=True)
    assert 'data-status="IN_PROGRESS"' in detail and "核查中" in detail and "核查记录单接收成功" in detail
    assert client.get(f"/ui/verifications/{record_id}/process").status_code == 409
    assert "HC3501202600004512" not in client.get("/ui/verifications").get_data(as_text=True)  # not open any more
    # customs sends it back (退回核查): processable again, the drafts are still there
    _open_record(ui_world, status="RETURNED", return_reason="请补充成本核算说明")
    page = client.get(f"/ui/verifications/{record_id}/process").get_data(as_text=True)
    assert "退回核查" in page and "请补充成本核算说明" in page and "采购发票-1.pdf" in page


def _receipt_xml(document_no: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<VerificationReceipt xmlns="urn:cogateway:gacc:verification:v1">
  <ReceiptId>GACC-HC-0001</ReceiptId><DocumentNo>{document_no}</DocumentNo><RecordNo>HC3501202600004512</RecordNo>
  <StatusCode>IN_PROGRESS</StatusCode><Status>核查中</Status><Text>核查记录单接收成功</Text>
  <IssuedAt>2026-11-23T10:00:00+08:00</IssuedAt>
</VerificationReceipt>""".encode()


def test_a_refused_answer_leaves_the_record_processable(ui_world: UiWorld) -> None:
    record_id = _open_record(ui_world)
    client = ui_world.client("agent-declarant")
    for material, name in (("CGFP|", "a.pdf"), ("SCGY|", "b.pdf"), (f"CBHS|{PRODUCT}", "c.pdf")):
        assert _upload(client, record_id, material, name, pdf()).status_code == 303
    assert _post(client, f"/ui/verifications/{record_id}/products/1/costs", GOOD_COSTS).status_code == 303
    assert _post(client, f"/ui/verifications/{record_id}/submit").status_code == 303
    response = _messages(ui_world, "GACC_VERIFICATION_RESPONSE")[0]
    decide(ui_world, response.message_id, "RETURNED", "审核不通过", reasons=[
        {"rule_id": "AUTH.GACC_VERIFICATION.MATERIAL_MISSING", "path": "/VerificationResponse/AttachmentList",
         "message": "required material QTZL is not attached"}])
    detail = client.get(f"/ui/verifications/{record_id}").get_data(as_text=True)
    assert "海关退回" in detail and "MATERIAL_MISSING" in detail and 'data-status="PENDING"' in detail
    assert client.get(f"/ui/verifications/{record_id}/process").status_code == 200
    # a second 提交 sends a new answer; the files already accepted are not sent twice
    assert _post(client, f"/ui/verifications/{record_id}/submit").status_code == 303
    assert len(_messages(ui_world, "GACC_VERIFICATION_RESPONSE")) == 2
    assert len(_messages(ui_world, "GACC_VERIFICATION_FILE")) == 3


def test_bad_uploads_are_refused_next_to_the_field_and_nothing_is_kept(ui_world: UiWorld) -> None:
    record_id = _open_record(ui_world)
    client = ui_world.client("agent-declarant")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 200
    cases = [
        ("scan.pdf", png, "ATTACHMENT.CONTENT.NOT_PDF", "start with %PDF-"),
        ("invoice.docx", pdf(), "ATTACHMENT.FILE_NAME.NOT_PDF", "PDF files (*.pdf)"),
        ("huge-page.pdf", pdf() + b"%" + b"x" * (310 * 1024) + b"\n", "ATTACHMENT.PDF.PAGE_TOO_LARGE", "per page"),
        ("too-big.pdf", pdf() + b"%" + b"x" * (4 * 1024 * 1024) + b"\n", "XML.too_large", "too large to send"),
    ]
    for name, content, rule, words in cases:
        r = _upload(client, record_id, "CGFP|", name, content)
        page = r.get_data(as_text=True)
        assert r.status_code == 422, (name, r.status_code)
        error = _field_error(page, rule)
        assert words in error and "【" in error, (name, page[:3000])  # English, with the manual's field name
    # bigger than a request may be at all: refused before it is read
    token = csrf_of(client, f"/ui/verifications/{record_id}")
    r = client.post(f"/ui/verifications/{record_id}/files", data=b"x" * (6 * 1024 * 1024),
                    content_type="multipart/form-data; boundary=b", headers={"X-CSRF-Token": token})
    assert r.status_code == 413
    r = _upload(client, record_id, "NOPE|", "a.pdf", pdf())
    assert r.status_code == 400 and "is not a material" in r.get_data(as_text=True)
    assert "<div class=\"file\"" not in client.get(f"/ui/verifications/{record_id}/process").get_data(as_text=True)
    assert ui_world.container.verification_drafts.files(AGENT.id, "HC3501202600004512") == []


def test_another_enterprise_and_a_wrong_state_are_refused(ui_world: UiWorld) -> None:
    record_id = _open_record(ui_world)
    owner = ui_world.client("agent-declarant")
    assert _upload(owner, record_id, "CGFP|", "a.pdf", pdf()).status_code == 303
    file_id = ui_world.container.verification_drafts.files(AGENT.id, "HC3501202600004512")[0]["id"]
    for username in ("other-declarant", "principal-declarant"):  # an outsider; the principal of the agent
        client = ui_world.client(username)
        assert client.get(f"/ui/verifications/{record_id}").status_code == 404
        assert client.get(f"/ui/verifications/{record_id}/process").status_code == 404
        assert client.get(f"/ui/verifications/{record_id}/products/1/costs").status_code == 404
        assert _upload(client, record_id, "CGFP|", "x.pdf", pdf()).status_code == 404
        assert _post(client, f"/ui/verifications/{record_id}/files/{file_id}/delete").status_code == 404
        assert _post(client, f"/ui/verifications/{record_id}/submit").status_code == 404
    assert len(ui_world.container.verification_drafts.files(AGENT.id, "HC3501202600004512")) == 1
    assert _messages(ui_world, "GACC_VERIFICATION_RESPONSE") == []
    # an engineer is not a declarant
    assert ui_world.client("agent-engineer").get("/ui/verifications").status_code == 403
    # a record customs put in 核查中 cannot be processed
    in_progress = receive(ui_world, AGENT.id, "GACC_VERIFICATION_RECEIPT", _receipt_xml("ERP-HC-1"))
    assert in_progress
    assert owner.get(f"/ui/verifications/{record_id}/process").status_code == 409
    r = _post(owner, f"/ui/verifications/{record_id}/submit")
    assert r.status_code == 409 and "only a record 待核查" in r.get_data(as_text=True)
    assert _upload(owner, record_id, "CGFP|", "b.pdf", pdf()).status_code == 409
    # no CSRF token: refused
    assert owner.post(f"/ui/verifications/{record_id}/submit").status_code == 400
