"""Tables for handing results back to the ERP: the event outbox, pull-inbox cursors, webhook endpoints,
subscriptions (seed 001 ch. 16) and the delivery log.

Events are written in the same transaction as the fact they describe (a receipt applied, an authority
document stored, a state change), so each fact becomes exactly one event; their ids are the cursor.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.models import Base
from gateway.db.types import UTCDateTime


class ErpEvent(Base):
    __tablename__ = "erp_events"
    __table_args__ = (Index("ix_erp_events_enterprise_id", "enterprise_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)  # the cursor
    event_uid: Mapped[str] = mapped_column(String(32), unique=True)  # X-COGW-Event-Id, for receiver dedupe
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"))
    event_type: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    document_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ErpInboxCursor(Base):
    """How far an enterprise has acknowledged its pull inbox."""

    __tablename__ = "erp_inbox_cursors"

    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    acked_through: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    """The enterprise's own webhook: receives every event. The secret is stored encrypted (HMAC needs it)."""

    __tablename__ = "webhook_endpoints"

    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    enabled: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Subscription(Base):
    """回执订阅: by document number, by enterprise or by user; delivered by webhook or e-mail."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_enterprise_active", "enterprise_id", "active"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"))
    scope: Mapped[str] = mapped_column(String(10))  # document | enterprise | user
    document_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str] = mapped_column(String(10))  # webhook | email
    target: Mapped[str] = mapped_column(String(500))  # URL or e-mail address
    secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    active: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Delivery(Base):
    """One event to one destination (the enterprise endpoint or a subscription), with its retry state."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "destination", name="uq_deliveries_event_destination"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_enterprise", "enterprise_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("erp_events.id", ondelete="CASCADE"))
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"))
    destination: Mapped[str] = mapped_column(String(40))  # endpoint | subscription:<id>
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(10))  # webhook | email
    state: Mapped[str] = mapped_column(String(12))  # PENDING | DELIVERING | DELIVERED | RETRY_WAIT | FAILED
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeliveryAttempt(Base):
    """The delivery log: every attempt with its HTTP status (or SMTP reply), latency and error."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
