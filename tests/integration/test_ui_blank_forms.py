"""空白证单 blank certificate forms (seed 001 ch. 8) in the UI, on SQLite and PostgreSQL: the approved
certificates, the write-off window (新增, 未使用的空白证单, 返填 by 核销页数, 核销, 作废, 刷新), the query with the
manual's conditions and the per-form receipts, and the refusals (used or unknown serials, wrong state,
another enterprise)."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.db import models as m
from tests.integration.declarant_docs import FAMILIES, approve, decide, receive
from tests.integration.ui_world import AGENT, PRINCIPAL, UiWorld, csrf_of

ALLOCATION = (FAMILIES / "gacc_blankform" / "inbound_allocation.xml").read_bytes()  # E 2600012001-100, C 2600500001-50


def _post(client: FlaskClient, path: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_of(client, "/ui/blank-forms"), **data})


def _ops(world: UiWorld, message_type: str) -> list[m.Message]:
    with world.container.store.sessions() as s:
        return list(s.scalars(select(m.Message).where(m.Message.message_type == message_type).order_by(m.Message.id)))


def _raw(world: UiWorld, msg: m.Message) -> bytes:
    with world.container.store.transaction() as tx:
        raw = tx.payload(msg.id, "raw")
    assert raw is not None
    return raw


def _errors(page: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'<span class="field-error" data-rule="[^"]+">([^<]*)</span>', page)]


def _form_receipt(serial: str, cert_no: str, document_no: str, code: str = "WRITTEN_OFF") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<BlankFormReceipt xmlns="urn:cogateway:gacc:blankform:v1">
  <ReceiptId>R-BF-{serial}</ReceiptId><DocumentNo>{document_no}</DocumentNo><FormType>E</FormType>
  <Serial>{serial}</Serial><CertNo>{cert_no}</CertNo><StatusCode>{code}</StatusCode><Status>核销成功</Status>
  <Text>空白证单 {serial} 核销成功</Text><IssuedAt>2026-11-23T09:15:00+08:00</IssuedAt>
</BlankFormReceipt>""".encode()


