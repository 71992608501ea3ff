"""The spine, over the wire: ERP → gateway process → SFTP → mock customs process → signed receipts → ERP.

Gateway and mock customs run as separate processes; the only shared things are the PKI directory
(as a real deployment shares certificates) and the network.
"""

from __future__ import annotations

import httpx
import pytest

from gateway.demo import sample_bytes as sample
from tests.e2e.helpers import FINAL, Stack, poll_until

pytestmark = pytest.mark.e2e


def push(api: httpx.Client, name: str) -> httpx.Response:
    return api.post("/api/v1/messages", content=sample(name), headers={"Content-Type": "application/xml"})


def wait_final(api: httpx.Client, message_id: str, timeout: float = 60) -> dict:  # type: ignore[type-arg]
    view: dict = {}  # type: ignore[type-arg]

    def final() -> bool:
        view.update(api.get(f"/api/v1/messages/{message_id}").json())
        return view["state"] in FINAL

    poll_until(final, lambda: f"message {message_id} to be final (now {view.get('state')})", timeout)
    return view


def test_valid_form_e_is_approved_with_signed_receipts(stack: Stack) -> None:
    r = push(stack.api, "form_e_approved.xml")
    assert r.status_code == 202, r.text
    mid = r.json()["message_id"]
    assert push(stack.api, "form_e_approved.xml").json()["message_id"] == mid  # idempotent: one message

    view = wait_final(stack.api, mid)
    assert view["state"] == "DONE", view
    assert view["document"]["status"] == "APPROVED"
    states = [e["to"] for e in view["events"]]
    assert states[:3] == ["RECEIVED", "VALIDATED", "QUEUED"] and "SENT" in states and states[-1] == "DONE"

    receipts = stack.api.get(f"/api/v1/messages/{mid}/receipts").json()["receipts"]
    business = [(r["seq_no"], r["status"]) for r in receipts if r["kind"] != "import_response"]
    assert business == [(0, "数据已发往海关"), (1, "海关入库成功"), (2, "申报正确")]
    assert any(r["kind"] == "import_response" and r["status_code"] == "IMPORTED" for r in receipts)

    observed = httpx.get(f"{stack.mock.admin_url}/admin/messages/{mid}").json()
    assert observed["receive_count"] == 1  # pushed twice, delivered once


def test_invalid_origin_criterion_is_returned_by_customs_with_the_reason(stack: Stack) -> None:
    r = push(stack.api, "form_e_returned.xml")
    assert r.status_code == 202, r.text
    view = wait_final(stack.api, r.json()["message_id"])
    assert view["state"] == "DONE"
    assert view["document"]["status"] == "RETURNED"
    reasons = view["document"]["reasons"]
    assert reasons and reasons[0]["rule_id"].startswith("AUTH.ORIGIN.E")
    assert reasons[0]["path"].startswith("/Certificate/CertificateList/Goods[")
    receipts = stack.api.get(f"/api/v1/messages/{r.json()['message_id']}/receipts").json()["receipts"]
    assert receipts[-1]["status"] == "退证"


def test_xsd_invalid_document_gets_422_with_located_error_and_is_kept(stack: Stack) -> None:
    r = push(stack.api, "general_co_xsd_invalid.xml")
    assert r.status_code == 422, r.text
    body = r.json()
    hs = [e for e in body["errors"] if e["path"].endswith("/HSCode")]
    assert hs and hs[0]["rule"].startswith("XSD.") and hs[0]["line"] > 0
    kept = stack.api.get(f"/api/v1/messages/{body['message_id']}").json()
    assert kept["state"] == "REJECTED" and kept["errors"] == body["errors"]
    assert httpx.get(f"{stack.mock.admin_url}/admin/messages/{body['message_id']}").status_code == 404
