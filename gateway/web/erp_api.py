"""The ERP hand-back API: pull inbox, webhook endpoint and its delivery log, receipt subscriptions.

Same API keys and tenant rules as the message routes: everything is scoped to the key's enterprise, and
another enterprise's subscription or delivery answers 404 like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from gateway.services.inbox import MAX_LIMIT, AckError, ack_inbox, read_inbox
from gateway.services.subscriptions import subscribe
from gateway.services.webhooks import WebhookConfigError, set_endpoint
from gateway.web.api import _container, _problem, json_int, require_api_key

erp = Blueprint("erp", __name__, url_prefix="/api/v1")

DELIVERY_STATES = ("PENDING", "DELIVERING", "DELIVERED", "RETRY_WAIT", "FAILED")
MAX_INT = 2**31 - 1  # ids and cursors are SQL INTEGER columns (SQLite and PostgreSQL alike)


class BadQuery(ValueError):
    pass


def _int_arg(name: str, default: int, *, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise BadQuery(f"{name} must be a whole number from {low} to {high}")
    value = int(raw)
    if not low <= value <= high:
        raise BadQuery(f"{name} must be a whole number from {low} to {high}")
    return value


def _json_object() -> dict[str, Any] | None:
    """The JSON object sent, or None (not JSON, not an object, or strings that are not valid Unicode)."""
    if not request.is_json:
        return None
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) and _encodable(body) else None


def _encodable(value: object) -> bool:
    # JSON lets "\ud800" through; such a string cannot be stored or signed, so it is a bad request.
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    if isinstance(value, dict):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_encodable(v) for v in value)
    return True


@erp.errorhandler(BadQuery)
def _bad_query(exc: BadQuery) -> Any:
    return _problem(400, str(exc))


# --- pull inbox ---------------------------------------------------------------------------------
@erp.get("/inbox")
@require_api_key
def get_inbox() -> Any:
    after = _int_arg("after", -1, low=0, high=MAX_INT) if "after" in request.args else None
    limit = _int_arg("limit", 100, low=1, high=MAX_LIMIT)
    page = read_inbox(_container().store, g.enterprise_id, after=after, limit=limit)
    return jsonify({"events": page.events, "next_cursor": page.next_cursor, "acked_through": page.acked_through,
                    "has_more": page.has_more})


@erp.post("/inbox/ack")
@require_api_key
def post_inbox_ack() -> Any:
    body = _json_object()
    cursor = None if body is None else json_int(body.get("cursor"))
    if cursor is None or not 0 <= cursor <= MAX_INT:
        return _problem(400, 'send JSON {"cursor": <the cursor of the last event you have processed>}')
    c = _container()
    try:
        acked = ack_inbox(c.store, c.clock, g.enterprise_id, cursor)
    except AckError as exc:
        return _problem(409, str(exc))
    return jsonify({"acked_through": acked})


# --- webhook endpoint ---------------------------------------------------------------------------
@erp.get("/webhook")
@require_api_key
def get_webhook() -> Any:
    with _container().store.transaction() as tx:
        endpoint = tx.webhook_endpoint(g.enterprise_id)
    if endpoint is None:
        return _problem(404, "no webhook registered: PUT /api/v1/webhook {\"url\": ...}")
    return jsonify(endpoint)


@erp.put("/webhook")
@require_api_key
def put_webhook() -> Any:
    body = _json_object()
    if body is None:
        return _problem(400, 'send JSON {"url": "https://erp.example/cogw", "secret": optional, '
                        '"rotate_secret": optional boolean}')
    unknown = sorted(set(body) - {"url", "secret", "rotate_secret"})
    url, secret, rotate = body.get("url"), body.get("secret"), body.get("rotate_secret", False)
    if unknown:
        return _problem(400, f"unknown field(s): {', '.join(unknown)}")
    if not isinstance(url, str) or ("secret" in body and not isinstance(secret, str)) or not isinstance(rotate, bool):
        return _problem(400, "url must be a string, secret a string, rotate_secret a boolean")
    c = _container()
    if c.secretbox is None:
        return _problem(503, "webhooks are not enabled on this gateway: GATEWAY_WEBHOOK_SECRET_KEY is not set")
    try:
        new_secret = set_endpoint(c.store, c.secretbox, c.clock, enterprise_id=g.enterprise_id, url=url,
                                  guard=c.egress_guard, secret=secret, rotate=rotate)
    except WebhookConfigError as exc:
        return _problem(422, str(exc), errors=[exc.error.as_dict()])
    with c.store.transaction() as tx:
        view = tx.webhook_endpoint(g.enterprise_id)
    assert view is not None
    if new_secret is not None and secret is None:
        view["secret"] = new_secret  # generated here: shown this once, stored only encrypted
    return jsonify(view), 200


@erp.delete("/webhook")
@require_api_key
def delete_webhook() -> Any:
    with _container().store.transaction() as tx:
        deleted = tx.delete_webhook_endpoint(g.enterprise_id)
    if not deleted:
        return _problem(404, "no webhook registered")
    return "", 204


@erp.get("/webhook/deliveries")
@require_api_key
def get_deliveries() -> Any:
    state = request.args.get("state")
    if state is not None and state not in DELIVERY_STATES:
        return _problem(400, f"state must be one of {', '.join(DELIVERY_STATES)}")
    event_id = request.args.get("event_id")
    if event_id is not None and not (len(event_id) == 32 and event_id.isascii() and event_id.isalnum()):
        return _problem(400, "event_id must be the 32-character id from X-COGW-Event-Id")
    after = _int_arg("after", 0, low=0, high=MAX_INT)
    limit = _int_arg("limit", 100, low=1, high=MAX_LIMIT)
    with _container().store.transaction() as tx:
        rows = tx.deliveries_view(g.enterprise_id, event_uid=event_id, state=state, after=after, limit=limit)
    return jsonify({"deliveries": rows})


@erp.post("/webhook/deliveries/<int:delivery_id>/redeliver")
@require_api_key
def post_redeliver(delivery_id: int) -> Any:
    c = _container()
    with c.store.transaction() as tx:
        ok = delivery_id <= MAX_INT and tx.redeliver(g.enterprise_id, delivery_id, c.clock.now())
    if not ok:
        return _problem(404, f"no delivered or failed delivery {delivery_id}")
    return jsonify({"id": delivery_id, "state": "PENDING"}), 202


# --- subscriptions (回执订阅) --------------------------------------------------------------------
@erp.get("/subscriptions")
@require_api_key
def get_subscriptions() -> Any:
    include = request.args.get("include_cancelled", "false")
    if include not in ("true", "false"):
        return _problem(400, "include_cancelled must be true or false")
    with _container().store.transaction() as tx:
        rows = tx.subscriptions(g.enterprise_id, include_cancelled=include == "true")
    return jsonify({"subscriptions": rows})


@erp.post("/subscriptions")
@require_api_key
def post_subscription() -> Any:
    body = _json_object()
    if body is None:
        return _problem(400, 'send JSON {"scope": "document|enterprise|user", "channel": "webhook|email", '
                        '"target": URL or address, "document_no" | "user": ...}')
    c = _container()
    result = subscribe(c.store, c.secretbox, c.clock, g.enterprise_id, body, guard=c.egress_guard)
    if result.errors:
        return _problem(422, "the subscription is not valid", errors=[e.as_dict() for e in result.errors])
    assert result.subscription is not None
    resp = jsonify(result.subscription)
    resp.headers["Location"] = f"/api/v1/subscriptions/{result.subscription['id']}"
    return resp, 201


@erp.get("/subscriptions/<int:subscription_id>")
@require_api_key
def get_subscription(subscription_id: int) -> Any:
    with _container().store.transaction() as tx:
        row = tx.subscription(g.enterprise_id, subscription_id) if subscription_id <= MAX_INT else None
    if row is None:
        return _problem(404, f"no subscription {subscription_id}")
    return jsonify(row)


@erp.delete("/subscriptions/<int:subscription_id>")
@require_api_key
def delete_subscription(subscription_id: int) -> Any:
    c = _container()
    with c.store.transaction() as tx:
        ok = subscription_id <= MAX_INT and tx.cancel_subscription(g.enterprise_id, subscription_id, c.clock.now())
    if not ok:
        return _problem(404, f"no subscription {subscription_id}")
    return "", 204
