"""What the services need from the outside world, as small protocols and plain records.

Concrete implementations are picked in gateway.bootstrap: SQL store in gateway.db, transports in
adapters/, signing in signing/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Signer(Protocol):
    def sign(self, root: Any) -> Any: ...


class SignerProvider(Protocol):
    def signer(self, party_id: str) -> Signer: ...


class Verifier(Protocol):
    def verify(self, data: bytes) -> Any: ...


@dataclass(frozen=True)
class EnterpriseInfo:
    id: str
    name: str
    reg_no: str


@dataclass(frozen=True)
class MessageInfo:
    pk: int
    message_id: str
    enterprise_id: str
    family: str
    message_type: str
    authority: str
    state: str
    attempts: int
    raw_sha256: str
    document_no: str | None = None


@dataclass(frozen=True)
class NewMessage:
    message_id: str
    enterprise_id: str
    family: str
    message_type: str
    direction: str
    authority: str
    state: str
    document_no: str | None
    idempotency_key: str | None
    raw_sha256: str
    next_attempt_at: datetime | None
    supersedes: str | None = None  # edit-and-resend: the MessageId this one replaces


@dataclass(frozen=True)
class NewCertificate:
    cert_no: str
    cert_type: str
    document_no: str
    dest_country: str
    status: str


@dataclass(frozen=True)
class ReceiptRecord:
    authority: str
    receipt_id: str
    kind: str  # local | import_response | business
    seq_no: int
    status_code: str
    status: str
    text: str
    reasons: Sequence[dict[str, str]] = field(default_factory=tuple)
    issued_at: datetime | None = None
    content_sha256: str = ""
    raw: bytes | None = None


@dataclass(frozen=True)
class UserInfo:
    id: int
    enterprise_id: str
    username: str
    role: str
    password_hash: str = field(default="", repr=False)
    session_version: int = field(default=0, repr=False)  # bumped to revoke every session of the user


@dataclass(frozen=True)
class UserRecord:
    """A user as the admin's user list shows it: disabled ones too."""

    id: int
    enterprise_id: str
    username: str
    role: str
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class UserEvent:
    """One entry of the audit of user administration: who did what to which user, when."""

    at: datetime
    actor: str
    action: str  # create | disable | reset_password
    username: str
    detail: str


class DuplicateMessage(Exception):
    """Another request stored a message with the same idempotency key first."""


