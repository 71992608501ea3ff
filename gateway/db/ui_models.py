"""Tables the UI keeps on its own (migration 0011): certificate drafts (暂存) and the audit of user
administration. Neither is a message: a draft becomes one only when it is declared through intake."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.models import Base
from gateway.db.types import UTCDateTime


class CertificateDraft(Base):
    """暂存: an entry form saved without declaring. Declared drafts keep the MessageId they became."""

    __tablename__ = "certificate_drafts"
    __table_args__ = (Index("ix_certificate_drafts_enterprise_open", "enterprise_id", "declared_at", "deleted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"))
    cert_type: Mapped[str] = mapped_column(String(4))
    cert_no: Mapped[str] = mapped_column(String(20), default="")
    document_no: Mapped[str] = mapped_column(String(64), default="")
    dest_country: Mapped[str] = mapped_column(String(10), default="")
    data_json: Mapped[str] = mapped_column(Text)  # plain certificate data (head, goods, invoices)
    issues_json: Mapped[str] = mapped_column(Text, default="[]")  # problems of the last declare attempt
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock: edits and declares race
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    declared_message_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UserEvent(Base):
    """Who created, disabled or reset the password of which user, and when."""

    __tablename__ = "user_events"
    __table_args__ = (Index("ix_user_events_enterprise", "enterprise_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprises.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(80))  # ui:<username> or cli
    action: Mapped[str] = mapped_column(String(20))  # create | disable | reset_password
    username: Mapped[str] = mapped_column(String(64))  # the user acted on
    detail: Mapped[str] = mapped_column(String(200), default="")
