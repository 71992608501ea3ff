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

api = Blueprint("api", __name__, url_prefix="/api/v1")

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,100}")
STATUS_BY_OUTCOME = {"accepted": 202, "duplicate": 200, "conflict": 409, "rejected": 422, "malformed": 400}


def _container() -> Container:
    container: Container = current_app.extensions["cogw"]
    return container


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


@api.get("/messages/<message_id>")
@require_api_key
def get_message(message_id: str) -> Any:
    with _container().store.transaction() as tx:
        view = tx.message_view(g.enterprise_id, message_id)
    if view is None:
        return _problem(404, f"no message {message_id}")
    return jsonify(view)


@api.get("/messages/<message_id>/receipts")
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
    body = request.get_json(silent=True) or {}
    cert_type = body.get("cert_type")
    year = body.get("year")
    if not isinstance(cert_type, str) or (year is not None and not isinstance(year, int)):
        return _problem(400, 'send JSON {"cert_type": "E", "year": 2026}; year is optional (default: this year)')
    c = _container()
    try:
        cert_no = allocate_cert_no(c.store, c.clock, enterprise_id=g.enterprise_id, cert_type=cert_type, year=year)
    except NumberingError as exc:
        return _problem(422, str(exc))
    return jsonify({"cert_no": cert_no, "cert_type": cert_type.strip().upper()}), 201

