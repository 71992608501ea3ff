"""What the end-to-end tests share: the enterprise they run as, mock customs and the gateway started as
processes (as an operator would), and waiting on them from outside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
from cryptography.hazmat.primitives.serialization import Encoding

from gateway.mockproc import MockProcess, stop_process, wait_ready
from signing.keystore import KeyStore

ENTERPRISE_ID = "91350100M000100Y43"
REG_NO = "350100001"
FAMILIES_DIR = Path(__file__).resolve().parents[1] / "data" / "families"
FINAL = frozenset({"DONE", "FAILED", "REJECTED"})
CLI = (sys.executable, "-m", "gateway.cli")
# the mock's logins in these tests (test-only secrets)
SFTP_USER, SFTP_PASSWORD, HTTP_TOKEN = "gateway", "sftp-secret", "http-secret"
T = TypeVar("T")


def enterprise_pem(pki_dir: Path, passphrase: str) -> str:
    """The enterprise's certificate, as the authority registers it."""
    return KeyStore(pki_dir, passphrase).certificate(ENTERPRISE_ID).public_bytes(Encoding.PEM).decode()


def register_at_mock(admin_url: str, pem: str, authority: str = "GACC") -> None:
    httpx.post(f"{admin_url}/admin/enterprises", json={"id": ENTERPRISE_ID, "reg_no": REG_NO, "certificate_pem": pem,
                                                       "authority": authority}).raise_for_status()


def seed_both_authorities(admin: httpx.Client, pem: str) -> None:
    """The enterprise at GACC and CCPIT, and two networked import COs the status queries ask about."""
    for authority in ("GACC", "CCPIT"):
        register_at_mock(str(admin.base_url).rstrip("/"), pem, authority)
    networked = [("19|KOR|2026-1234-5678901", "已签发 未使用", {}),
                 ("02|VNM|VN-CN 26/02/0012345", "已签发", {"CoType": "CERTIFICATE", "FirstItemHSCode": "40012200",
                                                         "IssueDate": "2026-02-20", "GoodsName": "NATURAL RUBBER"})]
    for key, status, data in networked:
        admin.post("/admin/records", json={"enterprise": "*", "kind": "import_co", "key": key, "status": status,
                                           "data": data}).raise_for_status()


def start_two_authority_mock(state: Path, pki_dir: Path, passphrase: str) -> MockProcess:
    """Mock customs as GACC and CCPIT (one SFTP user each, one HTTP token), driven by POST /admin/tick."""
    env = {**os.environ, "MOCK_PKI_PASSPHRASE": passphrase}
    cmd = [sys.executable, "-m", "mock_customs", "--state-dir", str(state), "--pki-dir", str(pki_dir),
           "--sftp-port", "0", "--http-port", "0", "--authority", "GACC", "--authority", "CCPIT",
           "--user", f"{SFTP_USER}:{SFTP_PASSWORD}", "--user", "gwccpit:ccpit-secret@CCPIT",
           "--http-token", f"{SFTP_USER}:{HTTP_TOKEN}", "--poll-interval", "3600"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    ready = wait_ready(proc, 60, lines)
    assert ready["authorities"] == ["GACC", "CCPIT"]
    return MockProcess(proc, int(ready["sftp_port"]), int(ready["http_port"]), str(ready["host_public_key"]), lines)


def gateway_env(database_url: str, pki_dir: Path, passphrase: str, *, poll_seconds: float = 0.2,
                **extra: str) -> dict[str, str]:
    """The gateway's settings for a test run; ``extra`` as GATEWAY_* names without the prefix."""
    return {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_PKI_DIR": str(pki_dir),
            "GATEWAY_PKI_PASSPHRASE": passphrase, "GATEWAY_DISPATCH_POLL_SECONDS": str(poll_seconds),
            "GATEWAY_RECEIPT_POLL_SECONDS": str(poll_seconds),
            **{f"GATEWAY_{name.upper()}": value for name, value in extra.items()}}


def authority_env(mock: MockProcess, authority: str, transport: str, *, user: str = SFTP_USER,
                  password: str = SFTP_PASSWORD, url: str | None = None, token: str = HTTP_TOKEN) -> dict[str, str]:
    """How the gateway reaches one of the mock's authorities: its SFTP mailbox (host key pinned) or HTTP API."""
    prefix = f"GATEWAY_AUTHORITY_{authority}_"
    if transport == "http":
        return {f"{prefix}TRANSPORT": "http", f"{prefix}URL": url or mock.admin_url, f"{prefix}TOKEN": token}
    return {f"{prefix}PORT": str(mock.sftp_port), f"{prefix}USERNAME": user, f"{prefix}PASSWORD": password,
            f"{prefix}HOST_KEY": mock.host_public_key}


def two_authority_env(mock: MockProcess, transport: str, database_url: str, pki_dir: Path,
                      passphrase: str) -> dict[str, str]:
    """The gateway talking to both authorities of :func:`start_two_authority_mock`."""
    env = gateway_env(database_url, pki_dir, passphrase, poll_seconds=0.1)
    env |= authority_env(mock, "GACC", transport, url=f"{mock.admin_url}/api/v1/GACC")
    env |= authority_env(mock, "CCPIT", transport, user="gwccpit", password="ccpit-secret",
                         url=f"{mock.admin_url}/api/v1/CCPIT")
    return env


def add_enterprise(env: Mapping[str, str]) -> str:
    """`cogw enterprise add`: registers the enterprise and returns its API key."""
    out = subprocess.run([*CLI, "enterprise", "add", "--id", ENTERPRISE_ID, "--name", "Demo Co", "--reg-no", REG_NO],
                         env=dict(env), capture_output=True, text=True, check=True)
    return str(json.loads(out.stdout.strip().splitlines()[-1])["api_key"])


@dataclass
class Stack:
    """The spine's stack (tests/e2e/conftest.py): the ERP's API client and the mock process behind."""

    api: httpx.Client
    mock: MockProcess


@dataclass
class Gateway:
    process: subprocess.Popen[str]
    ready: dict[str, Any]  # the ready line: port, folder SFTP port and host key …

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ready['port']}"

    def api(self, api_key: str, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=timeout, headers={"Authorization": f"Bearer {api_key}"})


@contextmanager
def serving(env: Mapping[str, str], *args: str, stderr: IO[str] | None = None) -> Iterator[Gateway]:
    """`cogw serve --port 0` until the block ends (then SIGTERM)."""
    process = subprocess.Popen([*CLI, "serve", "--port", "0", *args], env=dict(env), stdout=subprocess.PIPE,
                               stderr=stderr, text=True)
    try:
        yield Gateway(process, wait_ready(process, 60, []))
    finally:
        stop_process(process)


def poll_until(check: Callable[[], T], what: str | Callable[[], str], timeout: float = 60, *,
               between: Callable[[], object] | None = None, interval: float = 0.1) -> T:
    """Ask ``check`` until it answers something truthy (returned); ``between`` runs before each wait (say,
    a tick of the mock). Polling live processes from outside, bounded by the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
        if between is not None:
            between()
        time.sleep(interval)
