"""Ports for handing results back to the ERP: the event outbox, subscriptions, and the delivery channels.

The SQL store implements ErpTransaction next to the main Transaction (same session, same commit), so an
event is written exactly when the fact it describes is.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class DeliveryJob:
    delivery_id: int
    event_uid: str
    event_type: str
    enterprise_id: str
    message_id: str | None
    document_no: str | None
    channel: str  # webhook | email
    target: str | None  # URL or address; None when the destination was removed meanwhile
    secret_sealed: bytes | None
    attempts: int  # including the one now being made
    body: bytes  # the event as JSON, the exact bytes that are signed


@dataclass(frozen=True)
class NewSubscription:
    enterprise_id: str
    scope: str
    channel: str
    target: str
    document_no: str | None = None
    user: str | None = None
    secret_sealed: bytes | None = None


class SendResult(Protocol):
    @property
    def status_code(self) -> int | None: ...
    @property
    def latency_ms(self) -> int: ...
    @property
    def error(self) -> str | None: ...
    @property
    def ok(self) -> bool: ...
    @property
    def refused(self) -> bool: ...  # the destination is not allowed (egress rules): retrying cannot help


class WebhookSender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult: ...


class Refusal(Protocol):
    @property
    def rule(self) -> str: ...
    @property
    def reason(self) -> str: ...


class TargetGuard(Protocol):
    """Whether the gateway may send to a webhook URL (no loopback, private or metadata addresses unless the
    operator allows them); checked when a target is registered and again on every delivery."""

    def refusal(self, url: str) -> Refusal | None: ...


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str, headers: dict[str, str]) -> SendResult: ...


class SecretBox(Protocol):
    def seal(self, secret: str) -> bytes: ...
    def open(self, sealed: bytes) -> str: ...


class ErpTransaction(Protocol):
    # pull inbox
    def inbox_events(self, enterprise_id: str, after: int, limit: int) -> list[dict[str, Any]]: ...
    def inbox_acked(self, enterprise_id: str) -> int: ...
    def inbox_last(self, enterprise_id: str) -> int: ...
    def ack_inbox(self, enterprise_id: str, cursor: int, at: datetime) -> int: ...
    # webhook endpoint
    def set_webhook_endpoint(self, enterprise_id: str, url: str, secret_sealed: bytes | None, at: datetime) -> None: ...
    def webhook_endpoint(self, enterprise_id: str) -> dict[str, Any] | None: ...
    def delete_webhook_endpoint(self, enterprise_id: str) -> bool: ...
    # subscriptions
    def add_subscription(self, new: NewSubscription, at: datetime) -> dict[str, Any]: ...
    def subscriptions(self, enterprise_id: str, *, include_cancelled: bool) -> list[dict[str, Any]]: ...
    def subscription(self, enterprise_id: str, subscription_id: int) -> dict[str, Any] | None: ...
    def cancel_subscription(self, enterprise_id: str, subscription_id: int, at: datetime) -> bool: ...
    # deliveries
    def claim_deliveries(self, *, now: datetime, lease_until: datetime, limit: int) -> list[DeliveryJob]: ...
    def record_attempt(self, delivery_id: int, *, at: datetime, status_code: int | None, latency_ms: int,
                       error: str | None, outcome: str, next_attempt_at: datetime | None) -> None: ...
    def deliveries_view(self, enterprise_id: str, *, event_uid: str | None, state: str | None,
                        after: int, limit: int) -> list[dict[str, Any]]: ...
    def redeliver(self, enterprise_id: str, delivery_id: int, at: datetime) -> bool: ...


class ErpStore(Protocol):
    def transaction(self) -> AbstractContextManager[ErpTransaction]: ...

