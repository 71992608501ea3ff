"""HttpTransport against the real mock customs HTTP API, and against a tiny local stub for failures.

The stub is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1:0 answering whatever the test queued; it
records the requests it saw. Nothing sleeps to synchronise: the one slow answer waits on an Event.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.base import InboundFile, OutboundFile, Transport, TransportError
from adapters.http import HttpConfig, HttpTransport
from tests.integration.test_mock_customs_http import TOKEN, Api, read_receipt, running


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from signing.pki import init_pki
    from tests.integration.test_mock_customs_http import ENTERPRISE, PASSPHRASE

    directory = tmp_path_factory.mktemp("pki")
    init_pki(directory, PASSPHRASE, [ENTERPRISE])
    return directory


@pytest.fixture
def mock(tmp_path: Path, pki: Path) -> Iterator[Api]:
    with running(tmp_path / "state", pki) as api:
        yield api


def transport_for(mock: Api, token: str = TOKEN, **overrides: Any) -> HttpTransport:
    return HttpTransport(HttpConfig(base_url=mock.mock.admin_url, token=token, timeout=10, **overrides))


@pytest.fixture
def transport(mock: Api) -> Iterator[HttpTransport]:
    t = transport_for(mock)
    yield t
    t.close()


def outbound_file(mock: Api, serial: int = 1) -> OutboundFile:
    mid, content = mock.signed(serial=serial)
    return OutboundFile(name=f"{mid}.xml", content=content, message_id=mid)


# -- against the mock ---------------------------------------------------------------------------


def test_http_transport_satisfies_the_transport_protocol(transport: HttpTransport) -> None:
    assert isinstance(transport, Transport)


def test_send_stores_the_envelope_and_a_retry_reports_already_present(mock: Api, transport: HttpTransport) -> None:
    item = outbound_file(mock)
    first = transport.send(item)
    assert (first.remote_name, first.bytes_sent, first.already_present) == (item.name, len(item.content), False)
    assert (mock.root / "inbound" / item.name).read_bytes() == item.content
    again = transport.send(item)
    assert (again.remote_name, again.bytes_sent, again.already_present) == (item.name, 0, True)
    mock.tick()
    assert mock.observed(item.message_id)["receive_count"] == 2


def test_same_message_id_with_other_content_is_a_permanent_error(mock: Api, transport: HttpTransport) -> None:
    item = outbound_file(mock, serial=1)
    transport.send(item)
    other = outbound_file(mock, serial=2)
    with pytest.raises(TransportError) as caught:
        transport.send(OutboundFile(name=item.name, content=other.content, message_id=item.message_id))
    assert caught.value.transient is False and "409" in str(caught.value)
    assert "different content" in str(caught.value)


def test_fetch_returns_signed_receipts_until_acked_then_moves_on(mock: Api, transport: HttpTransport) -> None:
    item = outbound_file(mock, serial=1)
    transport.send(item)
    mock.tick()
    fetched = transport.fetch(10)
    mid = item.message_id
    assert [f.name for f in fetched] == [f"GACC-{mid}-{stage}.xml" for stage in (1, 2, 3)]
    assert read_receipt(mock, fetched[-1].content).status_code == "APPROVED"
    assert [f.content for f in fetched] == [(mock.root / "outbound" / f.name).read_bytes() for f in fetched]
    assert transport.fetch(10) == fetched  # at-least-once: not acked, offered again
    assert transport.fetch(2) == fetched[:2]
    for f in fetched:
        transport.ack(f)
    transport.ack(fetched[0])  # idempotent
    assert transport.cursor == fetched[1].ref  # the last page ended there
    assert transport.fetch(10) == []  # the third was acked already: not offered again
    assert transport.cursor == fetched[-1].ref

    second = outbound_file(mock, serial=2)
    transport.send(second)
    mock.tick()
    assert [f.name for f in transport.fetch(10)] == [
        f"GACC-{second.message_id}-{stage}.xml" for stage in (1, 2, 3)]


def test_an_unacked_receipt_holds_the_cursor_back_and_is_offered_again(mock: Api, transport: HttpTransport) -> None:
    transport.send(outbound_file(mock))
    mock.tick()
    first, second, third = transport.fetch(10)
    transport.ack(first)
    transport.ack(third)  # second failed to store
    assert transport.cursor == first.ref
    assert transport.fetch(10) == [second]  # third: acked by this process, not offered again
    transport.ack(second)
    assert transport.cursor == third.ref
    assert transport.fetch(10) == []


def test_a_fresh_process_fetches_everything_not_yet_acked(mock: Api, transport: HttpTransport) -> None:
    transport.send(outbound_file(mock))
    mock.tick()
    first, second, third = transport.fetch(10)
    transport.ack(second)
    transport.close()
    with transport_for(mock) as restarted:  # no cursor: the server answers with what is not acked
        assert restarted.fetch(10) == [first, third]
    assert transport.fetch(10) == [first, third]  # the old one reconnects after close(); no cursor yet


def test_wrong_token_is_a_permanent_error(mock: Api) -> None:
    with transport_for(mock, token="wrong") as t:
        for call in (lambda: t.send(outbound_file(mock)), lambda: t.fetch(5),
                     lambda: t.ack(InboundFile(name="x.xml", content=b"", ref="1"))):
            with pytest.raises(TransportError) as caught:
                call()
            assert caught.value.transient is False and "401" in str(caught.value)
            assert "invalid bearer token" in str(caught.value)


def test_a_stopped_server_is_a_transient_error(mock: Api) -> None:
    t = transport_for(mock)
    item = outbound_file(mock)
    mock.mock.stop()
    try:
        for call in (lambda: t.send(item), lambda: t.fetch(5)):
            with pytest.raises(TransportError) as caught:
                call()
            assert caught.value.transient is True and caught.value.retry_after is None
    finally:
        t.close()


# -- against a stub -----------------------------------------------------------------------------


@dataclass
class Stub:
    """Answers queued ``(status, headers, body)``; records ``(method, path, headers, body)``."""

    server: ThreadingHTTPServer
    answers: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, status: int, body: Any = None, **headers: str) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
        self.answers.append((status, {k.replace("_", "-"): v for k, v in headers.items()}, raw))

    def transport(self, **overrides: Any) -> HttpTransport:
        values: dict[str, Any] = {"base_url": self.url, "token": "stub-token", "timeout": 5, **overrides}
        return HttpTransport(HttpConfig(**values))


@pytest.fixture
def stub() -> Iterator[Stub]:
    holder: dict[str, Stub] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            s = holder["stub"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            s.requests.append((self.command, self.path, dict(self.headers.items()), body))
            status, headers, raw = s.answers.pop(0) if s.answers else (500, {}, b"{}")
            if headers.pop("X-Stall", None):
                s.release.wait(10)  # the client times out first
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["stub"] = Stub(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield holder["stub"]
    finally:
        holder["stub"].release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


ITEM = OutboundFile(name="0123456789abcdef0123456789abcdef.xml", content=b"<Envelope/>",
                    message_id="0123456789abcdef0123456789abcdef")


def send_error(stub: Stub, **overrides: Any) -> TransportError:
    with stub.transport(**overrides) as t, pytest.raises(TransportError) as caught:
        t.send(ITEM)
    return caught.value


def test_503_with_retry_after_is_transient_and_carries_the_delay(stub: Stub) -> None:
    stub.answer(503, {"error": "maintenance"}, Retry_After="7")
    error = send_error(stub)
    assert (error.transient, error.retry_after) == (True, 7.0)
    assert "503" in str(error) and "maintenance" in str(error)
    assert "retry_after=7.0" in repr(error)


def test_429_with_an_http_date_retry_after_is_transient(stub: Stub) -> None:
    stub.answer(429, {"error": "slow down"}, Retry_After=email.utils.formatdate(time.time() + 120, usegmt=True))
    error = send_error(stub)
    assert error.transient is True and error.retry_after is not None and 100 < error.retry_after <= 120


@pytest.mark.parametrize("status", [500, 502, 504, 408])
def test_server_errors_and_request_timeout_are_transient(stub: Stub, status: int) -> None:
    stub.answer(status, {"error": "boom"})
    error = send_error(stub)
    assert (error.transient, error.retry_after) == (True, None)


@pytest.mark.parametrize(("status", "body"), [
    (422, {"error": "envelope refused: ReceiverId is not GACC"}),
    (400, {"error": "envelope refused: ReceiverId is not GACC"}),
    (403, b"envelope refused: ReceiverId is not GACC"),
    (413, {"error": "envelope refused: ReceiverId is not GACC"}),
])
def test_client_errors_are_permanent_with_the_servers_message(stub: Stub, status: int, body: Any) -> None:
    stub.answer(status, body)
    error = send_error(stub)
    assert error.transient is False and error.retry_after is None
    assert str(status) in str(error) and "envelope refused: ReceiverId is not GACC" in str(error)


def test_a_slow_server_is_a_transient_timeout(stub: Stub) -> None:
    stub.answer(202, {}, X_Stall="1")
    error = send_error(stub, timeout=0.3)
    assert error.transient is True and "timed out" in str(error)


def test_requests_carry_token_idempotency_key_and_cursor(stub: Stub) -> None:
    stub.answer(202, {"message_id": ITEM.message_id, "status": "accepted"})
    stub.answer(200, {"items": [{"id": "41", "name": "GACC-a-1.xml", "content_b64": "PGEvPg=="}], "next": "41"})
    stub.answer(200, {"acked": ["41"], "unknown": []})
    stub.answer(200, {"items": [], "next": "41"})
    with stub.transport(base_url=stub.url + "/", limit=20) as t:
        t.send(ITEM)
        [received] = t.fetch(50)
        assert (received.name, received.content, received.ref) == ("GACC-a-1.xml", b"<a/>", "41")
        t.ack(received)
        assert t.fetch(50) == []
    (m1, p1, h1, b1), (m2, p2, _, _), (m3, p3, _, b3), (_, p4, _, _) = stub.requests
    assert (m1, p1, b1) == ("POST", "/api/v1/inbound", ITEM.content)
    assert h1["Authorization"] == "Bearer stub-token" and h1["Idempotency-Key"] == ITEM.message_id
    assert h1["Content-Type"] == "application/xml"
    assert (m2, p2) == ("GET", "/api/v1/outbound?limit=20")  # capped by HttpConfig.limit, no cursor yet
    assert (m3, p3, json.loads(b3)) == ("POST", "/api/v1/outbound/ack", {"ids": ["41"]})
    assert p4 == "/api/v1/outbound?limit=20&after=41"


@pytest.mark.parametrize("body", [
    b"not json", {"items": "x"}, {"items": [{"id": "1", "name": "a.xml", "content_b64": "***"}]},
    {"items": [{"id": "1", "name": "../evil.xml", "content_b64": ""}]}, {"nothing": []},
])
def test_a_malformed_outbound_answer_is_a_permanent_error(stub: Stub, body: Any) -> None:
    stub.answer(200, body)
    with stub.transport() as t, pytest.raises(TransportError) as caught:
        t.fetch(5)
    assert caught.value.transient is False


def test_config_hides_the_token_and_finds_the_api_root() -> None:
    config = HttpConfig(base_url="https://customs.example/", token="very-secret")
    assert "very-secret" not in repr(config) and "very-secret" not in repr(HttpTransport(config))
    assert config.api_url == "https://customs.example/api/v1"
    assert HttpConfig(base_url="http://mock:8080/api/v1/CCPIT/", token="t").api_url == "http://mock:8080/api/v1/CCPIT"
    assert HttpConfig(base_url="http://gw/prefix", token="t").api_url == "http://gw/prefix/api/v1"
    for bad in ({"base_url": "ftp://x", "token": "t"}, {"base_url": "http://x", "token": ""},
                {"base_url": "http://x", "token": "t", "limit": 0},
                {"base_url": "http://x", "token": "t", "timeout": 0}):
        with pytest.raises(ValueError):
            HttpConfig(**bad)


def test_an_injected_client_is_used_and_left_open() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"message_id": ITEM.message_id, "status": "accepted"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        t = HttpTransport(HttpConfig(base_url="https://customs.example", token="tok"), client=client)
        assert t.send(ITEM).already_present is True
        t.close()
        assert not client.is_closed
    assert str(seen[0].url) == "https://customs.example/api/v1/inbound"
    assert seen[0].headers["Authorization"] == "Bearer tok"

