"""A gateway for ERP hand-back tests: the real Container and Flask API on a real database, a controllable
clock, the in-memory transport towards the authority, and real receivers on loopback ports (an HTTP
webhook receiver that checks signatures itself, and an SMTP sink)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from adapters.memory import MemoryTransport
from gateway.bootstrap import Container
from gateway.config import Settings
from gateway.services.enterprises import issue_api_key, register_enterprise
from gateway.services.ports import EnterpriseInfo
from gateway.web.app import create_app
from messages import envelope, receipt
from signing.xmldsig import Verifier
from tests.integration.world import Clock

OURS = EnterpriseInfo("91350100M000100Y43", "Demo", "350100001")
THEIRS = EnterpriseInfo("91110000100000000X", "Other", "110000001")
SECRET_KEY = "test-only-webhook-key-0123456789"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool


@dataclass
class Receiver:
    """An ERP's webhook endpoint: verifies X-COGW-Signature with its own HMAC code (not the gateway's),
    answers with scripted status codes, and dedupes by X-COGW-Event-Id as the docs tell receivers to."""

    secret: str = ""
    script: list[int] = field(default_factory=list)  # statuses to answer next; then 200
    received: list[Received] = field(default_factory=list)
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)
    server: BaseWSGIServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/hooks/cogw"

    def check(self, header: str, body: bytes) -> bool:
        try:
            parts = dict(p.split("=", 1) for p in header.split(","))
            expected = hmac.new(self.secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        except (ValueError, KeyError):
            return False
        return hmac.compare_digest(expected, parts["v1"])

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        ok = self.check(request.headers.get("X-COGW-Signature", ""), body)
        self.received.append(Received(dict(request.headers), body, ok))
        status = self.script.pop(0) if self.script else 200
        if not ok:
            status = 401
        elif 200 <= status < 300:
            self.processed.setdefault(request.headers["X-COGW-Event-Id"], json.loads(body))
        return Response(b"ok" if status < 300 else b"nope", status=status)(environ, start_response)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.server = make_server("127.0.0.1", 0, r, threaded=True)
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    yield r
    r.server.shutdown()
    thread.join(timeout=10)


@dataclass
class SmtpSink:
    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(_free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@dataclass
class Hub:
    container: Container
    client: FlaskClient
    transport: MemoryTransport
    clock: Clock
    ours: str
    theirs: str

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.ours}"}

    def push(self, raw: bytes, key: str | None = None) -> str:
        r = self.client.post("/api/v1/messages", data=raw,
                             headers={**self.auth(key), "Content-Type": "application/xml"})
        assert r.status_code == 202, r.get_json()
        return str(r.get_json()["message_id"])

    def authority_sends(self, body: object, name: str) -> None:
        head = envelope.EnvelopeHead(message_id="e" * 32, message_type="CO_RECEIPT", sender_id="GACC",
                                     receiver_id=OURS.id, send_time=self.clock.now())
        signed = self.container.keystore.signer("GACC").sign(envelope.wrap(head, receipt.to_xml(body)))  # type: ignore[arg-type]
        self.transport.deliver(name, envelope.to_bytes(signed))

    def approve(self, mid: str, cert_no: str = "E263501000010001") -> None:
        now = self.clock.now()
        self.authority_sends(receipt.ImportResponse(f"GACC-{mid}-0", mid, "0", "accepted", now), f"{mid}-0.xml")
        self.authority_sends(receipt.BusinessReceipt(f"GACC-{mid}-2", mid, cert_no, 2, "APPROVED", "审核通过",
                                                     "审核通过, 可以领证", now), f"{mid}-2.xml")

    def inbox(self, key: str | None = None, **params: Any) -> dict[str, Any]:
        r = self.client.get("/api/v1/inbox", query_string=params, headers=self.auth(key))
        assert r.status_code == 200, r.get_json()
        return dict(r.get_json())


def make_hub(database_url: str, pki_dir: Path, pki_passphrase: str, clock: Clock | None = None,
             **settings: Any) -> Hub:
    clock = clock or Clock()
    settings.setdefault("webhook_allowed_targets", "127.0.0.1")  # the test receivers listen on loopback
    s = Settings(database_url=database_url, pki_dir=str(pki_dir), pki_passphrase=pki_passphrase,
                 webhook_secret_key=SECRET_KEY, webhook_retry_base_seconds=10, webhook_retry_cap_seconds=60,
                 webhook_max_attempts=3, webhook_timeout_seconds=5, **settings)
    c = Container(s, clock=clock)  # type: ignore[arg-type]
    transport = MemoryTransport()
    c.transports = {"GACC": transport}  # type: ignore[misc]
    c.verifiers = {"GACC": Verifier([c.keystore.certificate("GACC")])}  # type: ignore[misc]
    c.migrate()
    for ent in (OURS, THEIRS):
        register_enterprise(c.store, ent)
    ours, theirs = issue_api_key(c.store, OURS.id), issue_api_key(c.store, THEIRS.id)
    return Hub(c, create_app(c).test_client(), transport, clock, ours, theirs)


@pytest.fixture
def hub(database_url: str, pki_dir: Path, pki_passphrase: str) -> Iterator[Hub]:
    h = make_hub(database_url, pki_dir, pki_passphrase)
    yield h
    h.container.close()
