"""HTTP transport (httpx): the SFTP mailbox contract over an authority's ``/api/v1`` HTTP API.

    POST {api}/inbound        body = the envelope, ``Idempotency-Key: <MessageId>``
                              202 stored, 200 already stored with identical bytes, 409 same key other bytes
    GET  {api}/outbound?after=<id>&limit=<n>
                              {"items": [{"id", "name", "content_b64"}], "next"}; without ``after`` the
                              server returns the receipts not acknowledged yet
    POST {api}/outbound/ack   {"ids": [...]}

``{api}`` is ``base_url`` when its path already contains an ``/api/v1`` segment, else
``base_url + /api/v1`` (so ``https://customs.example/`` and ``http://mock:8080/api/v1/CCPIT`` both work).
Every request carries ``Authorization: Bearer <token>``.

Errors: connection failures, timeouts, 408, 429 and 5xx are ``TransportError(transient=True)`` with
``retry_after`` taken from a ``Retry-After`` header (seconds or an HTTP date); TLS certificate
failures and every other status (401, 403, 404, 409, 413, 422 …) are ``transient=False`` and carry
the server's message.

Receipt cursor: ``fetch`` asks for the items after the last id up to which everything this process
fetched has been acknowledged (None at start: the server then returns what is not acknowledged yet,
so a restarted gateway loses nothing; the caller dedupes receipts by id + hash). An item fetched but
never acknowledged holds the cursor back, so it is offered again, as an SFTP file would be; items this
process has acknowledged already are not offered again.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import logging
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from adapters.base import InboundFile, OutboundFile, SendResult, TransportError, check_file_name

__all__ = ["HttpConfig", "HttpTransport"]

log = logging.getLogger(__name__)

API_PATH = "/api/v1"
USER_AGENT = "co-gateway/0.1 (+adapters.http)"
_TRANSIENT_STATUSES = frozenset({408, 425, 429})
_MAX_ACKED = 10_000
_MAX_MESSAGE = 500  # characters of a server's error text kept in a TransportError


@dataclass(frozen=True, kw_only=True)
class HttpConfig:
    """One authority's HTTP API.

    ``verify``: True (system CAs), False (no TLS verification; experiments only) or the path of a
    CA bundle (PEM) to trust instead. ``limit``: the most receipts asked for per ``GET /outbound``.
    """

    base_url: str
    token: str = field(repr=False)
    timeout: float = 30.0
    verify: bool | str = True
    limit: int = 100

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"HttpConfig.base_url must be an http(s) URL, got {self.base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError("HttpConfig.base_url must not have a query or fragment")
        if not self.token:
            raise ValueError("HttpConfig.token is required")
        if self.timeout <= 0:
            raise ValueError("HttpConfig.timeout must be positive")
        if not 1 <= self.limit <= 1000:
            raise ValueError("HttpConfig.limit must be from 1 to 1000")
        if isinstance(self.verify, str) and not self.verify:
            raise ValueError("HttpConfig.verify must be a bool or a CA bundle path")

    @property
    def api_url(self) -> str:
        """The API root, without a trailing slash."""
        url = self.base_url.rstrip("/")
        segments = [s for s in urlsplit(url).path.split("/") if s]
        if any(segments[i : i + 2] == ["api", "v1"] for i in range(len(segments))):
            return url
        return url + API_PATH


class HttpTransport:
    """``Transport`` over the HTTP API. Thread-safe.

    The client is created lazily and closed by :meth:`close` (a later call creates a new one). A
    ``client`` passed in belongs to the caller: it is used as is (the URLs are absolute, the token
    goes on every request) and :meth:`close` leaves it open.
    """

    def __init__(self, config: HttpConfig, *, client: httpx.Client | None = None) -> None:
        self.config = config
        self._api = config.api_url
        self._external = client
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._cursor: str | None = None  # every item up to this id (that we fetched) has been acked
        self._window: list[str] = []  # ids fetched after the cursor, in server order
        self._acked: set[str] = set()  # acked ids not yet passed by the cursor

    def __enter__(self) -> HttpTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HttpTransport({self._api}, cursor={self._cursor!r})"

    @property
    def cursor(self) -> str | None:
        return self._cursor

    # -- Transport ------------------------------------------------------------------------------

    def send(self, item: OutboundFile) -> SendResult:
        check_file_name(item.name)
        response = self._request(
            "POST", "/inbound", f"send {item.name}", content=item.content,
            headers={"Content-Type": "application/xml", "Idempotency-Key": item.message_id},
        )
        if response.status_code == 200:
            log.info("http send %s: already present (%d bytes)", item.name, len(item.content))
            return SendResult(remote_name=item.name, bytes_sent=0, already_present=True)
        if response.status_code in (201, 202):
            log.info("http send %s: %d bytes accepted", item.name, len(item.content))
            return SendResult(remote_name=item.name, bytes_sent=len(item.content), already_present=False)
        raise TransportError(
            f"http send {item.name}: unexpected status {response.status_code}{_detail(response)}", transient=False
        )

    def fetch(self, limit: int) -> list[InboundFile]:
        if limit <= 0:
            return []
        with self._lock:
            cursor = self._cursor
        params: dict[str, str | int] = {"limit": min(limit, self.config.limit)}
        if cursor is not None:
            params["after"] = cursor
        response = self._request("GET", "/outbound", "fetch", params=params)
        items = _parse_items(response)
        with self._lock:
            ids = [i.ref for i in items]
            if self._cursor != cursor and self._cursor in ids:  # an ack moved the cursor meanwhile
                ids = ids[ids.index(self._cursor) + 1 :]
            self._window = ids
            acked = set(self._acked)
            self._advance()
        return [i for i in items if i.ref not in acked]  # acked by this process already: stored

    def ack(self, item: InboundFile) -> None:
        self._request("POST", "/outbound/ack", f"ack {item.name}", json={"ids": [item.ref]})
        log.info("http ack %s (%s)", item.name, item.ref)
        with self._lock:
            self._acked.add(item.ref)
            self._advance()

    def ack_many(self, items: Sequence[InboundFile]) -> None:
        """Acknowledge several stored items in one request (the API takes a list of ids)."""
        if not items:
            return
        refs = [i.ref for i in items]
        self._request("POST", "/outbound/ack", f"ack {len(refs)} receipts", json={"ids": refs})
        log.info("http ack %d receipts", len(refs))
        with self._lock:
            self._acked.update(refs)
            self._advance()

    def _advance(self) -> None:
        """Move the cursor over the acked prefix of the window (lock held)."""
        while self._window and self._window[0] in self._acked:
            self._cursor = self._window.pop(0)
            self._acked.discard(self._cursor)
        if len(self._acked) > _MAX_ACKED:  # acks of ids never seen in a window: forget them
            self._acked &= set(self._window)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- plumbing -------------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        if self._external is not None:
            return self._external
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=self.config.timeout, verify=_verify(self.config.verify), follow_redirects=False,
                    headers={"User-Agent": USER_AGENT},
                )
            return self._client

    def _request(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.config.token}", "Accept": "application/json",
                   **kwargs.pop("headers", {})}
        url = self._api + path
        try:
            response = self._http().request(method, url, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransportError(f"http {what}: timed out: {exc!r}", transient=True) from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise TransportError(f"http {what}: {exc}", transient=False) from exc
        except httpx.TransportError as exc:
            if _tls_verification_failed(exc):
                raise TransportError(f"http {what}: TLS certificate not trusted: {exc}", transient=False) from exc
            raise TransportError(f"http {what}: {type(exc).__name__}: {exc}", transient=True) from exc
        status = response.status_code
        if 200 <= status < 300:
            return response
        message = f"http {what}: {method} {url} → {status}{_detail(response)}"
        if status >= 500 or status in _TRANSIENT_STATUSES:
            raise TransportError(message, transient=True, retry_after=_retry_after(response))
        raise TransportError(message, transient=False)


def _verify(verify: bool | str) -> bool | ssl.SSLContext:
    if isinstance(verify, bool):
        return verify
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise TransportError(f"cannot load the CA bundle {verify!r}: {exc}", transient=False) from exc


def _tls_verification_failed(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _detail(response: httpx.Response) -> str:
    """The server's own words: ``{"error": …}`` of a JSON answer, else the start of its text."""
    try:
        text = response.text
    except Exception:  # undecodable body: the status must do
        return ""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        text = payload["error"]
    text = " ".join(text.split())
    if not text:
        return ""
    return ": " + (text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…")


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds from now: delay-seconds or an HTTP date; None when absent or bad."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


def _parse_items(response: httpx.Response) -> list[InboundFile]:
    try:
        payload = response.json()
        raw_items = payload["items"]
        if not isinstance(raw_items, list):
            raise TypeError("items is not a list")
        items = []
        for raw in raw_items:
            item_id, name = raw["id"], raw["name"]
            if not isinstance(item_id, str) or not item_id or not isinstance(name, str):
                raise TypeError("id and name must be strings")
            content = base64.b64decode(str(raw["content_b64"]), validate=True)
            items.append(InboundFile(name=name, content=content, ref=item_id))
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise TransportError(f"http fetch: malformed /outbound answer: {exc!r}", transient=False) from exc
    for item in items:
        check_file_name(item.name)  # a name we may write to disk: one visible path component
    return items
