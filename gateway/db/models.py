"""SQLAlchemy 2 models: messages and their history, payloads, receipts, and document projections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gateway.db.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # USCC or another sender id
    name: Mapped[str] = mapped_column(String(200))
    reg_no: Mapped[str] = mapped_column(String(9))  # CO registration number 产地证备案号
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # public lookup part, never a secret
    key_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the secret part
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "idempotency_key", name="uq_messages_idempotency"),
        Index("ix_messages_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(32), unique=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    family: Mapped[str] = mapped_column(String(40))
    message_type: Mapped[str] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(10))
    authority: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20))
    document_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # NULL for rejected input, so a corrected document with the same number can be accepted later.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    raw_sha256: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_class: Mapped[str | None] = mapped_column(String(10), nullable=True)  # transient | permanent
    # Edit-and-resend: the MessageId this message replaces (a string, so the link survives retention).
    supersedes: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    events: Mapped[list[MessageEvent]] = relationship(
        back_populates="message", order_by="MessageEvent.id", cascade="all, delete-orphan"
    )


class MessageEvent(Base):
    __tablename__ = "message_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")

    message: Mapped[Message] = relationship(back_populates="events")


class Payload(Base):
    """Bytes exactly as received (raw), as sent (signed), and the errors we answered with."""

    __tablename__ = "payloads"
    __table_args__ = (UniqueConstraint("message_pk", "kind", name="uq_payloads_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # raw | signed | errors
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("authority", "receipt_id", name="uq_receipts_authority_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    authority: Mapped[str] = mapped_column(String(10))
    receipt_id: Mapped[str] = mapped_column(String(128))
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # local | import_response | business
    seq_no: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text, default="")
    reasons_json: Mapped[str] = mapped_column(Text, default="[]")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content_sha256: Mapped[str] = mapped_column(String(64))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class QuarantinedFile(Base):
    """An inbound file we could not verify or correlate: kept as received for re-processing."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("authority", "content_sha256", name="uq_quarantine_content"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    authority: Mapped[str] = mapped_column(String(10))
    file_name: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open | resolved
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # re-processing attempts
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)

    # Best-effort addressee (envelope ReceiverId) read once at insert: the UI filters on it in SQL.
    # NULL = unreadable: only a gateway operator (no tenant) sees such a file.
    enterprise_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)

class ArchivedMessage(Base):
    """A message purged by retention: where its archive (exactly what was sent and received) lives."""

    __tablename__ = "message_archive"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(32), unique=True)
    enterprise_id: Mapped[str] = mapped_column(String(32), index=True)
    message_type: Mapped[str] = mapped_column(String(40))
    document_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[str] = mapped_column(String(20))
    archive_name: Mapped[str] = mapped_column(String(255))
    archive_sha256: Mapped[str] = mapped_column(String(64))
    archive_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Certificate(Base):
    """The CO document; its status is a projection of the receipts."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("message_pk", name="uq_certificates_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    cert_no: Mapped[str] = mapped_column(String(20), index=True)
    cert_type: Mapped[str] = mapped_column(String(4))
    document_no: Mapped[str] = mapped_column(String(64))
    dest_country: Mapped[str] = mapped_column(String(3), default="")
    status: Mapped[str] = mapped_column(String(20))
    status_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reasons_json: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The declarant's own list marks (seed 001 ch. 5): hidden from the query, never removed from the gateway.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # 存档
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # 删除


class CertSerial(Base):
    """Last serial handed out per (enterprise, certificate type, year): numbers are never reused."""

    __tablename__ = "cert_serials"

    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    cert_type: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer)



class FolderFile(Base):
    """A file taken from a folder mailbox's OutBox, and what became of it (so a re-scan never re-submits)."""

    __tablename__ = "folder_files"
    __table_args__ = (UniqueConstraint("enterprise_id", "module", "file_name", "sha256", name="uq_folder_files"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    module: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))  # accepted | duplicate | conflict | rejected | malformed
    message_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    errors_json: Mapped[str] = mapped_column(Text, default="[]")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FolderExport(Base):
    """A receipt written into a folder mailbox's InBox: each receipt is exported exactly once."""

    __tablename__ = "folder_exports"
    __table_args__ = (UniqueConstraint("receipt_pk", name="uq_folder_exports_receipt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    receipt_pk: Mapped[int] = mapped_column(ForeignKey("receipts.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(255))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FolderSftpLogin(Base):
    """How an enterprise's ERP logs in to its folder mailbox over SFTP (password hash and/or public keys)."""

    __tablename__ = "folder_sftp_logins"

    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    authorized_keys: Mapped[str] = mapped_column(Text, default="")  # OpenSSH public key lines
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class User(Base):
    """A person using the UI; belongs to one enterprise. Only a salted, stretched password hash is kept."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # NULL only for gateway operators (role ``operator``), who belong to no tenant.
    enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprises.id"), index=True, nullable=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # admin | engineer | declarant | operator
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Kept in the session cookie and bumped on logout, password change and disable: old cookies die.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Principal(Base):
    """代理企业维护委托人信息: an agent enterprise declares for (and may see the documents of) a principal."""

    __tablename__ = "principals"

    agent_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    principal_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
