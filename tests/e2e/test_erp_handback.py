"""ERP hand-back over the wire: a `cogw serve --log-format json` process, mock customs as its own
process, and an ERP webhook receiver on a loopback port. The receipts the mock signs come back to the
ERP as signed webhook POSTs and through the pull inbox, and the gateway's log is JSON with MessageId."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.demo import sample_bytes
from gateway.mockproc import start_mock
from tests.e2e.helpers import (
    SFTP_PASSWORD,
    SFTP_USER,
    add_enterprise,
    authority_env,
    enterprise_pem,
    gateway_env,
    poll_until,
    register_at_mock,
    serving,
)
from tests.integration.erp_world import Receiver
from tests.integration.erp_world import receiver as receiver  # fixture

pytestmark = pytest.mark.e2e


def test_receipts_reach_the_erp_by_signed_webhook_and_inbox(database_url: str, tmp_path: Path, pki_dir: Path,
                                                            pki_passphrase: str, receiver: Receiver) -> None:
    mock = start_mock(tmp_path / "mock", pki_dir, pki_passphrase, user=SFTP_USER, password=SFTP_PASSWORD)
    log_path = tmp_path / "gateway.log"
    try:
        register_at_mock(mock.admin_url, enterprise_pem(pki_dir, pki_passphrase))
        env = gateway_env(database_url, pki_dir, pki_passphrase, webhook_poll_seconds="0.2",
                          webhook_secret_key="e2e-only-" + "k" * 24,
                          webhook_allowed_targets="127.0.0.1")  # the ERP's receiver listens on loopback
        env |= authority_env(mock, "GACC", "sftp")
        key = add_enterprise(env)
        with log_path.open("w") as log, serving(env, "--log-format", "json", stderr=log) as gateway, \
                gateway.api(key) as api:
            assert api.get("/readyz").json()["status"] == "ready"
            r = api.put("/api/v1/webhook", json={"url": receiver.url})
            receiver.secret = r.json()["secret"]
            mid = api.post("/api/v1/messages", content=sample_bytes("form_e_approved.xml"),
                           headers={"Content-Type": "application/xml"}).json()["message_id"]

            def done() -> bool:
                return any(e["type"] == "message.state_changed" and e["data"]["state"] == "DONE"
                           for e in receiver.processed.values())

            poll_until(done, "the DONE event at the ERP's webhook")
            assert all(r.signature_ok for r in receiver.received)
            statuses = [e["data"]["receipt"]["status"] for e in receiver.processed.values()
                        if e["type"] == "receipt.applied"]
            assert statuses[-1] == "申报正确" and "海关入库成功" in statuses
            inbox = api.get("/api/v1/inbox", params={"limit": 500}).json()["events"]
            assert {e["id"] for e in inbox} == set(receiver.processed)
            assert all(e["message_id"] == mid for e in inbox)
            metrics = api.get("/metrics").text
            assert 'cogw_messages{direction="outbound",state="DONE"} 1.0' in metrics
    finally:
        mock.stop()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    about = [line for line in lines if mid in line["msg"]]
    assert about and all(line.get("MessageId") == mid for line in about)
    assert {"gateway.services.intake", "gateway.services.dispatch", "gateway.services.receipts",
            "gateway.services.webhooks"} <= {line["logger"] for line in lines if line.get("MessageId") == mid}
