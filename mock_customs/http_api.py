"""The authority's HTTP API for enterprises, under ``/api/v1/`` on the admin HTTP server (same port).

The same mailbox semantics as SFTP, over HTTP (``docs/mock_customs.md``, "HTTP API")::

    POST /api/v1/inbound          body = the signed envelope (application/xml), Authorization: Bearer <token>,
                                  Idempotency-Key: <MessageId> (32 lowercase hex)
                                  202 {"message_id", "status": "accepted"}   stored in inbound/<MessageId>.xml
                                  200 the same body: a repeat with identical bytes (counted as a duplicate)
                                  409 same key, different bytes; 400 bad/missing key; 401 token; 413 > 5 MiB
    GET  /api/v1/outbound?after=<id>&limit=<n>
                                  200 {"items": [{"id", "name", "content_b64"}], "next": <id or null>}
                                  with ``after``: every receipt emitted after that id (acked or not);
                                  without: only receipts not acknowledged yet. Never destructive.
    POST /api/v1/outbound/ack     {"ids": [...]} → 200 {"acked": [...], "unknown": [...]} (idempotent)

``/api/v1/<AUTHORITY>/…`` addresses one authority by name (``/api/v1/CCPIT/inbound``); plain
``/api/v1/…`` is the first authority (the one SFTP users land in).

Submissions land in the authority's ``inbound/`` mailbox (temp name, then rename), so the processing
loop reviews them exactly like SFTP uploads. Every receipt the authority writes to ``outbound/`` is
also appended, with the same signed bytes, to an HTTP feed whose ids are a persisted, increasing
sequence (its own tables in the mock's SQLite registry). A repeat submission stores nothing: it is
queued and counted by the next tick through :meth:`Authority.receive_repeat`, once the original has
been picked up, so it shows as a duplicate in ``/admin/messages/<MessageId>`` like a re-uploaded file.

Admin views (no token, like the rest of ``/admin``): ``GET /admin/http/submissions`` and
``GET /admin/http/outbound`` (``?authority=``), and ``/admin/messages/<MessageId>`` gains an ``http``
section (submissions, feed items with ``acked_at``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mock_customs.authority import MESSAGE_ID_RE, Authority, TickResult
from mock_customs.http_admin import AdminApi, AdminError, AdminHttpServer, _AdminServer, _Handler
from mock_customs.registry import Registry, ScheduledReceipt
from mock_customs.scenarios import NO_FAULTS, Scenarios

log = logging.getLogger(__name__)

API_PREFIX = ("api", "v1")
MAX_INBOUND = 5 * 1024 * 1024  # request bodies above this get 413
MAX_DRAIN = 64 * 1024 * 1024  # an oversize body up to this is read and dropped (keeps the client able to read 413)
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
XML_TYPES = ("application/xml", "text/xml")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS http_submissions (
        authority TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        token_name TEXT NOT NULL,
        file_name TEXT NOT NULL,
        first_at TEXT NOT NULL,
        last_at TEXT NOT NULL,
        repeats INTEGER NOT NULL DEFAULT 0,
        conflicts INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (authority, idempotency_key)
    )""",
    """CREATE TABLE IF NOT EXISTS http_repeats (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        authority TEXT NOT NULL,
        message_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        counted_at TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS http_outbound (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        authority TEXT NOT NULL,
        receipt_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        name TEXT NOT NULL,
        content BLOB NOT NULL,
        sha256 TEXT NOT NULL,
        emitted_at TEXT NOT NULL,
        acked_at TEXT,
        ack_count INTEGER NOT NULL DEFAULT 0,
        acked_by TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS http_outbound_feed ON http_outbound (authority, acked_at, seq)",
    "CREATE INDEX IF NOT EXISTS http_outbound_message ON http_outbound (authority, message_id)",
)


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class HttpToken:
    """A bearer token the API accepts; ``name`` is what the mock records (like an SFTP user name)."""

    name: str
    token: str = field(repr=False)


def tokens_from_specs(specs: Iterable[str]) -> list[HttpToken]:
    """``NAME:TOKEN`` strings (the CLI's ``--http-token``) to tokens."""
    tokens = []
    for spec in specs:
        name, sep, token = spec.partition(":")
        if not sep or not name or not token:
            raise ValueError(f"--http-token expects NAME:TOKEN, got {spec!r}")
        tokens.append(HttpToken(name=name, token=token))
    return tokens


class ApiError(AdminError):
    def __init__(self, status: HTTPStatus, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, message)
        self.headers = dict(headers or {})


class EnterpriseApi:
    """The ``/api/v1`` operations, independent of HTTP. Attaches itself to the authorities' hooks."""

    def __init__(
        self,
        registry: Registry,
        authorities: dict[str, Authority],
        tokens: Iterable[HttpToken],
        clock: Callable[[], datetime],
        faults: Scenarios = NO_FAULTS,
    ) -> None:
        if not authorities:
            raise ValueError("at least one authority is needed")
        self.faults = faults  # fault scenarios: 500 / 503 answers, a slow outbound listing
        self.registry = registry
        self.authorities = authorities
        self.default_authority = next(iter(authorities))
        self.tokens = list(tokens)
        self.clock = clock
        self._submit_lock = threading.Lock()
        with registry.transaction() as db:
            for statement in SCHEMA:
                db.execute(statement)
        for authority in authorities.values():
            authority.emit_listeners.append(self._on_emit)
            authority.tick_hooks.append(self._count_repeats)

    # routing helpers -----------------------------------------------------------------------------
    def split_authority(self, parts: list[str]) -> tuple[str, list[str]]:
        """``["CCPIT", "inbound"]`` → ("CCPIT", ["inbound"]); ``["inbound"]`` → (first authority, …)."""
        if parts and parts[0] in self.authorities:
            return parts[0], parts[1:]
        return self.default_authority, parts

    def authenticate(self, header: str | None) -> str:
        """The token's name, or 401."""
        challenge = {"WWW-Authenticate": 'Bearer realm="mock_customs"'}
        scheme, _, presented = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise ApiError(HTTPStatus.UNAUTHORIZED, "Authorization: Bearer <token> is required", challenge)
        presented_bytes = presented.strip().encode("utf-8")
        found = None
        for token in self.tokens:  # compare against every token: no early exit timing
            if hmac.compare_digest(presented_bytes, token.token.encode("utf-8")):
                found = token.name
        if found is None:
            raise ApiError(HTTPStatus.UNAUTHORIZED, "invalid bearer token", challenge)
        return found

    # POST /inbound -------------------------------------------------------------------------------
    def submit(
        self, authority_id: str, token_name: str, key: str | None, content_type: str | None, body: bytes
    ) -> tuple[HTTPStatus, dict[str, Any]]:
        if key is None or not MESSAGE_ID_RE.match(key):
            raise ApiError(HTTPStatus.BAD_REQUEST,
                           "Idempotency-Key must be the MessageId: 32 lowercase hex characters")
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media not in XML_TYPES and not (media.startswith("application/") and media.endswith("+xml")):
            raise ApiError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/xml")
        if not body:
            raise ApiError(HTTPStatus.BAD_REQUEST, "the body must be the signed envelope; it is empty")
        digest = hashlib.sha256(body).hexdigest()
        authority = self.authorities[authority_id]
        answer = {"message_id": key, "status": "accepted"}
        with self._submit_lock:
            now = _ts(self.clock())
            with self.registry.transaction() as db:
                row = db.execute(
                    "SELECT sha256 FROM http_submissions WHERE authority = ? AND idempotency_key = ?",
                    (authority_id, key),
                ).fetchone()
                if row is not None:
                    if row["sha256"] != digest:
                        db.execute(
                            "UPDATE http_submissions SET conflicts = conflicts + 1, last_at = ?"
                            " WHERE authority = ? AND idempotency_key = ?", (now, authority_id, key),
                        )
                        conflict = True
                    else:
                        db.execute(
                            "UPDATE http_submissions SET repeats = repeats + 1, last_at = ?"
                            " WHERE authority = ? AND idempotency_key = ?", (now, authority_id, key),
                        )
                        db.execute(
                            "INSERT INTO http_repeats (authority, message_id, received_at) VALUES (?, ?, ?)",
                            (authority_id, key, now),
                        )
                        conflict = False
            if row is not None:
                if conflict:
                    log.warning("%s: http submission %s by %s: same key, different content", authority_id,
                                key, token_name)
                    raise ApiError(HTTPStatus.CONFLICT,
                                   f"Idempotency-Key {key} was already used with different content")
                log.info("%s: http submission %s by %s: repeat, nothing stored", authority_id, key, token_name)
                return HTTPStatus.OK, answer
            name = f"{key}.xml"
            _write_atomically(authority.inbound, name, body)  # first the file, then the record: no loss
            with self.registry.transaction() as db:
                db.execute(
                    "INSERT INTO http_submissions (authority, idempotency_key, sha256, size, token_name,"
                    " file_name, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (authority_id, key, digest, len(body), token_name, name, now, now),
                )
        log.info("%s: http submission %s by %s: %d bytes into inbound/", authority_id, key, token_name, len(body))
        return HTTPStatus.ACCEPTED, answer

    def _count_repeats(self, authority: Authority, result: TickResult) -> None:
        """Tick hook: count queued repeats whose original file has been picked up from inbound/."""
        with self.registry.transaction() as db:
            rows = db.execute(
                "SELECT id, message_id FROM http_repeats WHERE authority = ? AND counted_at IS NULL ORDER BY id",
                (authority.authority_id,),
            ).fetchall()
            for row in rows:
                message_id = row["message_id"]
                if (authority.inbound / f"{message_id}.xml").exists():
                    continue  # the original is still waiting: counting now would make it the duplicate
                authority.receive_repeat(message_id, f"http-repeat:{message_id}.xml", result)
                db.execute("UPDATE http_repeats SET counted_at = ? WHERE id = ?",
                           (_ts(self.clock()), row["id"]))

    # the outbound feed ---------------------------------------------------------------------------
    def _on_emit(self, authority: Authority, receipt: ScheduledReceipt, name: str, content: bytes) -> None:
        with self.registry.transaction() as db:
            db.execute(
                "INSERT INTO http_outbound (authority, receipt_id, message_id, name, content, sha256, emitted_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (authority.authority_id, receipt.receipt_id, receipt.message_id, name, content,
                 hashlib.sha256(content).hexdigest(), _ts(self.clock())),
            )

    def outbound(self, authority_id: str, after: str | None, limit: str | None) -> dict[str, Any]:
        count = DEFAULT_LIMIT
        if limit is not None:
            if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
                raise ApiError(HTTPStatus.BAD_REQUEST, f"limit must be an integer from 1 to {MAX_LIMIT}")
            count = int(limit)
        with self.registry.transaction() as db:
            if after is None:
                rows = db.execute(
                    "SELECT seq, name, content FROM http_outbound WHERE authority = ? AND acked_at IS NULL"
                    " ORDER BY seq LIMIT ?", (authority_id, count),
                ).fetchall()
            else:
                if not after.isdigit() or len(after) > 18:
                    raise ApiError(HTTPStatus.BAD_REQUEST, "after must be an id returned by this API")
                rows = db.execute(
                    "SELECT seq, name, content FROM http_outbound WHERE authority = ? AND seq > ?"
                    " ORDER BY seq LIMIT ?", (authority_id, int(after), count),
                ).fetchall()
        items = [
            {"id": str(r["seq"]), "name": r["name"],
             "content_b64": base64.b64encode(bytes(r["content"])).decode("ascii")}
            for r in rows
        ]
        return {"items": items, "next": items[-1]["id"] if items else after}

    def ack(self, authority_id: str, token_name: str, body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body) if body else None
        except ValueError as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"invalid JSON: {exc}") from exc
        ids = payload.get("ids") if isinstance(payload, dict) else None
        if (not isinstance(ids, list) or not ids or len(ids) > MAX_LIMIT
                or not all(isinstance(i, str) for i in ids)):
            raise ApiError(HTTPStatus.BAD_REQUEST, f'expected {{"ids": [1 to {MAX_LIMIT} ids as strings]}}')
        acked: list[str] = []
        unknown: list[str] = []
        now = _ts(self.clock())
        with self.registry.transaction() as db:
            for item_id in dict.fromkeys(ids):
                cursor = None
                if item_id.isdigit() and len(item_id) <= 18:
                    cursor = db.execute(
                        "UPDATE http_outbound SET acked_at = COALESCE(acked_at, ?), ack_count = ack_count + 1,"
                        " acked_by = COALESCE(acked_by, ?) WHERE authority = ? AND seq = ?",
                        (now, token_name, authority_id, int(item_id)),
                    )
                (acked if cursor is not None and cursor.rowcount == 1 else unknown).append(item_id)
        log.info("%s: http ack by %s: %s%s", authority_id, token_name, ", ".join(acked) or "-",
                 f" (unknown: {', '.join(unknown)})" if unknown else "")
        return {"acked": acked, "unknown": unknown}

    # admin views ---------------------------------------------------------------------------------
    def submissions(self, authority: str | None, message_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM http_submissions WHERE 1 = 1"
        args: list[Any] = []
        if authority:
            sql, args = sql + " AND authority = ?", [*args, authority]
        if message_id:
            sql, args = sql + " AND idempotency_key = ?", [*args, message_id]
        with self.registry.transaction() as db:
            rows = db.execute(sql + " ORDER BY first_at, idempotency_key", args).fetchall()
        return [dict(r) for r in rows]

    def feed(self, authority: str | None, message_id: str | None = None) -> list[dict[str, Any]]:
        sql = ("SELECT seq, authority, receipt_id, message_id, name, sha256, emitted_at, acked_at, ack_count,"
               " acked_by FROM http_outbound WHERE 1 = 1")
        args: list[Any] = []
        if authority:
            sql, args = sql + " AND authority = ?", [*args, authority]
        if message_id:
            sql, args = sql + " AND message_id = ?", [*args, message_id]
        with self.registry.transaction() as db:
            rows = db.execute(sql + " ORDER BY seq", args).fetchall()
        return [{**dict(r), "id": str(r["seq"])} for r in rows]


def _write_atomically(directory: Path, name: str, content: bytes) -> None:
    """``directory/.<name>.http.tmp`` then rename: the loop only picks complete names."""
    tmp = directory / f".{name}.http.tmp"
    with open(tmp, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, directory / name)


class _ApiServer(_AdminServer):
    def __init__(self, address: tuple[str, int], admin: AdminApi, api: EnterpriseApi) -> None:
        self.http_api = api
        super().__init__(address, admin)
        self.RequestHandlerClass = _ApiHandler


class _ApiHandler(_Handler):
    """The admin handler plus ``/api/v1`` and the ``/admin/http`` views."""

    server: _ApiServer

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if tuple(parts[:2]) == API_PREFIX:
            self._api(method, parts[2:], query)
            return
        api = self.server.http_api
        try:
            if method == "GET" and parts == ["admin", "http", "submissions"]:
                self._send(HTTPStatus.OK, {"submissions": api.submissions(query.get("authority"))})
                return
            if method == "GET" and parts == ["admin", "http", "outbound"]:
                self._send(HTTPStatus.OK, {"outbound": api.feed(query.get("authority"))})
                return
            if method == "GET" and len(parts) == 3 and parts[:2] == ["admin", "messages"]:
                view = self.server.api.message(parts[2], query.get("authority"))
                view["http"] = {
                    "submissions": api.submissions(view["authority"], parts[2]),
                    "outbound": api.feed(view["authority"], parts[2]),
                }
                self._send(HTTPStatus.OK, view)
                return
        except AdminError as exc:
            self._send(exc.status, {"error": exc.message})
            return
        super()._dispatch(method)

    def _api(self, method: str, parts: list[str], query: dict[str, str]) -> None:
        api = self.server.http_api
        try:
            body = self._read_body() if method == "POST" else b""
            authority, rest = api.split_authority(parts)
            endpoint = _ENDPOINTS.get((method, tuple(rest)))
            if endpoint is not None:
                self._scenario_fault(endpoint, "before")  # like a proxy in front: before authentication
            token_name = api.authenticate(self.headers.get("Authorization"))
            if endpoint == "inbound":
                status, answer = api.submit(authority, token_name, self.headers.get("Idempotency-Key"),
                                            self.headers.get("Content-Type"), body)
            elif endpoint == "outbound":
                delay = api.faults.listing_delay()
                if delay:
                    log.warning("scenario slow_mailbox: answering GET outbound in %.1f s", delay)
                    time.sleep(delay)  # the fault itself: a slow server, not synchronisation
                status, answer = HTTPStatus.OK, api.outbound(authority, query.get("after"), query.get("limit"))
            elif endpoint == "ack":
                status, answer = HTTPStatus.OK, api.ack(authority, token_name, body)
            else:
                raise ApiError(HTTPStatus.NOT_FOUND, f"no such endpoint: {method} {urlsplit(self.path).path}")
            self._scenario_fault(endpoint, "after")  # the work is done; the answer gets lost
            self._reply(status, answer)
        except ApiError as exc:
            self._reply(exc.status, {"error": exc.message}, exc.headers)
        except Exception:
            log.exception("api %s %s failed", method, self.path)
            self._reply(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error (see the mock's log)"})

    def _scenario_fault(self, endpoint: str, when: str) -> None:
        fault = self.server.http_api.faults.http_fault(endpoint, when)
        if fault is not None:
            log.warning("scenario: %s %s answered %d (%s)", self.command, self.path, fault.status, when)
            raise ApiError(HTTPStatus(fault.status), fault.message, fault.headers)

    def _read_body(self) -> bytes:
        """The request body, at most ``MAX_INBOUND`` bytes; an oversize one is drained, then 413."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            raise ApiError(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length (chunked bodies are not accepted)",
                           {"Connection": "close"})
        raw_length = self.headers.get("Content-Length") or "0"
        if not raw_length.isdigit():
            self.close_connection = True
            raise ApiError(HTTPStatus.BAD_REQUEST, "invalid Content-Length", {"Connection": "close"})
        length = int(raw_length)
        if length > MAX_INBOUND:
            if length <= MAX_DRAIN:
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 1 << 16))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            else:
                self.close_connection = True
            raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                           f"request body of {length} bytes exceeds the limit of {MAX_INBOUND} bytes")
        return self.rfile.read(length) if length else b""

    def _reply(self, status: HTTPStatus, body: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


_ENDPOINTS = {("POST", ("inbound",)): "inbound", ("GET", ("outbound",)): "outbound",
              ("POST", ("outbound", "ack")): "ack"}


class MockHttpServer(AdminHttpServer):
    """The admin API and the enterprise API on one ``host:port`` (0 = ephemeral)."""

    def __init__(self, admin: AdminApi, api: EnterpriseApi, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _ApiServer((host, port), admin, api)
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

