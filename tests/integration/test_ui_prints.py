"""The printing pages (seed 001 ch. 4-5, seed 003 part 2) through the Flask test client on a real
database: print buttons and their reasons, downloads, 归档, 打印异常, batch download, 印章及签名管理,
印章签名授权 and 代理打印授权, each with its refusals and tenant isolation."""

from __future__ import annotations

import base64
import io
import itertools
import re
import struct
import zipfile
import zlib
from typing import Any

from flask.testing import FlaskClient
from lxml import etree
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from gateway.demo import sample_bytes
from gateway.domain.self_print import IMAGE_MAX_BYTES, REASON_TEXT
from gateway.services.enterprises import register_enterprise
from gateway.services.intake import accept_message
from gateway.services.people import add_principal, add_user
from gateway.services.ports import EnterpriseInfo, NewMessage
from messages import envelope
from tests.integration.ui_world import AGENT, OTHER, PASSWORD, PRINCIPAL, UiWorld, _with_reg, csrf_of
from tests.pdftools import images, pages, text

NOTICE = b"""<?xml version="1.0" encoding="UTF-8"?>
<PrintLayoutNotice xmlns="urn:cogateway:gacc:selfprint:v1"><NoticeId>N</NoticeId><CertNo>C</CertNo>
<IssueDate>2026-03-10</IssueDate><LayoutStatus>RECEIVED</LayoutStatus><IssuedAt>2026-03-10T16:20:00+08:00</IssuedAt>
</PrintLayoutNotice>"""
_NOTICES = itertools.count(0xA000)
SEAL_FIELDS = {"holder_name": "王法人", "name": "产地证印章", "seal_type": "COMPANY", "shape": "ROUND",
               "width_mm": "42", "height_mm": "42", "valid_from": "2020-01-01", "valid_to": "2099-12-31", "remark": ""}
SIGNATURE_FIELDS = {"holder_name": "张三", "name": "张三签名", "holder_id_no": "11010519491231002X", "width_mm": "35",
                    "height_mm": "21", "remark": ""}


def image(fmt: str, width: int = 420, height: int = 420) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 20, 20)).save(out, fmt)
    return out.getvalue()


def corrupt_png() -> bytes:
    """A PNG whose header (and size) is right but whose pixel data is not a zlib stream."""
    header = b"\x89PNG\r\n\x1a\n"
    ihdr = struct.pack(">IIBBBBB", 420, 420, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return header + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"not zlib at all" * 10) + chunk(b"IEND", b"")


def push_c(world: UiWorld, ent: EnterpriseInfo, serial: int, doc_no: str) -> tuple[str, str]:
    """A general certificate (C, one of the 15 self-print types) of ``ent``: (message id, cert no)."""
    raw = _with_reg(sample_bytes("general_co_approved.xml"), ent, doc_no).replace(
        b"0001</CertNo>", f"{serial:04d}</CertNo>".encode())
    c = world.container
    r = accept_message(c.store, c.validator, c.clock, enterprise_id=ent.id, raw=raw, actor="api")
    assert r.outcome == "accepted" and r.message_id, r
    cert_no = etree.fromstring(raw).findtext("{*}CertificateHead/{*}CertNo")
    assert cert_no
    return r.message_id, cert_no


def layout_from_customs(world: UiWorld, ent: EnterpriseInfo, cert_no: str) -> None:
    """A PrintLayoutNotice stored the way receipt ingestion stores what customs sends on its own."""
    c = world.container
    body = etree.fromstring(NOTICE)
    body.find("{*}CertNo").text = cert_no  # type: ignore[union-attr]
    message_id = f"{next(_NOTICES):032x}"
    body.find("{*}NoticeId").text = f"LAYOUT-{message_id}"  # type: ignore[union-attr]
    head = envelope.EnvelopeHead(message_id=message_id, message_type="PRINT_LAYOUT_NOTICE", sender_id="GACC",
                                 receiver_id=ent.id, send_time=c.clock.now())
    with c.store.transaction() as tx:
        tx.create_message(NewMessage(message_id=message_id, enterprise_id=ent.id, family="gacc_selfprint",
                                     message_type="PRINT_LAYOUT_NOTICE", direction="inbound", authority="GACC",
                                     state="DONE", document_no=None, idempotency_key=None, raw_sha256="0" * 64,
                                     next_attempt_at=None),
                          raw=envelope.to_bytes(envelope.wrap(head, body)), history=[(None, "DONE", "test")],
                          actor="test")


