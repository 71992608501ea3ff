"""ERP hand-back over the wire: a `cogw serve --log-format json` process, mock customs as its own
process, and an ERP webhook receiver on a loopback port. The receipts the mock signs come back to the
ERP as signed webhook POSTs and through the pull inbox, and the gateway's log is JSON with MessageId."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from gateway.demo import sample_bytes
from gateway.mockproc import start_mock, stop_process, wait_ready
from signing.keystore import KeyStore
from tests.integration.erp_world import Receiver
from tests.integration.erp_world import receiver as receiver  # fixture

pytestmark = pytest.mark.e2e

ENTERPRISE_ID = "91350100M000100Y43"
REG_NO = "350100001"


def _until(condition, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)  # polling live processes from outside, bounded by the deadline


def test_receipts_reach_the_erp_by_signed_webhook_and_inbox(database_url: str, tmp_path: Path, pki_dir: Path,
                                                            pki_passphrase: str, receiver: Receiver) -> None:
    mock = start_mock(tmp_path / "mock", pki_dir, pki_passphrase, user="gateway", password="sftp-secret")
    gateway: subprocess.Popen[str] | None = None
    log_path = tmp_path / "gateway.log"
    try:
        pem = KeyStore(pki_dir, pki_passphrase).certificate(ENTERPRISE_ID).public_bytes(Encoding.PEM).decode()
        httpx.post(f"{mock.admin_url}/admin/enterprises",
                   json={"id": ENTERPRISE_ID, "reg_no": REG_NO, "certificate_pem": pem}).raise_for_status()
        env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_PKI_DIR": str(pki_dir),
               "GATEWAY_PKI_PASSPHRASE": pki_passphrase, "GATEWAY_DISPATCH_POLL_SECONDS": "0.2",
               "GATEWAY_RECEIPT_POLL_SECONDS": "0.2", "GATEWAY_WEBHOOK_POLL_SECONDS": "0.2",
               "GATEWAY_WEBHOOK_SECRET_KEY": "e2e-only-" + "k" * 24,
               "GATEWAY_WEBHOOK_ALLOWED_TARGETS": "127.0.0.1",  # the ERP's receiver listens on loopback
               "GATEWAY_AUTHORITY_GACC_PORT": str(mock.sftp_port), "GATEWAY_AUTHORITY_GACC_USERNAME": "gateway",
               "GATEWAY_AUTHORITY_GACC_PASSWORD": "sftp-secret",
               "GATEWAY_AUTHORITY_GACC_HOST_KEY": mock.host_public_key}
        cli = [sys.executable, "-m", "gateway.cli"]
        out = subprocess.run([*cli, "enterprise", "add", "--id", ENTERPRISE_ID, "--name", "Demo Co",
                              "--reg-no", REG_NO], env=env, capture_output=True, text=True, check=True)
        key = json.loads(out.stdout.strip().splitlines()[-1])["api_key"]
        with log_path.open("w") as log:
            gateway = subprocess.Popen([*cli, "serve", "--port", "0", "--log-format", "json"], env=env,
                                       stdout=subprocess.PIPE, stderr=log, text=True)
            ready = wait_ready(gateway, 60, [])
        base = f"http://127.0.0.1:{ready['port']}"
        with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {key}"}) as api:
            assert api.get("/readyz").json()["status"] == "ready"
            r = api.put("/api/v1/webhook", json={"url": receiver.url})
            receiver.secret = r.json()["secret"]
            mid = api.post("/api/v1/messages", content=sample_bytes("form_e_approved.xml"),
                           headers={"Content-Type": "application/xml"}).json()["message_id"]

            def done() -> bool:
                return any(e["type"] == "message.state_changed" and e["data"]["state"] == "DONE"
                           for e in receiver.processed.values())

            _until(done, 60, "the DONE event at the ERP's webhook")
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
        if gateway is not None:
            stop_process(gateway)
        mock.stop()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    about = [line for line in lines if mid in line["msg"]]
    assert about and all(line.get("MessageId") == mid for line in about)
    assert {"gateway.services.intake", "gateway.services.dispatch", "gateway.services.receipts",
            "gateway.services.webhooks"} <= {line["logger"] for line in lines if line.get("MessageId") == mid}
