"""Browser tests: Debian's Chromium driven by Playwright against a real gateway process and a real
mock customs process (no browser download: the system binary is launched directly).

Enterprises: AGENT (代理企业) with its recorded PRINCIPAL (委托人), and OTHER, unrelated. Users are
created with `cogw user add`, the agent/principal record with `cogw principal add`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from gateway.mockproc import MockProcess, start_mock, stop_process, wait_ready
from signing.keystore import KeyStore

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "ui"
#: docs/ui/*.png are rewritten only on request (COGW_UPDATE_SCREENSHOTS=1), else a run would churn them.
UPDATE_SCREENSHOTS = os.environ.get("COGW_UPDATE_SCREENSHOTS") == "1"
_screenshots: dict[str, Path] = {}
PASSWORD = "browser-test-password"
AGENT = ("91350100M000100Y43", "Xiamen Jinhe Agency", "350100001")
PRINCIPAL = ("91110000100000000X", "Beijing Principal Trading", "110000001")
OTHER = ("91440300MA5FXXXX1Q", "Shenzhen Other Co", "440300001")
FINAL = {"DONE", "FAILED", "REJECTED"}


def wait_until(check: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    """Poll a condition of a live system from outside, bounded by a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    base_url: str
    env: dict[str, str]
    api_keys: dict[str, str]
    tmp: Path
    pki_dir: Path
    passphrase: str
    mock_port: int
    mock: MockProcess | None = None
    procs: list[subprocess.Popen[str]] = field(default_factory=list)

    def api(self, enterprise_id: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30,
                            headers={"Authorization": f"Bearer {self.api_keys[enterprise_id]}"})

    def start_mock(self) -> MockProcess:
        self.mock = start_mock(self.tmp / "mock", self.pki_dir, self.passphrase, user="gateway",
                               password="sftp-secret", http_token="http-secret", http_port=self.mock_port)
        keys = KeyStore(self.pki_dir, self.passphrase)
        for ent_id, _name, reg_no in (AGENT, PRINCIPAL):
            pem = keys.certificate(ent_id).public_bytes(Encoding.PEM).decode()
            httpx.post(f"{self.mock.admin_url}/admin/enterprises",
                       json={"id": ent_id, "reg_no": reg_no, "certificate_pem": pem}).raise_for_status()
        return self.mock

    def push(self, enterprise_id: str, xml: bytes) -> str:
        with self.api(enterprise_id) as api:
            r = api.post("/api/v1/messages", content=xml, headers={"Content-Type": "application/xml"})
        assert r.status_code == 202, r.text
        return str(r.json()["message_id"])

    def state(self, enterprise_id: str, message_id: str) -> dict[str, Any]:
        with self.api(enterprise_id) as api:
            return dict(api.get(f"/api/v1/messages/{message_id}").json())


def _cogw(env: dict[str, str], *args: str, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "gateway.cli", *args], env={**env, **(extra_env or {})},
                         capture_output=True, text=True, check=True, timeout=120)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def start_stack(tmp: Path, database_url: str, pki_dir: Path, passphrase: str, *, mock_first: bool) -> Stack:
    # With the mock up first, it picks its own port (0) and we read it back: no bind-release-reuse race.
    # Only a stack whose mock starts later (the "authority down" scenario) must name a port in advance.
    port = 0 if mock_first else free_port()
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_PKI_DIR": str(pki_dir),
           "GATEWAY_PKI_PASSPHRASE": passphrase, "GATEWAY_DISPATCH_POLL_SECONDS": "0.2",
           "GATEWAY_RECEIPT_POLL_SECONDS": "0.2", "GATEWAY_MAX_ATTEMPTS": "1",
           "GATEWAY_AUTHORITY_GACC_TRANSPORT": "http", "GATEWAY_AUTHORITY_GACC_URL": f"http://127.0.0.1:{port}",
           "GATEWAY_AUTHORITY_GACC_TOKEN": "http-secret",
           # plain http on loopback in tests; production keeps the Secure flag (the default)
           "GATEWAY_COOKIE_SECURE": "false", "GATEWAY_SECRET_KEY": secrets.token_urlsafe(32)}
    stack = Stack("", env, {}, tmp, pki_dir, passphrase, port)
    try:
        if mock_first:
            stack.mock_port = port = stack.start_mock().http_port
            env["GATEWAY_AUTHORITY_GACC_URL"] = f"http://127.0.0.1:{port}"
        for ent_id, name, reg_no in (AGENT, PRINCIPAL, OTHER):
            stack.api_keys[ent_id] = _cogw(env, "enterprise", "add", "--id", ent_id, "--name", name,
                                           "--reg-no", reg_no)["api_key"]
        _cogw(env, "principal", "add", "--agent", AGENT[0], "--principal", PRINCIPAL[0])
        for ent_id, prefix in ((AGENT[0], "agent"), (PRINCIPAL[0], "principal"), (OTHER[0], "other")):
            for role in ("engineer", "declarant"):
                _cogw(env, "user", "add", "--enterprise", ent_id, "--username", f"{prefix}-{role}", "--role", role,
                      extra_env={"COGW_USER_PASSWORD": PASSWORD})
        gateway = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", "0"], env=env,
                                   stdout=subprocess.PIPE, text=True)
        stack.procs.append(gateway)
        ready = wait_ready(gateway, 60, [])
        stack.base_url = f"http://127.0.0.1:{ready['port']}"
    except BaseException:
        stop_stack(stack)
        raise
    return stack


def stop_stack(stack: Stack) -> None:
    for proc in stack.procs:
        stop_process(proc)
    if stack.mock is not None:
        stack.mock.stop()


def _stack_fixture(mock_first: bool) -> Callable[..., Iterator[Stack]]:
    def fixture(tmp_path: Path, pki_dir: Path, pki_passphrase: str) -> Iterator[Stack]:
        stack = start_stack(tmp_path, f"sqlite:///{tmp_path / 'gateway.db'}", pki_dir, pki_passphrase,
                            mock_first=mock_first)
        try:
            yield stack
        finally:
            stop_stack(stack)

    return fixture


stack = pytest.fixture(_stack_fixture(mock_first=True))
stack_without_authority = pytest.fixture(_stack_fixture(mock_first=False))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"{CHROMIUM} is required in CI (.ci/system-deps installs it)")
        pytest.skip(f"{CHROMIUM} not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[[str], Any]]:
    """A fresh browser context (own cookies) per user: several users side by side in one test."""
    contexts: list[Any] = []

    def make(base_url: str) -> Any:
        ctx = browser.new_context(base_url=base_url, viewport={"width": 1360, "height": 900}, locale="zh-CN")
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def login(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/ui/"))


@pytest.fixture(scope="session", autouse=True)
def screenshots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where ``shot`` writes: docs/ui when refreshing the documentation, else the pytest tmp dir."""
    target = DOC_SCREENSHOTS if UPDATE_SCREENSHOTS else tmp_path_factory.mktemp("screenshots")
    _screenshots["dir"] = target
    return target


def shot(page: Any, name: str) -> None:
    target = _screenshots["dir"]
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)
