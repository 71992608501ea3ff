"""The spine, over the wire: ERP → gateway process → SFTP → mock customs process → signed receipts → ERP.

Gateway and mock customs run as separate processes; the only shared things are the PKI directory
(as a real deployment shares certificates) and the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from gateway.demo import sample_bytes as sample
from gateway.mockproc import MockProcess, start_mock, stop_process, wait_ready
from signing.keystore import KeyStore

pytestmark = pytest.mark.e2e

ENTERPRISE_ID = "91350100M000100Y43"
REG_NO = "350100001"
FINAL = {"DONE", "FAILED", "REJECTED"}


@dataclass
class Stack:
    api: httpx.Client
    mock: MockProcess


@pytest.fixture(params=["sftp", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def stack(database_url: str, transport: str, tmp_path: Path, pki_dir: Path, pki_passphrase: str) -> Iterator[Stack]:
    mock = start_mock(tmp_path / "mock", pki_dir, pki_passphrase, user="gateway", password="sftp-secret",
                      http_token="http-secret")
    gateway: subprocess.Popen[str] | None = None
    try:
        pem = KeyStore(pki_dir, pki_passphrase).certificate(ENTERPRISE_ID).public_bytes(Encoding.PEM).decode()
        httpx.post(f"{mock.admin_url}/admin/enterprises",
                   json={"id": ENTERPRISE_ID, "reg_no": REG_NO, "certificate_pem": pem}).raise_for_status()
        env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_PKI_DIR": str(pki_dir),
               "GATEWAY_PKI_PASSPHRASE": pki_passphrase, "GATEWAY_DISPATCH_POLL_SECONDS": "0.2",
               "GATEWAY_RECEIPT_POLL_SECONDS": "0.2", "GATEWAY_AUTHORITY_GACC_PORT": str(mock.sftp_port),
               "GATEWAY_AUTHORITY_GACC_USERNAME": "gateway", "GATEWAY_AUTHORITY_GACC_PASSWORD": "sftp-secret",
               "GATEWAY_AUTHORITY_GACC_HOST_KEY": mock.host_public_key,
               # the same authority over its HTTP API instead of SFTP
               **({"GATEWAY_AUTHORITY_GACC_TRANSPORT": "http", "GATEWAY_AUTHORITY_GACC_URL": mock.admin_url,
                   "GATEWAY_AUTHORITY_GACC_TOKEN": "http-secret"} if transport == "http" else {})}
        cli = [sys.executable, "-m", "gateway.cli"]
        out = subprocess.run([*cli, "enterprise", "add", "--id", ENTERPRISE_ID, "--name", "Demo Co",
                              "--reg-no", REG_NO], env=env, capture_output=True, text=True, check=True)
        api_key = json.loads(out.stdout.strip().splitlines()[-1])["api_key"]
        gateway = subprocess.Popen([*cli, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE, text=True)
        ready = wait_ready(gateway, 60, [])
        with httpx.Client(base_url=f"http://127.0.0.1:{ready['port']}", timeout=30,
                          headers={"Authorization": f"Bearer {api_key}"}) as api:
            yield Stack(api, mock)
    finally:
        if gateway is not None:
            stop_process(gateway)
        mock.stop()


def push(api: httpx.Client, name: str) -> httpx.Response:
    return api.post("/api/v1/messages", content=sample(name), headers={"Content-Type": "application/xml"})


def wait_final(api: httpx.Client, message_id: str, timeout: float = 60) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while True:
        view = api.get(f"/api/v1/messages/{message_id}").json()
        if view["state"] in FINAL or time.monotonic() > deadline:
            return view  # type: ignore[no-any-return]
        time.sleep(0.1)  # polling a live system from outside, bounded by the deadline


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
