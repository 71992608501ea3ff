"""产品预审 product pre-review pages (seed 001 ch. 6) on a real database: the record's (状态, 审核状态)
projected from the applications and the authority's receipts, the applications each state allows, and
the change form with errors next to the field."""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

from flask.testing import FlaskClient

from gateway.services.intake import accept_message
from gateway.services.ports import NewMessage
from tests.integration.ui_world import AGENT, UiWorld, csrf_of

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "families" / "gacc_product"


def _push_new(world: UiWorld) -> str:
    c = world.container
    r = accept_message(c.store, c.validator, c.clock, enterprise_id=AGENT.id,
                       raw=(SAMPLES / "valid_new.xml").read_bytes(), actor="api")
    assert r.outcome == "accepted" and r.message_id, r
    return r.message_id


def _receive_receipt(world: UiWorld, raw: bytes) -> None:
    """The authority's receipt, stored as receipt ingestion stores authority documents."""
    c = world.container
    mid = uuid.uuid4().hex
    with c.store.transaction() as tx:
        tx.create_message(NewMessage(message_id=mid, enterprise_id=AGENT.id, family="gacc_product",
                                     message_type="GACC_PRODUCT_PREREVIEW_RECEIPT", direction="inbound",
                                     authority="GACC", state="DONE", document_no="ERP-PR-2026-0101",
                                     idempotency_key=f"receipt:{mid}", raw_sha256=hashlib.sha256(raw).hexdigest(),
                                     next_attempt_at=None),
                          raw=raw, history=[(None, "RECEIVED", "sent by GACC"), ("RECEIVED", "DONE", "stored")],
                          actor="receipts")


def _row(client: FlaskClient, product_no: str = "FLASK-500-SS") -> str:
    page = client.get("/ui/products").get_data(as_text=True)
    found = re.search(rf'<tr data-product-no="{product_no}".*?</tr>', page, re.S)
    return found.group(0) if found else ""


def _kinds(row: str) -> set[str]:
    found = re.search(r'data-kinds="([^"]*)"', row)
    return set(found.group(1).split()) if found else set()


def _application_id(row: str) -> str:
    found = re.search(r"/ui/products/(\w+)/apply", row)
    assert found, row
    return found.group(1)


def test_a_submitted_record_allows_nothing_and_an_approved_one_its_applications(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    _push_new(ui_world)
    row = _row(client)
    assert "新增" in row and "已提交" in row and _kinds(row) == set() and "awaiting review" in row
    _receive_receipt(ui_world, (SAMPLES / "inbound_receipt_approved.xml").read_bytes())
    row = _row(client)
    assert "正常" in row and "审核通过" in row and "PR3501202600000123" in row
    assert _kinds(row) == {"CHANGE", "CANCEL", "DELETE"}  # RESTORE only for a cancelled record
    # filters
    assert _row(client) and "FLASK-500-SS" not in client.get("/ui/products?audit=SUBMITTED").get_data(as_text=True)
    assert "FLASK-500-SS" in client.get("/ui/products?hs_code=9617").get_data(as_text=True)
    # another enterprise sees nothing of it
    assert "FLASK-500-SS" not in ui_world.client("other-declarant").get("/ui/products").get_data(as_text=True)


def test_cancel_is_submitted_through_intake_and_a_refused_kind_says_why(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    _push_new(ui_world)
    _receive_receipt(ui_world, (SAMPLES / "inbound_receipt_approved.xml").read_bytes())
    app_id = _application_id(_row(client))
    token = csrf_of(client, "/ui/products")
    refused = client.post(f"/ui/products/{app_id}/apply", data={"csrf_token": token, "apply_type": "RESTORE"})
    assert refused.status_code == 303
    page = client.get("/ui/products").get_data(as_text=True)
    assert "RESTORE 恢复 is not allowed on a record in (正常, 审核通过)" in page
    ok = client.post(f"/ui/products/{app_id}/apply", data={"csrf_token": token, "apply_type": "CANCEL"})
    assert ok.status_code == 303
    row = _row(client)
    assert "注销" in row and "已提交" in row and _kinds(row) == set()
    new_id = _application_id_from_messages(ui_world, "CANCEL")
    detail = ui_world.container.ui_reads.message_detail((AGENT.id,), new_id)
    assert detail is not None and detail["state"] == "QUEUED"
    assert "<CurrentStatus>NORMAL</CurrentStatus>" in detail["raw"]
    assert "<PreReviewNo>PR3501202600000123</PreReviewNo>" in detail["raw"]


def _application_id_from_messages(world: UiWorld, kind: str) -> str:
    from gateway.db.ui_reads import MessageFilter

    rows = world.container.ui_reads.messages((AGENT.id,), MessageFilter(family="gacc_product"))
    for r in rows:
        detail = world.container.ui_reads.message_detail((AGENT.id,), r["message_id"])
        if detail and f"<ApplyType>{kind}</ApplyType>" in detail["raw"]:
            return str(r["message_id"])
    raise AssertionError(f"no {kind} application stored")


def test_change_form_shows_rule_errors_next_to_the_field_then_submits(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    _push_new(ui_world)
    _receive_receipt(ui_world, (SAMPLES / "inbound_receipt_approved.xml").read_bytes())
    url = f"/ui/products/{_application_id(_row(client))}/change"
    page = client.get(url).get_data(as_text=True)
    form = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', page))
    assert form["p.HSCode"] == "9617001900" and "d-1.UnitPrice" in form
    form["csrf_token"] = csrf_of(client, url)
    bad = client.post(url, data={**form, "p.FOBPrice": "1"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert re.search(r'name="p.FOBPrice" value="1" class="invalid">\s*<span class="field-error" '
                     r'data-rule="PRODUCT.FOB_GE_EXWORKS">.*?【单位产品FOB值】', body, re.S), body[-3000:]
    ok = client.post(url, data={**form, "p.Spec": "600ML"})
    assert ok.status_code == 303, ok.get_data(as_text=True)[-3000:]
    row = _row(client)
    assert "变更" in row and "已提交" in row
    detail = ui_world.container.ui_reads.message_detail((AGENT.id,), _application_id_from_messages(ui_world, "CHANGE"))
    assert detail is not None and "<Spec>600ML</Spec>" in detail["raw"]
