"""Draft tables of 核查互动 (seed 001 ch. 7, migration 0010): what a declarant prepares for a verification
record before 提交 — the uploaded materials (附件) and the saved product cost details (产品成本明细).

The record itself, the responses and the receipts are messages; only these drafts live here. A record is
named by (enterprise, 核查记录编号 RecordNo): customs may send the same record again (退回核查).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.models import Base
from gateway.db.types import UTCDateTime


class VerificationFileDraft(Base):
    """One uploaded PDF for a material of a record; sent as a ``VerificationFile`` message on 提交."""

    __tablename__ = "verification_files"
    # The response names files by FileName (VERIFICATION.ATTACHMENT_NAME_DUPLICATE): one name per record.
    __table_args__ = (UniqueConstraint("enterprise_id", "record_no", "file_name", name="uq_verification_files_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    record_no: Mapped[str] = mapped_column(String(64))
    file_type: Mapped[str] = mapped_column(String(10))
    pre_review_no: Mapped[str] = mapped_column(String(64), default="")  # '' = a record-wide material
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The VerificationFile message that carried it to customs (None until 提交).
    sent_message_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class VerificationCostDraft(Base):
    """The saved cost details of one product of a record (【保存】, l.1742), as the response will carry them."""

    __tablename__ = "verification_costs"
    __table_args__ = (UniqueConstraint("enterprise_id", "record_no", "pre_review_no", name="uq_verification_costs"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    record_no: Mapped[str] = mapped_column(String(64))
    pre_review_no: Mapped[str] = mapped_column(String(64))
    product_json: Mapped[str] = mapped_column(Text)  # the Product element as plain data (messages.generic shape)
    saved_by: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