def page(client: FlaskClient, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return r.get_data(as_text=True)


def token(client: FlaskClient) -> str:
    return csrf_of(client, "/ui/certificates")


def print_pdf(client: FlaskClient, message_id: str, kind: str, **extra: str) -> Any:
    return client.post(f"/ui/certificates/{message_id}/print", data={"csrf_token": token(client), "kind": kind,
                                                                       **extra})


def flashed(client: FlaskClient, path: str) -> str:
    """The page after a redirect: its flash messages, unescaped."""
    html = page(client, path)
    return " ".join(re.sub(r"<[^>]+>", "", m).replace("&#39;", "'").replace("&gt;", ">")
                    for m in re.findall(r'<div class="flash[^"]*" role="status">(.*?)</div>', html, re.S))


def state_of(world: UiWorld, ent: EnterpriseInfo, cert_no: str) -> dict[str, Any]:
    from gateway.services import printing

    return printing.print_view(world.container.self_print, ent.id, cert_no)


def upload(client: FlaskClient, collection: str, fields: dict[str, str], data: bytes, name: str = "scan.png") -> Any:
    # encoded in memory: the test client would spool a large body to a temporary file it never closes
    boundary, body = encode_multipart({**fields, "csrf_token": csrf_of(client, f"/ui/{collection}"),
                                       "image": FileStorage(io.BytesIO(data), filename=name)})
    return client.post(f"/ui/{collection}", content_type=f"multipart/form-data; boundary={boundary}", data=body)


def ready_defaults(world: UiWorld, admin: FlaskClient) -> tuple[int, int]:
    """The admin makes a seal and a signature through the pages and sets both as the default."""
    assert upload(admin, "seals", SEAL_FIELDS, image("PNG")).status_code == 303
    assert upload(admin, "signatures", SIGNATURE_FIELDS, image("JPEG", 350, 210), "sig.jpg").status_code == 303
    ids = []
    for collection in ("seals", "signatures"):
        stamp_id = int(re.findall(r'data-stamp-id="(\d+)"', page(admin, f"/ui/{collection}"))[-1])
        r = admin.post(f"/ui/{collection}/{stamp_id}", data={"csrf_token": token(admin), "op": "default"})
        assert r.status_code == 303
        ids.append(stamp_id)
    return ids[0], ids[1]


# --- the certificate page -----------------------------------------------------------------------------


def test_certificate_page_offers_each_print_and_says_why_the_original_is_not_possible(ui_world: UiWorld) -> None:
    msg, _ = push_c(ui_world, AGENT, 1, "AG-C1")
    client = ui_world.client("agent-declarant")
    html = page(client, f"/ui/certificates/{msg}")
    for kind in ("certificate", "application", "invoice", "slip", "copy"):
        assert re.search(rf'id="print-{kind}"(?![^>]*disabled)', html), kind
    assert re.search(r'id="print-original"[^>]*disabled', html)
    assert 'data-rule="PRINT.LAYOUT_NOT_RECEIVED"' in html and "版式接收状态" in html
    assert 'id="print-status" data-status="PENDING"' in html and "待打印" in html
    assert re.search(r'id="print-archive"[^>]*disabled', html)
    assert 'id="why-print-exception" data-rule="PRINTEXC.NOT_PRINTED"' in html

    form_e = page(client, f"/ui/certificates/{ui_world.agent_msg}")  # E: not one of the 15 self-print types
    for kind in ("original", "copy"):
        assert re.search(rf'id="print-{kind}"[^>]*disabled', form_e)
    assert 'data-rule="PRINT.TYPE_NOT_ELIGIBLE"' in form_e and not re.search(r'id="print-certificate"[^>]*disabled',
                                                                            form_e)


def test_plain_prints_and_a_copy_download_as_pdfs_of_that_certificate(ui_world: UiWorld) -> None:
    msg, cert_no = push_c(ui_world, AGENT, 1, "AG-C1")
    client = ui_world.client("agent-declarant")
    for kind in ("certificate", "application", "invoice", "slip"):
        r = print_pdf(client, msg, kind)
        assert r.status_code == 200 and r.mimetype == "application/pdf", kind
        assert r.headers["Content-Disposition"] == f'attachment; filename="{cert_no}-{kind}.pdf"'
        assert cert_no in text(r.data)
    copy = print_pdf(client, msg, "copy")
    assert copy.status_code == 200 and "COPY" in text(copy.data) and "ORIGINAL" not in text(copy.data)
    assert state_of(ui_world, AGENT, cert_no)["copies"] == 1
    no_token = client.post(f"/ui/certificates/{msg}/print", data={"kind": "certificate"})
    assert no_token.status_code == 400
    bad = print_pdf(client, msg, "poster")
    assert bad.status_code == 303 and "PRINT.KIND" in flashed(client, f"/ui/certificates/{msg}")


def test_original_refused_before_the_layout_then_printed_once_with_the_default_seal(ui_world: UiWorld) -> None:
    msg, cert_no = push_c(ui_world, AGENT, 1, "AG-C1")
    client, admin = ui_world.client("agent-declarant"), ui_world.client("agent-admin")
    early = print_pdf(client, msg, "original")
    assert early.status_code == 303 and early.headers["Location"].endswith(f"/ui/certificates/{msg}")
    assert "PRINT.LAYOUT_NOT_RECEIVED" in flashed(client, f"/ui/certificates/{msg}")
    layout_from_customs(ui_world, AGENT, cert_no)
    assert "PRINT.NO_DEFAULT_SEAL" in page(client, f"/ui/certificates/{msg}")  # the reason moves on
    ready_defaults(ui_world, admin)
    html = page(client, f"/ui/certificates/{msg}")
    assert re.search(r'id="print-original"(?![^>]*disabled)', html) and "接收成功" in html

    original = print_pdf(client, msg, "original")
    assert original.status_code == 200 and original.headers["Cache-Control"] == "no-store"
    assert "ORIGINAL" in text(original.data) and cert_no in text(original.data) and len(images(original.data)) == 2
    state = state_of(ui_world, AGENT, cert_no)
    assert (state["print_status"], state["originals"]) == ("PRINTED", 1)
    assert state["events"][-1]["actor"] == "ui:agent-declarant"
    again = print_pdf(client, msg, "original")
    assert again.status_code == 303 and "PRINT.NOT_PENDING" in flashed(client, f"/ui/certificates/{msg}")
    assert state_of(ui_world, AGENT, cert_no)["originals"] == 1


def test_archive_only_after_printing_and_then_copies_only(ui_world: UiWorld) -> None:
    msg, cert_no = push_c(ui_world, AGENT, 1, "AG-C1")
    client = ui_world.client("agent-admin")
    layout_from_customs(ui_world, AGENT, cert_no)
    ready_defaults(ui_world, client)
    archive = f"/ui/certificates/{msg}/print-archive"
    refused = client.post(archive, data={"csrf_token": token(client)})
    assert refused.status_code == 303 and "PRINT.ARCHIVE" in flashed(client, f"/ui/certificates/{msg}")
    assert print_pdf(client, msg, "original").status_code == 200
    assert client.post(archive, data={"csrf_token": token(client)}).status_code == 303
    html = page(client, f"/ui/certificates/{msg}")
    assert 'data-status="ARCHIVED"' in html and "已归档" in html and 'data-rule="PRINT.ARCHIVED"' in html
    assert print_pdf(client, msg, "original").status_code == 303
    assert "PRINT.ARCHIVED" in flashed(client, f"/ui/certificates/{msg}")
    assert print_pdf(client, msg, "copy").status_code == 200


def test_print_exception_form_reprints_or_waits_for_a_new_layout(ui_world: UiWorld) -> None:
    msg, cert_no = push_c(ui_world, AGENT, 1, "AG-C1")
    client = ui_world.client("agent-admin")
    path = f"/ui/certificates/{msg}/print-exceptions"
    not_printed = client.post(path, data={"csrf_token": token(client), "reason": "PAPER_JAM"})
    assert not_printed.status_code == 303 and "PRINTEXC.NOT_PRINTED" in flashed(client, f"/ui/certificates/{msg}")
    layout_from_customs(ui_world, AGENT, cert_no)
    ready_defaults(ui_world, client)
    assert print_pdf(client, msg, "original").status_code == 200
    html = page(client, f"/ui/certificates/{msg}")
    for reason in REASON_TEXT.values():  # the manual's seven reasons
        assert reason in html

    jam = client.post(path, data={"csrf_token": token(client), "reason": "PAPER_JAM"})
    assert jam.status_code == 303
    assert "can be printed again now" in flashed(client, f"/ui/certificates/{msg}")
    state = state_of(ui_world, AGENT, cert_no)
    assert state["print_status"] == "PENDING" and state["exceptions"][0]["reason"] == "PAPER_JAM"
    sent = ui_world.app.test_client().get(f"/api/v1/messages/{state['exceptions'][0]['message_id']}",
                                          headers={"Authorization": f"Bearer {ui_world.keys[AGENT.id]}"}).get_json()
    assert sent["message_type"] == "PRINT_EXCEPTION_REQUEST" and sent["state"] == "QUEUED"
    assert print_pdf(client, msg, "original").status_code == 200  # reprinted at once

    no_detail = client.post(path, data={"csrf_token": token(client), "reason": "CONTENT_WRONG", "detail": " "})
    assert no_detail.status_code == 303 and "PRINTEXC.DETAIL_REQUIRED" in flashed(client, f"/ui/certificates/{msg}")
    wrong = client.post(path, data={"csrf_token": token(client), "reason": "CONTENT_WRONG", "detail": "货物描述有误"})
    assert wrong.status_code == 303 and "waits for it" in flashed(client, f"/ui/certificates/{msg}")
    assert state_of(ui_world, AGENT, cert_no)["layout_status"] == "RECEIVING"
    assert "PRINT.LAYOUT_NOT_RECEIVED" in page(client, f"/ui/certificates/{msg}")


# --- the certificate query and batch download ---------------------------------------------------------


def test_query_list_shows_print_state_and_buttons_with_reasons(ui_world: UiWorld) -> None:
    msg, cert_no = push_c(ui_world, AGENT, 1, "AG-C1")
    client = ui_world.client("agent-declarant")
    html = page(client, "/ui/certificates")
    row = re.search(rf'<tr data-message-id="{msg}".*?</tr>', html, re.S)
    assert row is not None
    cell = row.group(0)
    assert 'data-print-status="PENDING"' in cell and "待打印" in cell
    assert re.search(r'data-kind="original"[^>]*disabled title="PRINT.LAYOUT_NOT_RECEIVED', cell)
    assert re.search(r'data-kind="copy"(?![^>]*disabled)', cell)
    assert f'formaction="/ui/certificates/{msg}/print?from=list"' in cell
    assert 'id="batch-print-button"' in html
    refused = client.post(f"/ui/certificates/{msg}/print?from=list", data={"csrf_token": token(client),
                                                                           "kind": "original"})
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/ui/certificates")
    assert cert_no in flashed(client, "/ui/certificates")


def test_batch_download_of_ticked_certificates_as_one_pdf_or_a_zip(ui_world: UiWorld) -> None:
    first, c1 = push_c(ui_world, AGENT, 1, "AG-C1")
    second, c2 = push_c(ui_world, PRINCIPAL, 2, "PR-C2")  # the agent sees its principal's certificates too
    client = ui_world.client("agent-declarant")

    def batch(ids: list[str], kind: str, fmt: str) -> Any:
        return client.post("/ui/prints/batch", data={"csrf_token": token(client), "message_id": ids,
                                                     "print_kind": kind, "print_format": fmt})

    merged = batch([first, second], "certificate", "pdf")
    assert merged.status_code == 200 and merged.mimetype == "application/pdf"
    assert pages(merged.data) == 2 and c1 in text(merged.data, first=1, last=1) and c2 in text(merged.data, first=2)
    zipped = batch([first, second], "copy", "zip")
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as z:
        assert z.namelist() == [f"{c1}-copy.pdf", f"{c2}-copy.pdf"]
        assert "COPY" in text(z.read(f"{c1}-copy.pdf"))

    layout_from_customs(ui_world, AGENT, c1)
    ready_defaults(ui_world, ui_world.client("agent-admin"))
    refused = batch([first, second], "original", "pdf")  # c2 has no layout: nothing is printed
    assert refused.status_code == 303 and "PRINT.LAYOUT_NOT_RECEIVED" in flashed(client, "/ui/certificates")
    assert state_of(ui_world, AGENT, c1)["print_status"] == "PENDING"
    outsider = batch([first, ui_world.other_msg], "certificate", "pdf")
    assert outsider.status_code == 404
    assert batch([], "certificate", "pdf").status_code == 303
    assert "select at least one" in flashed(client, "/ui/certificates")


#: A second principal of the agent, with a USCC whose check characters are right (customs checks them on
#: the 代理打印授权 it sends; the world's PRINCIPAL has a made-up one).
EXPORTER = EnterpriseInfo("91350200MA2Y3K8L5M", "Xiamen Exporter Co", "350200001")


def test_an_agent_prints_a_principals_original_only_with_its_agent_print_authorisation(ui_world: UiWorld) -> None:
    c = ui_world.container
    register_enterprise(c.store, EXPORTER)
    add_principal(c.store, agent_id=AGENT.id, principal_id=EXPORTER.id)
    add_user(c.store, enterprise_id=EXPORTER.id, username="exporter-admin", password=PASSWORD, role="admin")
    msg, cert_no = push_c(ui_world, EXPORTER, 1, "EX-C1")
    principal_admin, agent = ui_world.client("exporter-admin"), ui_world.client("agent-declarant")
    layout_from_customs(ui_world, EXPORTER, cert_no)
    ready_defaults(ui_world, principal_admin)
    html = page(agent, f"/ui/certificates/{msg}")
    assert 'id="why-original" data-rule="PRINT.AGENT_NOT_AUTHORISED"' in html
    assert print_pdf(agent, msg, "original").status_code == 303
    grant = principal_admin.post("/ui/agent-print-authorisations", data={
        "csrf_token": csrf_of(principal_admin, "/ui/agent-print-authorisations"), "agent_org_code": AGENT.id[8:17],
        "agent_name": AGENT.name, "authorised": "1"})
    assert grant.status_code == 303
    listed = page(principal_admin, "/ui/agent-print-authorisations")
    assert f'data-org-code="{AGENT.id[8:17]}"' in listed and "AGENT_PRINT_AUTHORISATION" not in listed
    original = print_pdf(agent, msg, "original")
    assert original.status_code == 200 and "ORIGINAL" in text(original.data)
    assert state_of(ui_world, EXPORTER, cert_no)["events"][-1]["actor"] == "ui:agent-declarant"


# --- seals and signatures -------------------------------------------------------------------------------


def test_seal_upload_refuses_non_images_oversize_undecodable_and_out_of_size_seals(ui_world: UiWorld) -> None:
    admin = ui_world.client("agent-admin")
    cases = [
        (b"GIF89a" + b"\0" * 200, "STAMP.IMAGE_FORMAT", SEAL_FIELDS),
        (b"\xff\xd8" + b"\0" * IMAGE_MAX_BYTES, "STAMP.IMAGE_SIZE", SEAL_FIELDS),
        (corrupt_png(), "STAMP.IMAGE_DECODE", SEAL_FIELDS),
        (image("PNG"), "SEAL.SIZE_ROUND", {**SEAL_FIELDS, "width_mm": "46", "height_mm": "46"}),
        (image("PNG"), "STAMP.NAME_LENGTH", {**SEAL_FIELDS, "name": "印" * 26}),
    ]
    for data, rule, fields in cases:
        r = upload(admin, "seals", fields, data)
        html = r.get_data(as_text=True)
        assert r.status_code == 422, rule
        assert re.search(rf'<span class="field-error" data-rule="{re.escape(rule)}">', html), (rule, html[-3000:])
        assert f'value="{fields["name"]}"' in html  # what was typed stays in the form
    assert 'field-error" data-rule="STAMP.IMAGE_FORMAT">STAMP.IMAGE_FORMAT: the image must be a JPG/JPEG scan (or a ' \
           'PNG) 【印章图片】' in upload(admin, "seals", SEAL_FIELDS, b"not an image").get_data(as_text=True)
    bad_id = upload(admin, "signatures", {**SIGNATURE_FIELDS, "holder_id_no": "110105194912310021"}, image("JPEG"))
    assert bad_id.status_code == 422 and 'data-rule="SIGNATURE.ID_NUMBER_CHECK"' in bad_id.get_data(as_text=True)
    with ui_world.container.print_store.transaction() as tx:
        assert tx.stamps(AGENT.id) == []  # nothing refused was kept


def test_seal_lifecycle_enable_disable_default_and_delete_only_when_disabled(ui_world: UiWorld) -> None:
    admin = ui_world.client("agent-admin")
    assert upload(admin, "seals", SEAL_FIELDS, image("JPEG"), "seal.jpg").status_code == 303
    html = page(admin, "/ui/seals")
    seal_id = int(re.findall(r'data-stamp-id="(\d+)"', html)[0])
    assert 'data-enabled="true"' in html and "产地证印章" in html and "公司章" in html
    img = admin.get(f"/ui/seals/{seal_id}/image")
    assert img.status_code == 200 and img.mimetype == "image/jpeg" and img.data.startswith(b"\xff\xd8")

    def act(op: str) -> str:
        r = admin.post(f"/ui/seals/{seal_id}", data={"csrf_token": token(admin), "op": op})
        assert r.status_code == 303
        return flashed(admin, "/ui/seals")

    refused = act("delete")
    assert "STAMP.DELETE_ENABLED" in refused and "使用状态" in refused
    assert re.search(r'name="op" value="delete"[^>]*disabled', page(admin, "/ui/seals"))
    act("disable")
    assert "STAMP.DEFAULT_DISABLED" in act("default")
    act("delete")
    assert 'data-stamp-id=' not in page(admin, "/ui/seals")
    assert admin.get(f"/ui/signatures/{seal_id}/image").status_code == 404  # a seal is not a signature


def test_seal_pages_are_the_admins_and_their_own_enterprises_only(ui_world: UiWorld) -> None:
    owner = ui_world.client("agent-admin")
    assert upload(owner, "seals", SEAL_FIELDS, image("PNG")).status_code == 303
    seal_id = int(re.findall(r'data-stamp-id="(\d+)"', page(owner, "/ui/seals"))[0])
    for path in ("/ui/seals", "/ui/signatures", "/ui/seal-authorisation", "/ui/agent-print-authorisations"):
        assert ui_world.client("agent-declarant").get(path).status_code == 403, path  # needs the 法人卡 role
    for outsider in ("other-admin", "principal-admin"):
        client = ui_world.client(outsider)
        assert "产地证印章" not in page(client, "/ui/seals")
        assert client.get(f"/ui/seals/{seal_id}/image").status_code == 404
        for op in ("disable", "delete", "default"):
            r = client.post(f"/ui/seals/{seal_id}", data={"csrf_token": token(client), "op": op})
            assert r.status_code == 404, (outsider, op)
    with ui_world.container.print_store.transaction() as tx:
        assert [(s.id, s.enabled) for s in tx.stamps(AGENT.id)] == [(seal_id, True)]


def test_authorisation_to_customs_needs_defaults_and_shows_the_request(ui_world: UiWorld) -> None:
    admin = ui_world.client("agent-admin")
    refused = admin.post("/ui/seal-authorisation", data={"csrf_token": token(admin)})
    assert refused.status_code == 303
    said = flashed(admin, "/ui/seal-authorisation")
    assert "AUTHORISE.NO_DEFAULT_SEAL" in said and "AUTHORISE.NO_DEFAULT_SIGNATURE" in said and "默认印章" in said
    ready_defaults(ui_world, admin)
    html = page(admin, "/ui/seal-authorisation")
    assert html.count('data-default="true"') == 2
    assert admin.post("/ui/seal-authorisation", data={"csrf_token": token(admin)}).status_code == 303
    html = page(admin, "/ui/seal-authorisation")
    sent = re.search(r'<table class="sent">.*?</table>', html, re.S)
    assert sent and "QUEUED" in sent.group(0) and "waiting for customs" in sent.group(0)
    message_id = re.search(r'data-message-id="([0-9a-f]{32})"', sent.group(0))
    assert message_id
    view = ui_world.app.test_client().get(f"/api/v1/messages/{message_id.group(1)}",
                                          headers={"Authorization": f"Bearer {ui_world.keys[AGENT.id]}"}).get_json()
    assert view["message_type"] == "SEAL_SIGNATURE_AUTHORISATION"
    assert "QUEUED" not in page(ui_world.client("other-admin"), "/ui/seal-authorisation")


def test_agent_print_authorisation_form_errors_next_to_the_field(ui_world: UiWorld) -> None:
    admin = ui_world.client("agent-admin")
    r = admin.post("/ui/agent-print-authorisations", data={
        "csrf_token": token(admin), "agent_org_code": "MA2Y3K8L4", "agent_name": "", "authorised": "1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'data-rule="AGENTPRINT.ORG_CODE_CHECK"' in html and "代理企业代码" in html
    assert 'data-rule="AGENTPRINT.NAME"' in html and 'value="MA2Y3K8L4"' in html
    own = admin.post("/ui/agent-print-authorisations", data={
        "csrf_token": token(admin), "agent_org_code": AGENT.id[8:17], "agent_name": "self", "authorised": "1"})
    assert 'data-rule="AGENTPRINT.NOT_SELF"' in own.get_data(as_text=True)
    assert "no agent authorised yet" in page(admin, "/ui/agent-print-authorisations")
    assert "no agent authorised yet" in page(ui_world.client("other-admin"), "/ui/agent-print-authorisations")


# --- the API reads the same availability -----------------------------------------------------------------


def test_api_print_state_says_what_may_be_printed_now_and_refuses_undecodable_scans(ui_world: UiWorld) -> None:
    _, cert_no = push_c(ui_world, AGENT, 1, "AG-C1")
    api, key = ui_world.app.test_client(), {"Authorization": f"Bearer {ui_world.keys[AGENT.id]}"}
    state = api.get(f"/api/v1/certificates/{cert_no}/print", headers=key).get_json()
    available = state["available"]
    assert available["copy"] == {"allowed": True, "problem": None}
    assert available["original"]["allowed"] is False
    assert available["original"]["problem"]["rule"] == "PRINT.LAYOUT_NOT_RECEIVED"
    assert available["archive"]["problem"]["rule"] == "PRINT.ARCHIVE"
    assert set(available) == {"certificate", "application", "invoice", "slip", "original", "copy", "archive",
                              "print_exception"}
    r = api.post("/api/v1/seals", headers=key, json={**SEAL_FIELDS,
                                                     "image_base64": base64.b64encode(corrupt_png()).decode()})
    assert r.status_code == 422 and [e["rule"] for e in r.get_json()["errors"]] == ["STAMP.IMAGE_DECODE"]
    assert api.get(f"/api/v1/certificates/{cert_no}/print",
                   headers={"Authorization": f"Bearer {ui_world.keys[OTHER.id]}"}).status_code == 404


def test_print_routes_answer_404_for_another_enterprises_certificate_and_change_nothing(ui_world: UiWorld) -> None:
    msg, cert_no = push_c(ui_world, AGENT, 1, "AG-C1")
    layout_from_customs(ui_world, AGENT, cert_no)
    ready_defaults(ui_world, ui_world.client("agent-admin"))
    for outsider in ("other-admin", "principal-declarant"):  # a principal does not see its agent's documents
        client = ui_world.client(outsider)
        for path, data in ((f"/ui/certificates/{msg}/print", {"kind": "original"}),
                           (f"/ui/certificates/{msg}/print-exceptions", {"reason": "PAPER_JAM"}),
                           (f"/ui/certificates/{msg}/print-archive", {})):
            r = client.post(path, data={"csrf_token": token(client), **data})
            assert r.status_code == 404 and cert_no not in r.get_data(as_text=True), (outsider, path)
        assert cert_no not in page(client, "/ui/certificates")
    state = state_of(ui_world, AGENT, cert_no)
    assert (state["print_status"], state["originals"], state["events"][-1]["kind"]) == ("PENDING", 0, "LAYOUT")
