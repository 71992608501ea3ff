"""What the self-print services need from storage, as plain records and one small protocol.

Kept apart from ``ports.py`` so the print tables can change without touching the delivery spine;
``gateway.db.print_store`` implements it on the same database.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class StampRecord:
    id: int
    enterprise_id: str
    kind: str
    name: str
    seal_type: str
    shape: str
    width_mm: Decimal
    height_mm: Decimal
    valid_from: date | None
    valid_to: date | None
    enabled: bool
    is_default: bool
    holder_name: str
    holder_id_no: str
    remark: str
    image_format: str
    image_sha256: str
    created_at: datetime


@dataclass(frozen=True)
class NewStamp:
    kind: str
    name: str
    seal_type: str
    shape: str
    width_mm: Decimal
    height_mm: Decimal
    valid_from: date | None
    valid_to: date | None
    holder_name: str
    holder_id_no: str
    remark: str
    image: bytes
    image_format: str


@dataclass(frozen=True)
class CertificateSource:
    """A stored certificate as the ERP sent it (the newest message carrying that number that was not rejected)."""

    cert_no: str
    cert_type: str
    status: str  # document status (DRAFT, APPROVED …)
    raw: bytes
    declared_at: datetime


@dataclass(frozen=True)
class PrintRecord:
    id: int
    cert_no: str
    cert_type: str
    layout_status: str
    print_status: str
    originals: int
    copies: int
    issue_date: str
    updated_at: datetime


@dataclass(frozen=True)
class LayoutNotice:
    """A PrintLayoutNotice customs sent (stored as an inbound message of the enterprise)."""

    message_id: str
    raw: bytes


class PrintTransaction(Protocol):
    # seals and signatures
    def add_stamp(self, enterprise_id: str, new: NewStamp, *, at: datetime) -> StampRecord: ...
    def stamps(self, enterprise_id: str, kind: str | None = None) -> list[StampRecord]: ...
    def stamp(self, enterprise_id: str, stamp_id: int) -> StampRecord | None: ...
    def stamp_image(self, enterprise_id: str, stamp_id: int) -> bytes | None: ...
    def update_stamp(self, enterprise_id: str, stamp_id: int, *, at: datetime, enabled: bool | None = None,
                     is_default: bool | None = None) -> StampRecord | None: ...
    def delete_stamp(self, enterprise_id: str, stamp_id: int) -> bool: ...
    # certificates and their print state
    def certificate_source(self, enterprise_id: str, cert_no: str) -> CertificateSource | None: ...
    def print_record(self, enterprise_id: str, cert_no: str, cert_type: str, *, at: datetime,
                     lock: bool = False) -> PrintRecord: ...
    def print_records(self, enterprise_id: str) -> list[PrintRecord]: ...
    def print_records_for(self, enterprise_id: str, cert_nos: Sequence[str]) -> dict[str, PrintRecord]: ...
    def set_print_state(self, print_pk: int, *, at: datetime, kind: str, actor: str, detail: str = "",
                        ref: str = "", layout_status: str | None = None, print_status: str | None = None,
                        originals: int = 0, copies: int = 0, issue_date: str | None = None) -> None: ...
    def print_events(self, print_pk: int) -> list[dict[str, str]]: ...
    def add_print_exception(self, print_pk: int, *, document_no: str, reason: str, action: str, detail: str,
                            message_id: str, at: datetime) -> None: ...
    def print_exceptions(self, print_pk: int) -> list[dict[str, str]]: ...
    def exception_count(self, enterprise_id: str) -> int: ...
    # layouts customs sent, not yet applied
    def unapplied_layout_notices(self, enterprise_id: str) -> Sequence[LayoutNotice]: ...
    def layout_notice_applied(self, message_id: str) -> bool: ...
    # agent print authorisation
    def set_agent_grant(self, enterprise_id: str, org_code: str, name: str, authorised: bool, *,
                        at: datetime) -> None: ...
    def agent_grants(self, enterprise_id: str) -> list[dict[str, object]]: ...
    def agent_authorised(self, exporter_id: str, agent_org_code: str) -> bool: ...


class PrintStore(Protocol):
    def transaction(self) -> AbstractContextManager[PrintTransaction]: ...
