"""Everything at once, in real time: the gateway process against a mock that misbehaves at random (seeded).

The spine's stack (gateway process + mock process) with a mix of fault scenarios switched on through
``POST /admin/scenarios``; every message must still end in its correct terminal state, reviewed once by
the mock, with exactly its receipts stored and every bad copy in quarantine.
"""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from gateway.db import models
from gateway.demo import sample_bytes
from tests.e2e.helpers import FINAL, Stack

pytestmark = pytest.mark.e2e

COMMON = [
    "duplicate_receipts:probability=0.5",
    "out_of_order_receipts:probability=0.5",
    "malformed_receipts:mode=truncated,probability=0.25",
    "wrong_key_receipts:probability=0.25",
    "delays:seconds=0.2,jitter=0.5,probability=0.5",
]
BY_TRANSPORT = {
    "sftp": ["sftp_disconnect_mid_transfer:direction=both,after_bytes=700,probability=0.3",
             "partial_reads:mode=truncate,max_bytes=900,probability=0.3",
             "unreadable_receipts:probability=0.2"],
    "http": ["http_500:endpoint=any,probability=0.2", "http_500:endpoint=inbound,when=after,probability=0.2",
             "http_503_retry_after:endpoint=any,seconds=1,probability=0.2"],
}


def numbered(sample: str, serial: int) -> bytes:
    """The sample as a different certificate (own CertNo and DocumentNo), so each push is a new declaration."""
    raw = sample_bytes(sample).decode()
    start = raw.index("<CertNo>") + len("<CertNo>")
    cert_no = raw[start:raw.index("</CertNo>")]
    raw = raw.replace(f"<CertNo>{cert_no}</CertNo>", f"<CertNo>{cert_no[:-4]}{serial:04d}</CertNo>")
    return raw.replace("</DocumentNo>", f"-{serial}</DocumentNo>", 1).encode()


def test_every_message_ends_right_under_a_seeded_mix_of_faults(stack: Stack, transport: str,
                                                               database_url: str) -> None:
    admin = stack.mock.admin_url
    chosen = httpx.post(f"{admin}/admin/scenarios", json={"scenarios": COMMON + BY_TRANSPORT[transport], "seed": 2026})
    assert chosen.status_code == 200, chosen.text

    expected = {}
    for serial, sample, status in [(11, "form_e_approved.xml", "APPROVED"), (12, "form_e_returned.xml", "RETURNED"),
                                   (13, "form_e_approved.xml", "APPROVED"), (14, "form_e_approved.xml", "APPROVED"),
                                   (15, "form_e_returned.xml", "RETURNED"), (16, "form_e_approved.xml", "APPROVED")]:
        r = stack.api.post("/api/v1/messages", content=numbered(sample, serial),
                           headers={"Content-Type": "application/xml"})
        assert r.status_code == 202, r.text
        expected[r.json()["message_id"]] = status

    # settled: final, and every receipt in (a decision that came first makes DONE before STORED arrives)
    deadline = time.monotonic() + 60
    settled: dict[str, tuple[dict, list]] = {}  # type: ignore[type-arg]
    while len(settled) < len(expected):
        for mid in set(expected) - set(settled):
            view = stack.api.get(f"/api/v1/messages/{mid}").json()
            receipts = stack.api.get(f"/api/v1/messages/{mid}/receipts").json()["receipts"]
            if view["state"] in FINAL and len([r for r in receipts if r["authority"] == "GACC"]) >= 3:
                settled[mid] = (view, receipts)
        assert time.monotonic() < deadline, {
            m: (stack.api.get(f"/api/v1/messages/{m}").json()["state"],
                [r["receipt_id"] for r in stack.api.get(f"/api/v1/messages/{m}/receipts").json()["receipts"]],
                httpx.get(f"{admin}/admin/messages/{m}").json().get("http"))
            for m in set(expected) - set(settled)}
        time.sleep(0.2)  # polling two live processes from outside, bounded by the deadline

    for mid, status in expected.items():
        view, receipts = settled[mid]
        assert (view["state"], view["document"]["status"]) == ("DONE", status), view["events"]
        assert sorted((r["kind"], r["seq_no"]) for r in receipts if r["authority"] == "GACC") == [
            ("business", 1), ("business", 2), ("import_response", 0)]
        # the gateway's own SENT record is missing only when the receipts overtook the upload's answer
        # (http_500 after storing): the message went RETRY_WAIT → ACKNOWLEDGED, never back to sending
        assert len(receipts) in (3, 4)
        assert stack.api.get(f"/api/v1/messages/{mid}").json()["document"]["status"] == status  # still
        observed = httpx.get(f"{admin}/admin/messages/{mid}").json()
        assert observed["decision"] == status
        assert [r["emit_count"] for r in observed["receipts"]] == [1, 1, 1]  # reviewed and answered once

    fired = {}
    for fault in httpx.get(f"{admin}/admin/scenarios").json()["active"]:
        fired[fault["name"]] = fired.get(fault["name"], 0) + fault["fired"]
    assert sum(1 for n in fired.values() if n) >= 4, fired  # the mix really happened
    # every broken or forged copy, and nothing else, was kept in quarantine (the mock writes them first,
    # so they have all been fetched once every message is DONE)
    bad_copies = fired.get("malformed_receipts", 0) + fired.get("wrong_key_receipts", 0)
    engine = create_engine(database_url)
    try:
        deadline = time.monotonic() + 30
        while True:
            with engine.connect() as db:
                kept = db.scalar(select(func.count()).select_from(models.QuarantinedFile))
            if kept == bad_copies or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # the gateway's receipt poller may still be on its last pass
    finally:
        engine.dispose()
    assert kept == bad_copies, fired