def test_fill_by_pages_write_off_receipts_and_void(ui_world: UiWorld) -> None:
    cert_no = approve(ui_world, ui_world.agent_msg)
    receive(ui_world, AGENT.id, "BLANK_FORM_ALLOCATION", ALLOCATION)
    client = ui_world.client("agent-declarant")
    page = client.get("/ui/blank-forms/write-off").get_data(as_text=True)
    assert f'data-cert-no="{cert_no}"' in page
    assert cert_no not in client.get("/ui/blank-forms/write-off?cert_type=C").get_data(as_text=True)
    window = f"/ui/blank-forms/write-off/{ui_world.agent_msg}"
    page = client.get(window).get_data(as_text=True)
    assert 'value="2600012001"' in page and "返填出口商流水号" in page and "2600500001" not in page  # E forms only

    # 返填出口商流水号: three pages fill the three lowest unused serials, ticked
    r = _post(client, window, {"action": "fill", "pages": "3"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert re.findall(r'name="serial" value="(\d+)"', page) == ["2600012001", "2600012002", "2600012003"]
    assert len(re.findall(r'name="pick" value="\d" aria-label="pick \d" checked', page)) == 3
    r = _post(client, window, {"action": "write_off", "pages": "3", "pick": ["1", "2", "3"],
                               "serial": ["2600012001", "2600012002", "2600012003"]})
    assert r.status_code == 303, r.get_data(as_text=True)[:3000]
    assert "核销提交成功" in client.get(window).get_data(as_text=True)
    op = _ops(ui_world, "BLANK_FORM_WRITEOFF")[0]
    raw = _raw(ui_world, op)
    assert op.state == "QUEUED" and b"<PageCount>3</PageCount>" in raw and b"<Serial>2600012003</Serial>" in raw
    assert f"<CertNo>{cert_no}</CertNo>".encode() in raw and b"<ApplyMode>SELF</ApplyMode>" in raw
    # 刷新: the forms of the certificate are 已提交; the query shows them only when asked for that state
    page = client.get(window).get_data(as_text=True)
    assert page.count('data-status="SUBMITTED"') == 3 and 'value="2600012001"' not in page
    assert "2600012001" not in client.get("/ui/blank-forms").get_data(as_text=True)
    assert 'data-serial="2600012001" data-status="SUBMITTED"' in client.get(
        "/ui/blank-forms?status=SUBMITTED").get_data(as_text=True)

    # customs approves, and sends a receipt per form (空白证单回执)
    decide(ui_world, op.message_id, "APPROVED", "核销成功", text="核销成功 2600012001, 2600012002, 2600012003")
    for serial in ("2600012001", "2600012002", "2600012003"):
        receive(ui_world, AGENT.id, "BLANK_FORM_RECEIPT", _form_receipt(serial, cert_no, op.document_no or ""))
    page = client.get("/ui/blank-forms").get_data(as_text=True)  # default: 自理, written off or voided
    assert page.count('data-status="WRITTEN_OFF"') == 3 and cert_no in page
    assert "2600012001" not in client.get("/ui/blank-forms?serial=26000121").get_data(as_text=True)
    assert "2600012002" in client.get(f"/ui/blank-forms?cert_no={cert_no}&form_type=E").get_data(as_text=True)
    assert "2600012002" not in client.get("/ui/blank-forms?apply_mode=AGENT").get_data(as_text=True)
    assert "2600012002" not in client.get("/ui/blank-forms?from=2026-03-03").get_data(as_text=True)  # 领用 03-02
    assert "2600012002" in client.get("/ui/blank-forms?from=2026-03-02&to=2026-03-02").get_data(as_text=True)
    assert client.get("/ui/blank-forms?from=2.3.2026").status_code == 400
    receipts = client.get(f"/ui/blank-forms/operations/{op.message_id}").get_data(as_text=True)
    row = re.search(r'<tr id="s-2600012002".*?</tr>', receipts, re.S)
    assert 'data-outcome="ACCEPTED"' in receipts and row and "空白证单 2600012002 核销成功" in row.group(0)
    assert "2600012003 核销成功" not in row.group(0) and receipts.count('<tr id="s-') == 3  # each form its own

    # 未使用的空白证单: search, pick, 作废 with a reason
    r = _post(client, window, {"action": "search", "q": "26000120"})
    unused = re.findall(r'name="unused" value="(\d+)"', r.get_data(as_text=True))
    assert unused[0] == "2600012004" and all(s.startswith("26000120") for s in unused)
    r = _post(client, window, {"action": "choose", "unused": ["2600012005"], "serial": []})
    assert re.findall(r'name="serial" value="(\d+)"', r.get_data(as_text=True)) == ["2600012005"]
    r = _post(client, window, {"action": "void", "pick": ["1"], "serial": ["2600012005"], "reason": ""})
    assert r.status_code == 422 and any("VoidReason" in e or "作废原因" in e for e in _errors(r.get_data(as_text=True)))
    r = _post(client, window, {"action": "void", "pick": ["1"], "serial": ["2600012005"], "reason": "打印错位"})
    assert r.status_code == 303
    rejected, void = _ops(ui_world, "BLANK_FORM_VOID")  # the first, without a reason, is kept as rejected input
    assert rejected.state == "REJECTED" and void.state == "QUEUED"
    assert b"<VoidReason>" in _raw(ui_world, void) and b"<Serial>2600012005</Serial>" in _raw(ui_world, void)
    # a refused operation leaves the form as it was, and says so
    decide(ui_world, void.message_id, "RETURNED", "审核不通过", reasons=[
        {"rule_id": "AUTH.GACC_BLANKFORM.SERIAL_USED", "path": "/BlankFormVoid/SerialList/Serial[1]", "message": "x"}])
    page = client.get("/ui/blank-forms?status=UNUSED&serial=2600012005").get_data(as_text=True)
    assert 'data-serial="2600012005" data-status="UNUSED"' in page and "海关退回" in page


def test_refusals_next_to_the_row_and_the_page_count(ui_world: UiWorld) -> None:
    approve(ui_world, ui_world.agent_msg)
    receive(ui_world, AGENT.id, "BLANK_FORM_ALLOCATION", ALLOCATION)
    client = ui_world.client("agent-declarant")
    window = f"/ui/blank-forms/write-off/{ui_world.agent_msg}"
    assert _post(client, window, {"action": "write_off", "pick": ["1"], "serial": ["2600012010"]}).status_code == 303
    cases = [
        ({"pick": ["1"], "serial": ["2600012010"]}, "is 已提交"),  # already in a write-off
        ({"pick": ["1"], "serial": ["2600099999"]}, "is not a E blank form"),
        ({"pick": ["1"], "serial": ["2600500001"]}, "is not a E blank form"),  # a C form for an E certificate
        ({"pick": ["1"], "serial": ["12345"]}, "match any pattern"),  # the XSD: 10 digits
        ({"serial": ["2600012011"]}, "tick (勾选)"),
        ({"pick": ["1"], "serial": ["2600012011"], "pages": "2"}, "PageCount 2 differs"),
    ]
    for data, words in cases:
        r = _post(client, window, {"action": "write_off", **data})
        page = html.unescape(r.get_data(as_text=True))
        assert r.status_code == 422 and words in page, (data, page[-3000:])
        if "pick" in data:  # next to the row or the page count, with the manual's field name
            assert any(words in e and ("【空白证单流水号】" in e or "【核销页数】" in e) for e in _errors(page)), data
    r = _post(client, window, {"action": "fill", "pages": "1000"})
    assert r.status_code == 422 and any("unused blank form(s) left" in e for e in _errors(r.get_data(as_text=True)))
    r = _post(client, window, {"action": "fill", "pages": "x"})
    assert r.status_code == 422 and any("核销页数" in e for e in _errors(r.get_data(as_text=True)))
    # the first, and the two refused by the XSD and the page-count rule, kept as rejected input
    assert len(_ops(ui_world, "BLANK_FORM_WRITEOFF")) == 3
    assert [x.state for x in _ops(ui_world, "BLANK_FORM_WRITEOFF")].count("QUEUED") == 1


def test_agent_fills_from_its_agent_pool_and_others_are_refused(ui_world: UiWorld) -> None:
    cert_no = approve(ui_world, ui_world.principal_msg)  # a C certificate of the principal, seen by its agent
    receive(ui_world, PRINCIPAL.id, "BLANK_FORM_ALLOCATION", ALLOCATION.replace(b"<ApplyMode>SELF", b"<ApplyMode>AGENT")
            .replace(b"350100001", PRINCIPAL.reg_no.encode()))
    window = f"/ui/blank-forms/write-off/{ui_world.principal_msg}"
    agent = ui_world.client("agent-declarant")
    r = _post(agent, window, {"action": "fill", "pages": "2"})
    page = r.get_data(as_text=True)
    assert "返填代理企业流水号" in page and re.findall(r'name="serial" value="(\d+)"', page) == ["2600500001",
                                                                                          "2600500002"]
    assert _post(agent, window, {"action": "write_off", "pick": ["1", "2"], "pages": "2",
                                 "serial": ["2600500001", "2600500002"]}).status_code == 303
    op = _ops(ui_world, "BLANK_FORM_WRITEOFF")[0]
    assert op.enterprise_id == PRINCIPAL.id and b"<ApplyMode>AGENT</ApplyMode>" in _raw(ui_world, op)
    assert f"<CertNo>{cert_no}</CertNo>".encode() in _raw(ui_world, op)
    # the principal itself has no 自理 forms of that pool; an outsider and the principal see nothing of the agent's
    for username in ("other-declarant",):
        other = ui_world.client(username)
        assert other.get(window).status_code == 404
        assert _post(other, window, {"action": "fill", "pages": "1"}).status_code == 404
        assert other.get(f"/ui/blank-forms/operations/{op.message_id}").status_code == 404
        assert "2600500001" not in other.get("/ui/blank-forms?status=ANY&apply_mode=").get_data(as_text=True)
    principal = ui_world.client("principal-declarant")
    assert principal.get(f"/ui/blank-forms/write-off/{ui_world.agent_msg}").status_code == 404
    # a certificate that is not approved has no write-off window
    r = agent.get(f"/ui/blank-forms/write-off/{ui_world.agent_msg}")
    assert r.status_code == 409 and "approved (审核通过)" in r.get_data(as_text=True)
    assert len(_ops(ui_world, "BLANK_FORM_WRITEOFF")) == 1
