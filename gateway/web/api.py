"""The ERP API: push a business document, read its state, events and receipts.

Every route is scoped to the enterprise that owns the API key; another enterprise's message answers
404, exactly like a message that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from gateway.bootstrap import Container
from gateway.services.enterprises import authenticate
from gateway.services.intake import accept_message
from gateway.services.numbering import NumberingError, allocate_cert_no
from gateway.services.resend import MAX_BULK, edit_and_resend, resend

api = Blueprint("api", __name__, url_prefix="/api/v1")

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,100}")
STATUS_BY_OUTCOME = {"accepted": 202, "duplicate": 200, "conflict": 409, "rejected": 422, "malformed": 400}


def _container() -> Container:
    container: Container = current_app.extensions["cogw"]
    return container


def json_int(value: object) -> int | None:
    """A JSON integer: 7 or 7.0 (JSON Schema counts integral numbers as integers), never true/false."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _problem(status: int, title: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"title": title, "status": status, **extra}), status


def require_api_key(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        presented = header[7:] if header.lower().startswith("bearer ") else request.headers.get("X-API-Key", "")
        enterprise_id = authenticate(_container().store, presented) if presented else None
        if enterprise_id is None:
            resp, status = _problem(401, "missing or invalid API key")
            resp.headers["WWW-Authenticate"] = 'Bearer realm="cogw"'
            return resp, status
        g.enterprise_id = enterprise_id
        return view(*args, **kwargs)

    return wrapper


@api.post("/messages")
@require_api_key
def post_message() -> Any:
    raw = request.get_data(cache=False)
    if not raw:
        return _problem(400, "empty body: send the business XML document as the request body")
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        return _problem(400, "Idempotency-Key must be 1 to 100 printable ASCII characters")
    c = _container()
    result = accept_message(c.store, c.validator, c.clock, enterprise_id=g.enterprise_id, raw=raw,
                            idempotency_key=key)
    body: dict[str, Any] = {"outcome": result.outcome, "message_id": result.message_id, "state": result.state}
    if result.issues:
        body["errors"] = [i.as_dict() for i in result.issues]
    if result.message_id:
        body["links"] = {"self": f"/api/v1/messages/{result.message_id}",
                         "receipts": f"/api/v1/messages/{result.message_id}/receipts"}
    resp = jsonify(body)
    if result.outcome in {"accepted", "duplicate"}:
        resp.headers["Location"] = f"/api/v1/messages/{result.message_id}"
    return resp, STATUS_BY_OUTCOME[result.outcome]


@api.get("/messages/<string(length=32):message_id>")
@require_api_key
def get_message(message_id: str) -> Any:
    with _container().store.transaction() as tx:
        view = tx.message_view(g.enterprise_id, message_id)
        archived = tx.archived(g.enterprise_id, message_id) if view is None else None
    if archived is not None:
        return _problem(410, f"message {message_id} was purged by retention; it is kept in the archive",
                        archive=archived)
    if view is None:
        return _problem(404, f"no message {message_id}")
    return jsonify(view)


MAX_OFFSET = 2**31 - 1  # an SQL INTEGER, as every id and cursor of the API
LISTABLE_STATES = {"FAILED", "ATTENTION", "RETRY_WAIT", "QUEUED", "SENT", "ACKNOWLEDGED", "DONE", "REJECTED"}


@api.get("/messages")
@require_api_key
def list_messages() -> Any:
    """Work lists: `?state=FAILED&state=ATTENTION` (newest change first), `limit` ≤ 500, `offset`."""
    states = request.args.getlist("state")
    bad = [s for s in states if s not in LISTABLE_STATES]
    if not states or bad:
        return _problem(400, f"give state=… one or more of {', '.join(sorted(LISTABLE_STATES))}"
                        + (f" (unknown: {', '.join(bad)})" if bad else ""))
    try:
        limit = int(request.args.get("limit", 100))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        return _problem(400, "limit and offset must be integers")
    if not 1 <= limit <= 500 or not 0 <= offset <= MAX_OFFSET:
        return _problem(400, f"limit must be between 1 and 500 and offset between 0 and {MAX_OFFSET}")
    with _container().store.transaction() as tx:
        rows = tx.messages_in_state(states, enterprise_id=g.enterprise_id, limit=limit, offset=offset)
    return jsonify({"messages": rows, "limit": limit, "offset": offset})


@api.post("/messages/<string(length=32):message_id>/resend")
@require_api_key
def resend_one(message_id: str) -> Any:
    c = _container()
    result = resend(c.store, c.clock, [message_id], actor=f"api:{g.enterprise_id}", enterprise_id=g.enterprise_id)
    if result.not_found:
        return _problem(404, f"no message {message_id}")
    if result.refused:
        return _problem(409, result.refused[message_id], message_id=message_id)
    return jsonify({"message_id": message_id, "state": "QUEUED"}), 200


@api.post("/messages/resend")
@require_api_key
def resend_bulk() -> Any:
    body = request.get_json(silent=True)
    ids = body.get("message_ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids) or len(ids) > MAX_BULK:
        return _problem(400, f'send JSON {{"message_ids": ["…", …]}} with 1 to {MAX_BULK} MessageIds')
    c = _container()
    result = resend(c.store, c.clock, ids, actor=f"api:{g.enterprise_id}", enterprise_id=g.enterprise_id)
    return jsonify(result.as_dict()), 200


EDIT_STATUS = {**STATUS_BY_OUTCOME, "not_found": 404, "not_editable": 409}


@api.post("/messages/<string(length=32):message_id>/edit-and-resend")
@require_api_key
def edit_and_resend_one(message_id: str) -> Any:
    raw = request.get_data(cache=False)
    if not raw:
        return _problem(400, "empty body: send the corrected business XML document as the request body")
    c = _container()
    result = edit_and_resend(c.store, c.validator, c.clock, g.enterprise_id, message_id, raw,
                             actor=f"api:{g.enterprise_id}")
    if result.outcome == "not_found":
        return _problem(404, f"no message {message_id}")
    body: dict[str, Any] = {"outcome": result.outcome, "message_id": result.message_id, "state": result.state,
                            "supersedes": result.supersedes}
    if result.issues:
        body["errors"] = [i.as_dict() for i in result.issues]
    resp = jsonify(body)
    if result.outcome == "accepted":
        resp.headers["Location"] = f"/api/v1/messages/{result.message_id}"
    return resp, EDIT_STATUS[result.outcome]


@api.get("/messages/<string(length=32):message_id>/receipts")
@require_api_key
def get_receipts(message_id: str) -> Any:
    with _container().store.transaction() as tx:
        receipts = tx.receipts_view(g.enterprise_id, message_id)
    if receipts is None:
        return _problem(404, f"no message {message_id}")
    return jsonify({"message_id": message_id, "receipts": receipts})


@api.post("/certificate-numbers")
@require_api_key
def post_certificate_number() -> Any:
    """Hand out the next certificate number for a type (and year), for the ERP to put in CertNo."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        body = {}
    cert_type = body.get("cert_type")
    year = json_int(body.get("year"))
    if not isinstance(cert_type, str) or ("year" in body and year is None):
        return _problem(400, 'send JSON {"cert_type": "E", "year": 2026}; year is optional (default: this year)')
    c = _container()
    try:
        cert_no = allocate_cert_no(c.store, c.clock, enterprise_id=g.enterprise_id, cert_type=cert_type, year=year)
    except NumberingError as exc:
        return _problem(422, str(exc))
    return jsonify({"cert_no": cert_no, "cert_type": cert_type.strip().upper()}), 201

