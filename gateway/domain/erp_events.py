"""What the ERP is told, and who is told it: event kinds, the state changes worth telling, and the
subscription rules of seed 001 ch. 16 (回执订阅: 按业务单据号 / 按企业 / 按个人).

Pure rules; the store writes the events in the same transaction as the fact they describe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RECEIPT_APPLIED = "receipt.applied"
AUTHORITY_MESSAGE = "message.inbound"
STATE_CHANGED = "message.state_changed"
EVENT_TYPES = (RECEIPT_APPLIED, AUTHORITY_MESSAGE, STATE_CHANGED)

#: Delivery states the ERP hears about on their own: it left, the authority has it, it is finished, or it
#: needs a person (dead letter). QUEUED/SENDING/RETRY_WAIT churn would only be noise.
TOLD_STATES = frozenset({"SENT", "ACKNOWLEDGED", "DONE", "FAILED"})

#: Subscriptions are for what the authority says (审核回执 and documents it sends on its own).
SUBSCRIBABLE = frozenset({RECEIPT_APPLIED, AUTHORITY_MESSAGE})

SCOPES = ("document", "enterprise", "user")
CHANNELS = ("webhook", "email")
# Shared with the OpenAPI document (gateway.web.openapi), so the published schema is the rule itself.
EMAIL_PATTERN = r"[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}"
URL_PATTERN = r"https?://[^\s/?#\x00-\x1f\x7f]+(?:[/?#][^\s\x00-\x1f\x7f]*)?"
DOCUMENT_NO_PATTERN = r"[\x21-\x7e]{1,64}"
USER_PATTERN = r"[^\x00-\x1f\x7f]{1,64}"
SECRET_PATTERN = r"[\x21-\x7e]{16,200}"  # noqa: S105  (a pattern, not a secret)
_EMAIL, _URL, _DOCUMENT_NO, _USER, _SECRET = (re.compile(p) for p in (
    EMAIL_PATTERN, URL_PATTERN, DOCUMENT_NO_PATTERN, USER_PATTERN, SECRET_PATTERN))


@dataclass(frozen=True)
class SubscriptionRule:
    scope: str
    document_no: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class EventFacts:
    """What a subscription may match on."""

    event_type: str
    document_no: str | None
    cert_no: str | None
    submitted_by: str | None


def matches(rule: SubscriptionRule, facts: EventFacts) -> bool:
    if facts.event_type not in SUBSCRIBABLE:
        return False
    if rule.scope == "enterprise":
        return True
    if rule.scope == "document":
        return rule.document_no is not None and rule.document_no in {facts.document_no, facts.cert_no}
    if rule.scope == "user":
        return rule.user is not None and rule.user == facts.submitted_by
    return False


@dataclass(frozen=True)
class FieldError:
    field: str
    field_cn: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "field_cn": self.field_cn, "rule": self.rule, "message": self.message}


def check_subscription(body: dict[str, object]) -> list[FieldError]:
    """Every problem with a subscription request, each naming its field (Chinese name as in the manual)."""
    errors: list[FieldError] = []
    scope, channel, target = body.get("scope"), body.get("channel"), body.get("target")
    if scope not in SCOPES:
        errors.append(FieldError("scope", "订阅方式", "SUB.scope",
                                 f"scope must be one of {', '.join(SCOPES)} (按业务单据号 / 按企业 / 按个人)"))
    if channel not in CHANNELS:
        errors.append(FieldError("channel", "推送方式", "SUB.channel",
                                 f"channel must be one of {', '.join(CHANNELS)}"))
    document_no, user = body.get("document_no"), body.get("user")
    if scope == "document" and not (isinstance(document_no, str) and _DOCUMENT_NO.fullmatch(document_no)):
        errors.append(FieldError("document_no", "业务单据号", "SUB.document_no",
                                 "a document subscription needs document_no: 1-64 printable ASCII characters "
                                 "(the document number or certificate number 证书号)"))
    if scope != "document" and "document_no" in body:
        errors.append(FieldError("document_no", "业务单据号", "SUB.document_no",
                                 "document_no is only allowed with scope document"))
    if scope == "user" and not (isinstance(user, str) and _USER.fullmatch(user)):
        errors.append(FieldError("user", "用户", "SUB.user", "a user subscription needs user: 1-64 characters"))
    if scope != "user" and "user" in body:
        errors.append(FieldError("user", "用户", "SUB.user", "user is only allowed with scope user"))
    if channel == "email" and not (isinstance(target, str) and _EMAIL.fullmatch(target)):
        errors.append(FieldError("target", "接收地址", "SUB.target", "an e-mail subscription needs target: "
                                 "an e-mail address such as ops@example.com"))
    if channel == "webhook" and not (isinstance(target, str) and is_webhook_url(target)):
        errors.append(FieldError("target", "接收地址", "SUB.target",
                                 "a webhook subscription needs target: an http:// or https:// URL of at most 500 "
                                 "characters"))
    return errors


def is_webhook_url(url: str) -> bool:
    return len(url) <= 500 and _URL.fullmatch(url) is not None


def is_secret(secret: object) -> bool:
    """Webhook secrets: 16 to 200 printable ASCII characters (they go into HMAC keys and headers verbatim)."""
    return isinstance(secret, str) and _SECRET.fullmatch(secret) is not None
