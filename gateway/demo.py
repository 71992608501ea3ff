"""`cogw demo`: gateway + mock customs on SQLite, one sample enterprise, sample traffic to the end.

Everything runs for real: the mock is a separate process with its own SFTP server; documents go
through the ERP API, are signed, uploaded, reviewed, and receipts come back signed.
"""

from __future__ import annotations

import json
import secrets
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx

from gateway.bootstrap import Container
from gateway.config import AuthorityEndpoint, Settings
from gateway.mockproc import MockProcess, start_mock
from gateway.runtime import Running, start
from gateway.services.enterprises import issue_api_key, register_enterprise
from gateway.services.people import add_user
from gateway.services.ports import EnterpriseInfo
from signing.pki import init_pki

ENTERPRISE = EnterpriseInfo(id="91350100M000100Y43", name="Xiamen Demo Trading Co., Ltd.", reg_no="350100001")
DEMO_MARKER = ".cogw-demo"
FINAL_STATES = {"DONE", "FAILED", "REJECTED"}


@dataclass(frozen=True)
class Sample:
    file: str
    title: str
    expect_http: int
    expect_state: str
    expect_document: str | None


SAMPLES = (
    Sample("form_e_approved.xml", "Form E to Indonesia (WO and PSR lines)", 202, "DONE", "APPROVED"),
    Sample("general_co_approved.xml", "General CO to the USA", 202, "DONE", "APPROVED"),
    Sample("form_e_returned.xml", "Form E claiming PSR for goods not on the PSR list", 202, "DONE", "RETURNED"),
    Sample("general_co_xsd_invalid.xml", "General CO with a malformed HS code", 422, "REJECTED", None),
)


def sample_bytes(name: str) -> bytes:
    return resources.files("gateway.samples").joinpath(name).read_bytes()


def _register_at_mock(mock: MockProcess, container: Container) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = container.keystore.certificate(ENTERPRISE.id).public_bytes(Encoding.PEM).decode()
    r = httpx.post(f"{mock.admin_url}/admin/enterprises",
                   json={"id": ENTERPRISE.id, "reg_no": ENTERPRISE.reg_no, "certificate_pem": pem}, timeout=10)
    r.raise_for_status()


def _wait_final(client: httpx.Client, message_id: str, deadline: float) -> dict[str, object]:
    view: dict[str, object] = {}
    while time.monotonic() < deadline:
        view = client.get(f"/api/v1/messages/{message_id}").json()
        if view.get("state") in FINAL_STATES:
            return view
        time.sleep(0.2)  # polling a live system as an ERP would; bounded by the deadline
    return view