class Transaction(Protocol):
    """One unit of work; committed when the `with` block ends without an exception."""

    def enterprise(self, enterprise_id: str) -> EnterpriseInfo | None: ...
    def message_by_key(self, enterprise_id: str, key: str) -> MessageInfo | None: ...
    def message_by_message_id(self, message_id: str) -> MessageInfo | None: ...
    def create_message(
        self,
        new: NewMessage,
        *,
        raw: bytes,
        history: Sequence[tuple[str | None, str, str]],
        actor: str,
        certificate: NewCertificate | None = None,
        errors: bytes | None = None,
    ) -> MessageInfo: ...
    def claim_due(self, *, now: datetime, owner: str, lease_until: datetime, limit: int,
                  max_attempts: int | None = None,
                  max_attempts_by_authority: Mapping[str, int] | None = None) -> list[MessageInfo]: ...
    def renew_lease(self, message_pk: int, owner: str, until: datetime) -> bool: ...
    def payload(self, message_pk: int, kind: str) -> bytes | None: ...
    def save_payload(self, message_pk: int, kind: str, content: bytes) -> None: ...
    def transition(
        self,
        message_pk: int,
        to_state: str,
        *,
        actor: str,
        reason: str,
        expected_owner: str | None = None,
        next_attempt_at: datetime | None = None,
        last_error: str | None = None,
        error_class: str | None = None,
    ) -> bool: ...
    def requeue(self, message_pk: int, *, actor: str, reason: str, at: datetime) -> bool: ...
    def note(self, message_pk: int, *, actor: str, reason: str, at: datetime) -> None: ...
    def rekey(self, message_pk: int, key: str | None) -> None: ...
    def has_authority_receipt(self, message_pk: int) -> bool: ...
    def message_for(self, enterprise_id: str | None, message_id: str) -> MessageInfo | None: ...
    def superseded_by(self, message_id: str) -> str | None: ...
    def overdue_receipts(self, *, now: datetime, limit: int) -> list[MessageInfo]: ...
    def messages_in_state(self, states: Sequence[str], *, enterprise_id: str | None = None, limit: int = 100,
                          offset: int = 0) -> list[dict[str, Any]]: ...
    def count_by_state(self) -> dict[str, int]: ...
    def quarantine_list(self, *, status: str | None = "open", limit: int = 100) -> list[dict[str, Any]]: ...
    def quarantined(self, quarantine_id: int) -> tuple[str, str, bytes, str] | None: ...
    def settle_quarantine(self, quarantine_id: int, *, resolved: bool, text: str, at: datetime) -> None: ...
    def purgeable(self, *, done_before: datetime, failed_before: datetime, limit: int) -> list[int]: ...
    def archive_bundle(self, message_pk: int) -> dict[str, Any] | None: ...
    def record_archive(self, *, message_pk: int, archive_name: str, archive_sha256: str, archive_bytes: int,
                       at: datetime) -> None: ...
    def archived(self, enterprise_id: str, message_id: str) -> dict[str, Any] | None: ...
    def add_receipt(self, message_pk: int, receipt: ReceiptRecord, *, received_at: datetime) -> bool: ...
    def receipt_hash(self, authority: str, receipt_id: str) -> str | None: ...
    def certificate_status(self, message_pk: int) -> str | None: ...
    def set_certificate_status(
        self, message_pk: int, status: str, *, at: datetime, reasons: Sequence[dict[str, str]] = ()
    ) -> None: ...
    def quarantine(self, authority: str, file_name: str, content: bytes, reason: str, at: datetime,
                   enterprise_id: str | None = None) -> None: ...
    def add_enterprise(self, info: EnterpriseInfo) -> bool: ...
    def add_api_key(self, enterprise_id: str, prefix: str, key_hash: str, label: str) -> None: ...
    def api_key(self, prefix: str) -> tuple[str, str] | None: ...
    def revoke_api_key(self, prefix: str, at: datetime) -> bool: ...
    def take_serial(self, enterprise_id: str, cert_type: str, year: int) -> int: ...
    def cert_no_in_use(self, enterprise_id: str, cert_no: str) -> bool: ...
    def cert_no_owners(self, cert_no: str) -> set[str]: ...
    def message_view(self, enterprise_id: str, message_id: str) -> dict[str, Any] | None: ...
    def receipts_view(self, enterprise_id: str, message_id: str) -> list[dict[str, Any]] | None: ...
    # people (UI users) and agent/principal records
    def add_user(self, enterprise_id: str | None, username: str, password_hash: str, role: str) -> UserInfo | None: ...
    def user_by_username(self, username: str) -> UserInfo | None: ...
    def user_by_id(self, user_id: int) -> UserInfo | None: ...
    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...
    def bump_session_version(self, user_id: int) -> None: ...
    def disable_user(self, user_id: int, at: datetime) -> None: ...
    def users_of(self, enterprise_id: str) -> list[UserRecord]: ...
    def record_user_event(self, enterprise_id: str | None, *, actor: str, action: str, username: str, detail: str,
                          at: datetime) -> None: ...
    def user_events(self, enterprise_id: str, *, limit: int) -> list[UserEvent]: ...
    def add_principal(self, agent_id: str, principal_id: str) -> bool: ...
    def principals_of(self, agent_id: str) -> list[str]: ...


class Archive(Protocol):
    """Write-once storage for retention archives (files, object storage …)."""

    def put(self, name: str, content: bytes) -> str: ...  # returns where it went
    def get(self, name: str) -> bytes: ...


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[Transaction]: ...
