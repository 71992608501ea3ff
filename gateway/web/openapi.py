"""The OpenAPI 3.1 description of the ERP API, the single source served at GET /api/v1/openapi.json.

Hand-written so it says what the API promises (error shapes, status codes, limits); the schemathesis
test in tests/integration/test_openapi_schemathesis.py holds the running API to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify

from gateway.domain.erp_events import (
    CHANNELS,
    DOCUMENT_NO_PATTERN,
    EMAIL_PATTERN,
    EVENT_TYPES,
    SCOPES,
    SECRET_PATTERN,
    URL_PATTERN,
    USER_PATTERN,
)
from gateway.domain.numbering import TYPE_CODES
from gateway.services.resend import MAX_BULK
from gateway.web import openapi_files
from gateway.web.api import LISTABLE_STATES, MAX_OFFSET
from gateway.web.openapi_kit import (
    BAD_REQUEST,
    INT_ID,
    NOT_FOUND,
    UNAUTHORIZED,
    anchored,
    json_body,
    nullable,
    path_param,
    problem,
    query_param,
    ref,
)

openapi = Blueprint("openapi", __name__)

DELIVERY_STATES = ["PENDING", "DELIVERING", "DELIVERED", "RETRY_WAIT", "FAILED"]


def _subscription_branch(scope: str, channel: str) -> dict[str, Any]:
    """One (scope, channel) combination: the branches are disjoint, so oneOf states the rules exactly."""
    properties: dict[str, Any] = {
        "scope": {"const": scope}, "channel": {"const": channel},
        "target": {"type": "string", "maxLength": 500,
                   "pattern": anchored(URL_PATTERN if channel == "webhook" else EMAIL_PATTERN)}}
    required = ["scope", "channel", "target"]
    if scope == "document":
        properties["document_no"] = {"type": "string", "pattern": anchored(DOCUMENT_NO_PATTERN)}
        required.append("document_no")
    if scope == "user":
        properties["user"] = {"type": "string", "pattern": anchored(USER_PATTERN)}
        required.append("user")
    if channel == "webhook":
        properties["secret"] = {"type": "string", "pattern": anchored(SECRET_PATTERN)}
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object", "required": ["title", "status"],
        "properties": {"title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
                       "errors": {"type": "array", "items": {"type": "object"}}},
    },
    "Issue": {
        "type": "object", "required": ["rule", "path", "message"],
        "properties": {"rule": {"type": "string"}, "path": {"type": "string"}, "line": nullable("integer"),
                       "message": {"type": "string"}, "field_cn": {"type": "string"}},
    },
    "IntakeResult": {
        "type": "object", "required": ["outcome", "message_id", "state"],
        "properties": {
            "outcome": {"enum": ["accepted", "duplicate", "conflict", "rejected", "malformed"]},
            "message_id": nullable("string"), "state": nullable("string"),
            "errors": {"type": "array", "items": ref("Issue")},
            "links": {"type": "object", "properties": {"self": {"type": "string"}, "receipts": {"type": "string"}}},
        },
    },
    "Message": {
        "type": "object", "required": ["message_id", "state", "family", "message_type", "events"],
        "properties": {
            "message_id": {"type": "string"}, "enterprise_id": {"type": "string"}, "family": {"type": "string"},
            "message_type": {"type": "string"}, "authority": {"type": "string"}, "state": {"type": "string"},
            "document_no": nullable("string"), "attempts": {"type": "integer"}, "last_error": nullable("string"),
            "created_at": {"type": "string"}, "updated_at": {"type": "string"},
            "errors": {"type": "array", "items": ref("Issue")},
            "document": {"type": ["object", "null"]},
            "events": {"type": "array", "items": {"type": "object"}},
        },
    },
    "EditResult": {
        "type": "object", "required": ["outcome", "message_id", "state", "supersedes"],
        "properties": {"outcome": {"type": "string"}, "message_id": nullable("string"), "state": nullable("string"),
                       "supersedes": nullable("string"), "errors": {"type": "array", "items": ref("Issue")}},
    },
    "Receipt": {
        "type": "object", "required": ["receipt_id", "status_code", "status"],
        "properties": {"receipt_id": {"type": "string"}, "authority": {"type": "string"}, "kind": {"type": "string"},
                       "seq_no": {"type": "integer"}, "status_code": {"type": "string"}, "status": {"type": "string"},
                       "text": {"type": "string"}, "reasons": {"type": "array"}, "issued_at": nullable("string"),
                       "received_at": nullable("string")},
    },
    "Event": {
        "type": "object", "required": ["id", "cursor", "type", "enterprise_id", "created_at", "data"],
        "description": "The body of a webhook POST and of each inbox entry (the same bytes are signed).",
        "properties": {"id": {"type": "string", "description": "unique; also sent as X-COGW-Event-Id"},
                       "cursor": {"type": "integer"}, "type": {"enum": list(EVENT_TYPES)},
                       "enterprise_id": {"type": "string"}, "message_id": nullable("string"),
                       "created_at": {"type": "string"}, "data": {"type": "object"}},
    },
    "Webhook": {
        "type": "object", "required": ["url", "enabled"],
        "properties": {"url": {"type": "string"}, "enabled": {"type": "boolean"}, "created_at": {"type": "string"},
                       "updated_at": {"type": "string"},
                       "secret": {"type": "string", "description": "only when the gateway generated it: shown once"}},
    },
    "WebhookRequest": {
        "type": "object", "required": ["url"], "additionalProperties": False,
        "properties": {"url": {"type": "string", "pattern": anchored(URL_PATTERN), "maxLength": 500},
                       "secret": {"type": "string", "pattern": anchored(SECRET_PATTERN)},
                       "rotate_secret": {"type": "boolean"}},
    },
    "Delivery": {
        "type": "object", "required": ["id", "event_id", "state", "attempts", "log"],
        "properties": {
            "id": {"type": "integer"}, "event_id": {"type": "string"}, "event_type": {"type": "string"},
            "cursor": {"type": "integer"}, "message_id": nullable("string"), "destination": {"type": "string"},
            "channel": {"enum": list(CHANNELS)}, "state": {"enum": DELIVERY_STATES}, "attempts": {"type": "integer"},
            "next_attempt_at": nullable("string"), "last_error": nullable("string"),
            "created_at": {"type": "string"}, "delivered_at": nullable("string"),
            "log": {"type": "array", "items": {
                "type": "object", "required": ["attempt", "at", "latency_ms"],
                "properties": {"attempt": {"type": "integer"}, "at": {"type": "string"},
                               "status_code": nullable("integer"), "latency_ms": {"type": "integer"},
                               "error": nullable("string")}}},
        },
    },
    "Subscription": {
        "type": "object", "required": ["id", "scope", "channel", "target", "active"],
        "properties": {"id": {"type": "integer"}, "scope": {"enum": list(SCOPES)}, "document_no": nullable("string"),
                       "user": nullable("string"), "channel": {"enum": list(CHANNELS)}, "target": {"type": "string"},
                       "own_secret": {"type": "boolean"}, "active": {"type": "boolean"},
                       "created_at": {"type": "string"}, "cancelled_at": nullable("string")},
    },
    "SubscriptionRequest": {
        "description": "回执订阅. scope document (按业务单据号) needs document_no, the document or certificate "
                       "number; user (按个人) needs user, who submitted the documents; enterprise (按企业) needs "
                       "neither. channel webhook needs an http(s) URL as target and may carry its own secret "
                       "(else the enterprise webhook secret signs); email needs an address.",
        "oneOf": [_subscription_branch(scope, channel) for scope in SCOPES for channel in CHANNELS],
    },
}


def document() -> dict[str, Any]:
    this_year = datetime.now(UTC).year
    secured: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
    message_id = path_param("message_id", {"type": "string", "pattern": "^[0-9a-f]{32}$"}, "MessageId")
    paths: dict[str, Any] = {
        "/api/v1/messages": {"get": {
            "operationId": "listMessages", "summary": "Work lists: messages in some states, newest change first",
            "security": secured,
            "parameters": [{"name": "state", "in": "query", "required": True, "style": "form", "explode": True,
                            "schema": {"type": "array", "minItems": 1, "items": {"enum": sorted(LISTABLE_STATES)}},
                            "description": "one or more states, e.g. state=FAILED&state=ATTENTION"},
                           query_param("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "default 100"),
                           query_param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
                                       "default 0")],
            "responses": {"200": json_body({"type": "object", "required": ["messages", "limit", "offset"],
                                            "properties": {"messages": {"type": "array", "items": {
                                                "type": "object", "required": ["message_id", "state"]}},
                                                "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
                                           "A page of the work list"), **BAD_REQUEST, **UNAUTHORIZED}}, "post": {
            "operationId": "postMessage", "summary": "Push a business XML document", "security": secured,
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "pattern": "^[!-~]{1,100}$"}}],
            "requestBody": {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}},
            "responses": {"202": json_body(ref("IntakeResult"), "Accepted and queued"),
                          "200": json_body(ref("IntakeResult"), "The same document again: the first message"),
                          "400": json_body({"anyOf": [ref("IntakeResult"), ref("Problem")]},
                                       "Not XML, unsafe XML, unknown root (IntakeResult with errors); empty body or "
                                       "bad Idempotency-Key (Problem)"),
                          "409": json_body(ref("IntakeResult"), "Same document number, different content"),
                          "413": problem("Body larger than the configured limit"),
                          "422": json_body(ref("IntakeResult"), "XSD or business rules failed; every error located"),
                          **UNAUTHORIZED}}},
        "/api/v1/messages/{message_id}": {"get": {
            "operationId": "getMessage", "summary": "A message: state, history, document status", "security": secured,
            "parameters": [message_id],
            "responses": {"200": json_body(ref("Message"), "The message"), **UNAUTHORIZED, **NOT_FOUND}}},
        "/api/v1/messages/resend": {"post": {
            "operationId": "resendMessages", "summary": "Bulk retry: FAILED / ATTENTION messages back in the queue "
                                                        "with their MessageId; each one on its own",
            "security": secured,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["message_ids"], "properties": {"message_ids": {
                    "type": "array", "minItems": 1, "maxItems": MAX_BULK, "items": {"type": "string"}}}}}}},
            "responses": {"200": json_body({"type": "object", "required": ["requeued", "not_found", "refused"],
                                            "properties": {"requeued": {"type": "array"},
                                                           "not_found": {"type": "array"},
                                                           "refused": {"type": "object"}}},
                                           "What happened to each MessageId"), **BAD_REQUEST, **UNAUTHORIZED}}},
        "/api/v1/messages/{message_id}/resend": {"post": {
            "operationId": "resendMessage", "summary": "Resend one FAILED / ATTENTION message (same MessageId)",
            "security": secured, "parameters": [message_id],
            "responses": {"200": json_body({"type": "object", "required": ["message_id", "state"]}, "Queued again"),
                          **UNAUTHORIZED, **NOT_FOUND,
                          "409": problem("Not resendable in its state (the title says why)")}}},
        "/api/v1/messages/{message_id}/edit-and-resend": {"post": {
            "operationId": "editAndResend", "summary": "A corrected document as a new message linked to this one",
            "security": secured, "parameters": [message_id],
            "requestBody": {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}},
            "responses": {"202": json_body(ref("EditResult"), "Accepted and queued"),
                          "200": json_body(ref("EditResult"), "The same document again"),
                          "400": json_body({"anyOf": [ref("EditResult"), ref("Problem")]}, "Not XML or empty"),
                          "409": json_body({"anyOf": [ref("EditResult"), ref("Problem")]},
                                           "Not editable in its state, or a conflicting document number"),
                          "413": problem("Body larger than the configured limit"),
                          "422": json_body(ref("EditResult"), "XSD or business rules failed; every error located"),
                          **UNAUTHORIZED, **NOT_FOUND}}},
        "/api/v1/messages/{message_id}/receipts": {"get": {
            "operationId": "getReceipts", "summary": "Receipts of a message in order", "security": secured,
            "parameters": [message_id],
            "responses": {"200": json_body({"type": "object", "required": ["message_id", "receipts"], "properties": {
                "message_id": {"type": "string"}, "receipts": {"type": "array", "items": ref("Receipt")}}},
                "The receipts"), **UNAUTHORIZED, **NOT_FOUND}}},
        "/api/v1/certificate-numbers": {"post": {
            "operationId": "postCertificateNumber", "summary": "Next certificate number (证书号) for a type",
            "security": secured,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["cert_type"], "properties": {
                    "cert_type": {"enum": sorted(TYPE_CODES)},
                    "year": {"type": "integer", "minimum": this_year - 1, "maximum": this_year}}}}}},
            "responses": {"201": json_body({"type": "object", "required": ["cert_no", "cert_type"], "properties": {
                "cert_no": {"type": "string"}, "cert_type": {"type": "string"}}}, "Issued"),
                **BAD_REQUEST, **UNAUTHORIZED, "422": problem("Unknown type, year out of range, serials used up")}}},
        "/api/v1/inbox": {"get": {
            "operationId": "getInbox", "summary": "Events after a cursor (default: after the acknowledged one)",
            "security": secured,
            "parameters": [query_param("after", INT_ID, "return events with a greater cursor"),
                           query_param("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "default 100")],
            "responses": {"200": json_body({"type": "object", "required": ["events", "next_cursor", "acked_through",
                                                                        "has_more"], "properties": {
                "events": {"type": "array", "items": ref("Event")}, "next_cursor": {"type": "integer"},
                "acked_through": {"type": "integer"}, "has_more": {"type": "boolean"}}}, "A page of events"),
                **BAD_REQUEST, **UNAUTHORIZED}}},
        "/api/v1/inbox/ack": {"post": {
            "operationId": "ackInbox", "summary": "Acknowledge every event up to and including a cursor",
            "security": secured,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["cursor"], "properties": {"cursor": INT_ID}}}}},
            "responses": {"200": json_body({"type": "object", "required": ["acked_through"], "properties": {
                "acked_through": {"type": "integer"}}}, "Where the acknowledged cursor stands now"),
                **BAD_REQUEST, **UNAUTHORIZED, "409": problem("The cursor is beyond this enterprise's last event")}}},
        "/api/v1/webhook": {
            "get": {"operationId": "getWebhook", "summary": "The enterprise's webhook", "security": secured,
                    "responses": {"200": json_body(ref("Webhook"), "Registered"), **UNAUTHORIZED, **NOT_FOUND}},
            "put": {"operationId": "putWebhook", "summary": "Register or change the webhook (every event is POSTed "
                    "to it, signed with X-COGW-Signature)", "security": secured,
                    "requestBody": {"required": True,
                                    "content": {"application/json": {"schema": ref("WebhookRequest")}}},
                    "responses": {"200": json_body(ref("Webhook"), "Saved; `secret` present when generated"),
                                  **BAD_REQUEST, **UNAUTHORIZED, "422": problem("URL or secret not acceptable"),
                                  "503": problem("Webhooks are not enabled (no secret key configured)")}},
            "delete": {"operationId": "deleteWebhook", "summary": "Remove the webhook", "security": secured,
                       "responses": {"204": {"description": "Removed"}, **UNAUTHORIZED, **NOT_FOUND}}},
        "/api/v1/webhook/deliveries": {"get": {
            "operationId": "getDeliveries", "summary": "The delivery log: each event per destination, every attempt",
            "security": secured,
            "parameters": [query_param("event_id", {"type": "string", "pattern": "^[0-9a-f]{32}$"}, "X-COGW-Event-Id"),
                           query_param("state", {"enum": DELIVERY_STATES}, "only deliveries in this state"),
                           query_param("after", INT_ID, "deliveries with a greater id"),
                           query_param("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "default 100")],
            "responses": {"200": json_body({"type": "object", "required": ["deliveries"], "properties": {
                "deliveries": {"type": "array", "items": ref("Delivery")}}}, "Deliveries, oldest first"),
                **BAD_REQUEST, **UNAUTHORIZED}}},
        "/api/v1/webhook/deliveries/{delivery_id}/redeliver": {"post": {
            "operationId": "redeliver", "summary": "Queue a delivered or failed delivery again (log kept)",
            "security": secured, "parameters": [path_param("delivery_id", INT_ID, "delivery id")],
            "responses": {"202": json_body({"type": "object", "required": ["id", "state"], "properties": {
                "id": {"type": "integer"}, "state": {"const": "PENDING"}}}, "Queued"), **UNAUTHORIZED, **NOT_FOUND}}},
        "/api/v1/subscriptions": {
            "get": {"operationId": "listSubscriptions", "summary": "Subscriptions (订阅信息记录)", "security": secured,
                    "parameters": [query_param("include_cancelled", {"enum": ["true", "false"]}, "default false")],
                    "responses": {"200": json_body({"type": "object", "required": ["subscriptions"], "properties": {
                        "subscriptions": {"type": "array", "items": ref("Subscription")}}}, "Subscriptions"),
                        **BAD_REQUEST, **UNAUTHORIZED}},
            "post": {"operationId": "subscribe", "summary": "Subscribe (订阅)", "security": secured,
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": ref("SubscriptionRequest")}}},
                     "responses": {"201": {**json_body(ref("Subscription"), "Created"),
                                           "headers": {"Location": {"schema": {"type": "string"}}}},
                                   **BAD_REQUEST, **UNAUTHORIZED,
                                   "422": problem("Field errors; each names its field and the manual's name")}}},
        "/api/v1/subscriptions/{subscription_id}": {
            "get": {"operationId": "getSubscription", "summary": "One subscription", "security": secured,
                    "parameters": [path_param("subscription_id", INT_ID, "subscription id")],
                    "responses": {"200": json_body(ref("Subscription"), "The subscription"),
                                  **UNAUTHORIZED, **NOT_FOUND}},
            "delete": {"operationId": "cancelSubscription", "summary": "Cancel (取消订阅); kept in the record",
                       "security": secured,
                       "parameters": [path_param("subscription_id", INT_ID, "subscription id")],
                       "responses": {"204": {"description": "Cancelled"}, **UNAUTHORIZED, **NOT_FOUND}}},
        "/healthz": {"get": {"operationId": "healthz", "summary": "The process is alive", "security": [],
                             "responses": {"200": json_body({"type": "object", "required": ["status"]}, "Alive")}}},
        "/readyz": {"get": {"operationId": "readyz", "summary": "Database, migrations, keys, transports",
                            "security": [], "responses": {
                                "200": json_body({"type": "object", "required": ["status", "checks"]}, "Ready"),
                                "503": json_body({"type": "object", "required": ["status", "checks"]}, "Not ready")}}},
        "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics", "security": [],
                             "responses": {"200": {"description": "Prometheus text format",
                                                   "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
        "/api/v1/openapi.json": {"get": {"operationId": "openapi", "summary": "This document", "security": [],
                                         "responses": {"200": json_body({"type": "object"}, "OpenAPI 3.1")}}},
    }
    paths.update(openapi_files.paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "CO Gateway ERP API", "version": "1",
                 "description": "Push Certificate-of-Origin documents, read their state and receipts, and get "
                                "results back by pull inbox, signed webhooks or subscriptions. See "
                                "docs/erp-integration.md."},
        "paths": paths,
        "components": {
            "schemas": {**SCHEMAS, **openapi_files.SCHEMAS},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "cogw_<prefix>_<secret>"},
                                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        },
    }


@openapi.get("/api/v1/openapi.json")
def openapi_json() -> Any:
    return jsonify(document())
