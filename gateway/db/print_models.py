"""Tables of self-print 自助打印: seals and signatures, print state per certificate, its history,
print exceptions and agent print authorisations (migration 0006)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.models import Base
from gateway.db.types import UTCDateTime


class PrintStamp(Base):
    """A seal 印章 or a declarant signature 签名, with its image and the size it prints at."""

    __tablename__ = "print_stamps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # SEAL | SIGNATURE
    name: Mapped[str] = mapped_column(String(50))
    seal_type: Mapped[str] = mapped_column(String(10), default="")  # COMPANY | CONTRACT | FINANCE
    shape: Mapped[str] = mapped_column(String(10), default="")  # ROUND | RECTANGLE | OVAL
    width_mm: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    height_mm: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    holder_name: Mapped[str] = mapped_column(String(50), default="")  # seal operator / declarant
    holder_id_no: Mapped[str] = mapped_column(String(18), default="")  # declarant's ID number (signatures)
    remark: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[bytes] = mapped_column(LargeBinary)
    image_format: Mapped[str] = mapped_column(String(4))
    image_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CertificatePrint(Base):
    """Self-print state of one certificate: layout received from customs, and pending/printed/archived."""

    __tablename__ = "certificate_prints"
    __table_args__ = (UniqueConstraint("enterprise_id", "cert_no", name="uq_certificate_prints_cert"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    cert_no: Mapped[str] = mapped_column(String(20))
    cert_type: Mapped[str] = mapped_column(String(4))
    layout_status: Mapped[str] = mapped_column(String(12))
    print_status: Mapped[str] = mapped_column(String(10))
    originals: Mapped[int] = mapped_column(Integer, default=0)
    copies: Mapped[int] = mapped_column(Integer, default=0)
    issue_date: Mapped[str] = mapped_column(String(10), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrintEvent(Base):
    """Everything that happened to a certificate's print state, with who and why."""

    __tablename__ = "print_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    print_pk: Mapped[int] = mapped_column(ForeignKey("certificate_prints.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(12))  # ORIGINAL | COPY | LAYOUT | EXCEPTION | ARCHIVE
    from_status: Mapped[str] = mapped_column(String(24), default="")
    to_status: Mapped[str] = mapped_column(String(24), default="")
    actor: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    ref: Mapped[str] = mapped_column(String(64), default="", index=True)  # layout notice message id, request no


class PrintExceptionRequest(Base):
    """异常申请列表: one print exception request and what it does."""

    __tablename__ = "print_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    print_pk: Mapped[int] = mapped_column(ForeignKey("certificate_prints.id", ondelete="CASCADE"), index=True)
    document_no: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(12))
    detail: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(32), default="")  # the PrintExceptionRequest sent to customs
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgentPrintGrant(Base):
    """代理打印授权: the exporter lets an agent (by 9-character organisation code) print its certificates."""

    __tablename__ = "agent_print_grants"
    __table_args__ = (UniqueConstraint("enterprise_id", "agent_org_code", name="uq_agent_print_grants_agent"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    agent_org_code: Mapped[str] = mapped_column(String(9))
    agent_name: Mapped[str] = mapped_column(String(100))
    authorised: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
