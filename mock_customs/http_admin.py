"""The mock's HTTP admin endpoints (stdlib ``ThreadingHTTPServer``, JSON in and out, 127.0.0.1).

    GET  /healthz                       {"status": "ok", "authorities": [...]}
    POST /admin/enterprises             {"id", "reg_no", "certificate_pem", "authority"?: "GACC"} → 201
    GET  /admin/enterprises             registered enterprises
    GET  /admin/messages                every observed MessageId (?authority=GACC to filter)
    GET  /admin/messages/<MessageId>    receive count, decision, reasons, receipts (queued and emitted)
    GET  /admin/certificates            certificate numbers held (?authority=GACC)
    GET  /admin/records                 what the authority knows (?authority=&enterprise=&kind=)
    POST /admin/records                 seed a fact {"authority"?, "enterprise", "kind", "key", "status", "data"?}
    POST /admin/initiate/<kind>         an authority-initiated message (mock_customs/initiate.py)
    GET  /admin/initiated               the authority-initiated messages queued or sent (?authority=)
    POST /admin/tick                    process inbound and emit due receipts now; returns what happened
    GET  /admin/scenarios               active fault scenarios (how often each fired), seed, catalogue
    POST /admin/scenarios               {"scenarios": ["NAME:k=v", {"name": ..., k: v}], "seed"?: N} replaces
                                        the active set ([] clears it); 422 names the bad scenario/parameter
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509

from mock_customs.authority import Authority
from mock_customs.handlers.base import SYNC, SYNCED, UNSYNCED
from mock_customs.initiate import InitiateError, initiate
from mock_customs.registry import Registry
from mock_customs.scenarios import ScenarioError, Scenarios, faults_from

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
ENTERPRISE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/\-]{0,63}$")
REG_NO_RE = re.compile(r"^[0-9]{9}$")


class AdminError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class AdminApi:
    """The admin operations, independent of HTTP (the handler only routes)."""

    def __init__(
        self,
        registry: Registry,
        authorities: dict[str, Authority],
        clock: Callable[[], datetime],
        after_tick: Callable[[], None] | None = None,
        scenarios: Scenarios | None = None,
    ) -> None:
        self.scenarios = scenarios or Scenarios()
        self.registry = registry
        self.authorities = authorities
        self.clock = clock
        self.after_tick = after_tick  # lets the loop recompute when the next receipt is due

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "authorities": sorted(self.authorities)}

    def register_enterprise(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise AdminError(HTTPStatus.BAD_REQUEST, "expected a JSON object {id, reg_no, certificate_pem}")
        enterprise_id = payload.get("id")
        reg_no = payload.get("reg_no")
        pem = payload.get("certificate_pem")
        authority = payload.get("authority", "GACC")
        problems = []
        if not isinstance(enterprise_id, str) or not ENTERPRISE_ID_RE.match(enterprise_id):
            problems.append("id: 1-64 letters, digits or ._:/- (the SenderId the enterprise uses)")
        if not isinstance(reg_no, str) or not REG_NO_RE.match(reg_no):
            problems.append("reg_no: the 9-digit CO registration number (AplRegNo)")
        if authority not in self.authorities:
            problems.append(f"authority: one of {', '.join(sorted(self.authorities))}")
        if not isinstance(pem, str):
            problems.append("certificate_pem: the enterprise's X.509 certificate in PEM")
        else:
            try:
                x509.load_pem_x509_certificate(pem.encode("ascii"))
            except (ValueError, UnicodeEncodeError) as exc:
                problems.append(f"certificate_pem: not a PEM certificate ({exc})")
        if problems:
            raise AdminError(HTTPStatus.UNPROCESSABLE_ENTITY, "; ".join(problems))
        assert isinstance(enterprise_id, str) and isinstance(reg_no, str) and isinstance(pem, str)
        # Re-registering (a new certificate, say) keeps the sync state 同步状态 the authority holds unless the
        # request names it: a sync the enterprise never did must not appear, nor a pre-review duty vanish.
        current = self.registry.record(authority, enterprise_id, SYNC, "sync")
        synced = payload.get("synced", current.status == SYNCED if current else True)
        review_required = payload.get("product_review_required",
                                      bool(current.data.get("product_review_required")) if current else False)
        if not isinstance(synced, bool) or not isinstance(review_required, bool):
            raise AdminError(HTTPStatus.UNPROCESSABLE_ENTITY, "synced, product_review_required: true or false")
        now = self.clock()
        enterprise = self.registry.register_enterprise(authority, enterprise_id, reg_no, pem, now)
        # most operations need SYNCED (handlers/base.py)
        self.registry.put_record(authority, enterprise_id, SYNC, "sync", SYNCED if synced else UNSYNCED,
                                 {**(current.data if current else {}), "product_review_required": review_required},
                                 now)
        return {**enterprise.public(), "synced": synced, "product_review_required": review_required}

    def enterprises(self, authority: str | None) -> dict[str, Any]:
        return {"enterprises": [e.public() for e in self.registry.enterprises(authority)]}

    def messages(self, authority: str | None) -> dict[str, Any]:
        return {"messages": [o.public() for o in self.registry.observations(authority)]}

    def message(self, message_id: str, authority: str | None) -> dict[str, Any]:
        names = [authority] if authority else sorted(self.authorities)
        for name in names:
            obs = self.registry.observation(name, message_id)
            if obs is not None:
                return obs.public()
        raise AdminError(HTTPStatus.NOT_FOUND, f"message {message_id} has not been received")

    def certificates(self, authority: str | None) -> dict[str, Any]:
        names = [authority] if authority else sorted(self.authorities)
        return {"certificates": [c for name in names for c in self.registry.certificates(name)]}

    def scenario_view(self) -> dict[str, Any]:
        return self.scenarios.public()

    def set_scenarios(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict) or "scenarios" not in payload:
            raise AdminError(HTTPStatus.BAD_REQUEST,
                             'expected {"scenarios": ["NAME:k=v,...", {"name": "NAME", ...}], "seed": N}')
        seed = payload.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise AdminError(HTTPStatus.UNPROCESSABLE_ENTITY, f"seed must be an integer, got {seed!r}")
        try:
            faults = faults_from(payload["scenarios"])
        except ScenarioError as exc:
            raise AdminError(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc)) from exc
        self.scenarios.replace(faults, seed)
        log.info("scenarios now: %s (seed %d)", ", ".join(f.name for f in faults) or "none", self.scenarios.seed)
        return self.scenarios.public()

    def records(self, query: dict[str, str]) -> dict[str, Any]:
        found = self.registry.records(query.get("authority"), query.get("enterprise"), query.get("kind"))
        return {"records": [r.public() for r in found]}

    def put_record(self, payload: Any) -> dict[str, Any]:
        """Seed what the authority knows (networked import COs, a pre-review made elsewhere …)."""
        if not isinstance(payload, dict):
            raise AdminError(HTTPStatus.BAD_REQUEST, "expected a JSON object {enterprise, kind, key, status}")
        authority = payload.get("authority", "GACC")
        values = {name: payload.get(name) for name in ("enterprise", "kind", "key", "status")}
        data = payload.get("data", {})
        problems = [f"{name}: a non-empty string" for name, v in values.items() if not isinstance(v, str) or not v]
        if authority not in self.authorities:
            problems.append(f"authority: one of {', '.join(sorted(self.authorities))}")
        if not isinstance(data, dict):
            problems.append("data: a JSON object")
        if problems:
            raise AdminError(HTTPStatus.UNPROCESSABLE_ENTITY, "; ".join(problems))
        self.registry.put_record(authority, str(values["enterprise"]), str(values["kind"]), str(values["key"]),
                                 str(values["status"]), data, self.clock())
        found = self.registry.record(authority, str(values["enterprise"]), str(values["kind"]), str(values["key"]))
        assert found is not None
        return found.public()

    def initiate(self, kind: str, payload: Any) -> dict[str, Any]:
        try:
            queued = initiate(self.authorities, kind, payload)
        except InitiateError as exc:
            raise AdminError(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc)) from exc
        if self.after_tick is not None:
            self.after_tick()  # due now: let the loop emit it without waiting for the next poll
        return queued

    def initiated(self, authority: str | None) -> dict[str, Any]:
        found = self.registry.records(authority, None, "initiated")
        return {"initiated": [r.public() for r in found]}

    def tick(self) -> dict[str, Any]:
        result = {name: a.tick().as_dict() for name, a in sorted(self.authorities.items())}
        if self.after_tick is not None:
            self.after_tick()
        return result


class _Handler(BaseHTTPRequestHandler):
    server: _AdminServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("admin %s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        api = self.server.api
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        authority = query.get("authority")
        parts = [p for p in url.path.split("/") if p]
        try:
            payload = self._read_json() if method == "POST" else None
            if method == "GET" and parts == ["healthz"]:
                self._send(HTTPStatus.OK, api.health())
            elif parts == ["admin", "enterprises"] and method == "POST":
                self._send(HTTPStatus.CREATED, api.register_enterprise(payload))
            elif parts == ["admin", "enterprises"] and method == "GET":
                self._send(HTTPStatus.OK, api.enterprises(authority))
            elif parts == ["admin", "messages"] and method == "GET":
                self._send(HTTPStatus.OK, api.messages(authority))
            elif len(parts) == 3 and parts[:2] == ["admin", "messages"] and method == "GET":
                self._send(HTTPStatus.OK, api.message(parts[2], authority))
            elif parts == ["admin", "certificates"] and method == "GET":
                self._send(HTTPStatus.OK, api.certificates(authority))
            elif parts == ["admin", "scenarios"] and method == "GET":
                self._send(HTTPStatus.OK, api.scenario_view())
            elif parts == ["admin", "scenarios"] and method == "POST":
                self._send(HTTPStatus.OK, api.set_scenarios(payload))
            elif parts == ["admin", "records"] and method == "GET":
                self._send(HTTPStatus.OK, api.records(query))
            elif parts == ["admin", "records"] and method == "POST":
                self._send(HTTPStatus.CREATED, api.put_record(payload))
            elif len(parts) == 3 and parts[:2] == ["admin", "initiate"] and method == "POST":
                self._send(HTTPStatus.ACCEPTED, api.initiate(parts[2], payload))
            elif parts == ["admin", "initiated"] and method == "GET":
                self._send(HTTPStatus.OK, api.initiated(authority))
            elif parts == ["admin", "tick"] and method == "POST":
                self._send(HTTPStatus.OK, api.tick())
            else:
                raise AdminError(HTTPStatus.NOT_FOUND, f"no such endpoint: {method} {url.path}")
        except AdminError as exc:
            self._send(exc.status, {"error": exc.message})
        except Exception:
            log.exception("admin %s %s failed", method, self.path)
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error (see the mock's log)"})

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise AdminError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large")
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise AdminError(HTTPStatus.BAD_REQUEST, f"invalid JSON: {exc}") from exc

    def _send(self, status: HTTPStatus, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _AdminServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: AdminApi) -> None:
        super().__init__(address, _Handler)
        self.api = api


class AdminHttpServer:
    """Runs the admin API on ``host:port`` (0 = ephemeral; :attr:`port` is the bound one)."""

    def __init__(self, api: AdminApi, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _AdminServer((host, port), api)
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    def start(self) -> AdminHttpServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name=f"admin-http-{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.info("admin http on http://%s:%d", self.host, self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
