"""A seeded fault-injecting HTTP proxy between the gateway's HTTP transport and mock customs.

It stands for a reverse proxy or load balancer in front of the authority: the faults happen outside
the authority, which never sees them (a 502 it never sent, a 503 before the request reaches it). Faults
of the authority itself are the mock's own scenarios (docs/mock_customs.md); the crash test uses those.

It forwards the authority API (``/api/v1/…``) and, at seeded random moments, answers instead of the
authority: 503 with Retry-After before forwarding (the upload never arrived), 502 *after* forwarding
(the upload arrived but the answer was lost, so the gateway retries a MessageId the authority has),
503 on the receipt feed, and 500 after forwarding an ack (the ack was lost, the receipts come again).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

FORWARDED_HEADERS = ("authorization", "content-type", "idempotency-key", "accept")


@dataclass
class FaultRates:
    inbound_503: float = 0.08  # refuse the upload, Retry-After: 1
    inbound_lost_answer: float = 0.05  # forward, then answer 502
    outbound_503: float = 0.08  # refuse the receipt feed, Retry-After: 1
    ack_lost: float = 0.10  # forward the ack, then answer 500
    retry_after: str = "1"  # what the refusals ask for


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a worker SIGKILLed mid-request resets its connection: expected here


@dataclass
class FaultProxy:
    upstream: str
    seed: int
    rates: FaultRates = field(default_factory=FaultRates)
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._client = httpx.Client(base_url=self.upstream, timeout=30)
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def roll(self, name: str, rate: float) -> bool:
        with self._lock:
            hit = self._rng.random() < rate
            if hit:
                self.injected[name] += 1
            return hit

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                r = proxy.rates
                if method == "POST" and path.endswith("/inbound") and proxy.roll("inbound_503", r.inbound_503):
                    return self._answer(503, b'{"error": "maintenance"}', retry_after=r.retry_after)
                if method == "GET" and path.endswith("/outbound") and proxy.roll("outbound_503", r.outbound_503):
                    return self._answer(503, b'{"error": "maintenance"}', retry_after=r.retry_after)
                headers = {k: v for k, v in self.headers.items() if k.lower() in FORWARDED_HEADERS}
                upstream = proxy._client.request(method, self.path, content=body, headers=headers)
                if path.endswith("/inbound") and proxy.roll("inbound_lost_answer", r.inbound_lost_answer):
                    return self._answer(502, b'{"error": "bad gateway"}')
                if path.endswith("/outbound/ack") and proxy.roll("ack_lost", r.ack_lost):
                    return self._answer(500, b'{"error": "internal"}')
                self._answer(upstream.status_code, upstream.content,
                             content_type=upstream.headers.get("content-type", "application/json"))

            def _answer(self, status: int, content: bytes, *, retry_after: str | None = None,
                        content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.end_headers()
                self.wfile.write(content)

        return Handler