def run_demo(*, check: bool, port: int = 8080, workdir: str = "var/demo", timeout: float = 90.0) -> int:
    root = Path(workdir).resolve()
    if root.exists() and any(root.iterdir()) and not (root / DEMO_MARKER).exists():
        print(f"{root} exists and is not a demo directory; refusing to delete it", file=sys.stderr)
        return 2
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / DEMO_MARKER).write_text("made by `cogw demo`; deleted and recreated by the next run\n")
    passphrase = secrets.token_urlsafe(24)  # lives only in this process and its child
    sftp_password = secrets.token_urlsafe(16)
    pki = root / "pki"
    print(f"1. test PKI in {pki} (CA, GACC/CCPIT authority certificates, enterprise key)")
    init_pki(pki, passphrase, [ENTERPRISE.id])

    print("2. starting mock customs (separate process, own SFTP server)")
    mock = start_mock(root / "mock", pki, passphrase, user="gateway", password=sftp_password,
                      delay_stored=0.5, delay_decision=1.0)
    running: Running | None = None
    try:
        settings = Settings(
            database_url=f"sqlite:///{root / 'gateway.db'}", pki_dir=str(pki),
            pki_passphrase=passphrase, dispatch_poll_seconds=0.3, receipt_poll_seconds=0.3,
            cookie_secure=False,  # the demo serves plain http on loopback; production keeps Secure cookies
            authorities={"GACC": AuthorityEndpoint(authority="GACC", port=mock.sftp_port, username="gateway",
                                                   password=sftp_password, host_key=mock.host_public_key)},
        )
        container = Container(settings)
        container.migrate()
        register_enterprise(container.store, ENTERPRISE)
        api_key = issue_api_key(container.store, ENTERPRISE.id, label="demo")
        logins = _add_ui_users(container)
        _register_at_mock(mock, container)
        running = start(container, port=port)
        base = f"http://127.0.0.1:{running.port}"
        print(f"3. gateway API on {base}; enterprise {ENTERPRISE.id} registered with gateway and customs")
        ok = _push_and_follow(base, api_key, timeout) and _ui_serves(base, logins)
        if check:
            print("demo check:", "PASSED" if ok else "FAILED")
            return 0 if ok else 1
        _instructions(base, api_key, mock, logins)
        signal.signal(signal.SIGTERM, _interrupt)  # stop the mock child on SIGTERM as on Ctrl-C
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nstopping")
        return 0
    finally:
        if running is not None:
            running.stop()
        mock.stop()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _push_and_follow(base: str, api_key: str, timeout: float) -> bool:
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/xml"}
    results = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        print("4. pushing samples through POST /api/v1/messages")
        pushed = []
        for s in SAMPLES:
            r = client.post("/api/v1/messages", content=sample_bytes(s.file))
            body = r.json()
            print(f"   {s.file:<30} HTTP {r.status_code} {body.get('outcome')} {body.get('message_id')}")
            for err in body.get("errors", [])[:3]:
                print(f"      {err['rule']} at {err['path']} (line {err['line']}): {err['message']}")
            pushed.append((s, r.status_code, body.get("message_id")))
        print("5. following each message to its final state")
        deadline = time.monotonic() + timeout
        for s, status, mid in pushed:
            view = _wait_final(client, mid, deadline) if mid else {}
            doc = view.get("document") or {}
            doc_status = doc.get("status") if isinstance(doc, dict) else None
            receipts = client.get(f"/api/v1/messages/{mid}/receipts").json().get("receipts", []) if mid else []
            good = status == s.expect_http and view.get("state") == s.expect_state and doc_status == s.expect_document
            results.append(good)
            print(f"   {'ok ' if good else 'BAD'} {s.title}: state {view.get('state')}, document {doc_status}")
            for rc in receipts:
                print(f"        {rc['seq_no']} {rc['issued_at']} {rc['status']} {rc['text']}")
                for reason in rc.get("reasons", []):
                    print(f"          reason {reason['rule_id']} at {reason['path']}: {reason['message']}")
    return all(results)


def _add_ui_users(container: Container) -> dict[str, str]:
    """One user per role of the sample enterprise, each with a fresh random password (printed, never stored)."""
    logins = {}
    for role in ("declarant", "engineer", "admin"):
        password = secrets.token_urlsafe(12)
        add_user(container.store, enterprise_id=ENTERPRISE.id, username=f"demo-{role}", password=password,
                 role=role, actor="demo")
        logins[f"demo-{role}"] = password
    return logins


def _ui_serves(base: str, logins: dict[str, str]) -> bool:
    """The declarant logs in to the web UI and sees the certificates the samples produced."""
    with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as ui:
        page = ui.get("/login").text
        token = page.split('name="csrf_token" value="', 1)[-1].split('"', 1)[0]
        r = ui.post("/login", data={"csrf_token": token, "username": "demo-declarant",
                                    "password": logins["demo-declarant"]})
        good = r.status_code == 200 and ui.get("/ui/certificates").status_code == 200
    print(f"6. web UI at {base}/ui/: {'ok ' if good else 'BAD'} demo-declarant logs in and sees the certificates")
    return good


def _instructions(base: str, api_key: str, mock: MockProcess, logins: dict[str, str]) -> None:
    print(json.dumps({"api": base, "api_key": api_key, "mock_admin": mock.admin_url, "ui": f"{base}/ui/",
                      "ui_logins": logins}, indent=2))
    print(f"""
Open {base}/ui/ in a browser and log in as demo-declarant, demo-engineer or demo-admin (passwords above).
The gateway keeps running. Try:
  curl -s -H 'Authorization: Bearer {api_key}' -H 'Content-Type: application/xml' \\
       --data-binary @gateway/samples/form_e_approved.xml {base}/api/v1/messages
  (the same document twice is one message: the second answer is 200 with the same MessageId)
  curl -s -H 'Authorization: Bearer {api_key}' {base}/api/v1/messages/<MessageId>/receipts
  curl -s {mock.admin_url}/admin/messages          # what customs received and decided
Ctrl-C stops gateway and mock customs.""", file=sys.stdout)
