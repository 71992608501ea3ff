"""The SQL implementation of the services' Store/Transaction ports."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import models as m
from gateway.db.erp_outbox import ErpOutbox
from gateway.db.store_people import PeopleSql
from gateway.domain.delivery import RESENDABLE, can_transition
from gateway.services.ports import (
    Clock,
    DuplicateMessage,
    EnterpriseInfo,
    MessageInfo,
    NewCertificate,
    NewMessage,
    ReceiptRecord,
)
from messages import envelope, safexml
from messages.errors import MessagesError
from messages.generic import find_text

CLAIMABLE = ("QUEUED", "RETRY_WAIT")


def addressed_to(content: bytes) -> str | None:
    """The enterprise a file says it is for (its unverified envelope ReceiverId); None if unreadable."""
    try:
        head, _ = envelope.unwrap(safexml.parse(content))
    except (MessagesError, ValueError):
        return None
    receiver = (head.receiver_id or "").strip()
    return receiver[:32] or None


def _info(row: m.Message) -> MessageInfo:
    return MessageInfo(pk=row.id, message_id=row.message_id, enterprise_id=row.enterprise_id, family=row.family,
                       message_type=row.message_type, authority=row.authority, state=row.state,
                       attempts=row.attempts, raw_sha256=row.raw_sha256, document_no=row.document_no)


class SqlTransaction(PeopleSql, ErpOutbox):
    def __init__(self, session: Session, clock: Clock) -> None:
        self.s = session
        self.clock = clock  # stamps what the caller gives no time for: every stored time is the gateway's clock
        self._postgres = session.get_bind().dialect.name == "postgresql"

    # --- lookups -------------------------------------------------------------------------------
    def enterprise(self, enterprise_id: str) -> EnterpriseInfo | None:
        row = self.s.get(m.Enterprise, enterprise_id)
        return EnterpriseInfo(row.id, row.name, row.reg_no) if row else None

    def message_by_key(self, enterprise_id: str, key: str) -> MessageInfo | None:
        row = self.s.scalar(select(m.Message).where(m.Message.enterprise_id == enterprise_id,
                                                    m.Message.idempotency_key == key))
        return _info(row) if row else None

    def message_by_message_id(self, message_id: str) -> MessageInfo | None:
        stmt = select(m.Message).where(m.Message.message_id == message_id)
        if self._postgres:
            stmt = stmt.with_for_update()  # receipts for one message are applied one at a time
        row = self.s.scalar(stmt)
        return _info(row) if row else None

    # --- intake -------------------------------------------------------------------------------
    def create_message(self, new: NewMessage, *, raw: bytes, history: Sequence[tuple[str | None, str, str]],
                       actor: str, certificate: NewCertificate | None = None,
                       errors: bytes | None = None) -> MessageInfo:
        now = self.clock.now()
        row = m.Message(message_id=new.message_id, enterprise_id=new.enterprise_id, family=new.family,
                        message_type=new.message_type, direction=new.direction, authority=new.authority,
                        state=new.state, document_no=new.document_no, idempotency_key=new.idempotency_key,
                        raw_sha256=new.raw_sha256, attempts=0, next_attempt_at=new.next_attempt_at,
                        supersedes=new.supersedes, created_at=now, updated_at=now)
        self.s.add(row)
        try:
            self.s.flush()
        except IntegrityError as exc:
            raise DuplicateMessage(new.idempotency_key) from exc
        for from_state, to_state, reason in history:
            self.s.add(m.MessageEvent(message_pk=row.id, at=now, from_state=from_state, to_state=to_state,
                                      actor=actor, reason=reason))
        self.save_payload(row.id, "raw", raw)
        if errors is not None:
            self.save_payload(row.id, "errors", errors)
        if certificate is not None:
            self.s.add(m.Certificate(message_pk=row.id, enterprise_id=new.enterprise_id, cert_no=certificate.cert_no,
                                     cert_type=certificate.cert_type, document_no=certificate.document_no,
                                     dest_country=certificate.dest_country, status=certificate.status,
                                     status_at=now, created_at=now))
        if new.direction == "inbound":  # sent by the authority on its own: the ERP is told, once
            self._erp_on_inbound(row, now)
        return _info(row)

    # --- delivery -----------------------------------------------------------------------------
    def claim_due(self, *, now: datetime, owner: str, lease_until: datetime, limit: int,
                  max_attempts: int | None = None,
                  max_attempts_by_authority: Mapping[str, int] | None = None) -> list[MessageInfo]:
        due = or_(and_(m.Message.state.in_(CLAIMABLE), m.Message.next_attempt_at <= now),
                  and_(m.Message.state == "SENDING", m.Message.lease_until < now))  # expired lease: reclaim
        stmt = select(m.Message).where(due).order_by(m.Message.next_attempt_at, m.Message.id).limit(limit)
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        claimed = []
        for row in self.s.scalars(stmt):
            limit_here = (max_attempts_by_authority or {}).get(row.authority, max_attempts)
            if row.state == "SENDING" and limit_here is not None and row.attempts >= limit_here:
                # A worker died (or hung) holding it on its last attempt: dead-letter it, don't loop forever.
                self._move(row, "FAILED", actor=owner, at=now,
                           reason=f"lease of {row.lease_owner} expired on attempt {row.attempts} of {limit_here}")
                row.last_error = "lease expired on the last attempt"
                row.error_class = "transient"
                row.lease_owner = row.lease_until = None
                continue
            reason = (f"lease of {row.lease_owner} expired; reclaimed" if row.state == "SENDING"
                      else f"attempt {row.attempts + 1}")
            self._move(row, "SENDING", actor=owner, at=now, reason=reason)
            row.lease_owner, row.lease_until = owner, lease_until
            row.attempts += 1
            claimed.append(_info(row))
        return claimed

    def renew_lease(self, message_pk: int, owner: str, until: datetime) -> bool:
        """Compare-and-set: extend our lease only if we still hold it."""
        result = self.s.execute(update(m.Message)
                                .where(m.Message.id == message_pk, m.Message.state == "SENDING",
                                       m.Message.lease_owner == owner)
                                .values(lease_until=until))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def payload(self, message_pk: int, kind: str) -> bytes | None:
        return self.s.scalar(select(m.Payload.content).where(m.Payload.message_pk == message_pk,
                                                             m.Payload.kind == kind))

    def save_payload(self, message_pk: int, kind: str, content: bytes) -> None:
        self.s.add(m.Payload(message_pk=message_pk, kind=kind, content=content,
                             sha256=hashlib.sha256(content).hexdigest(), created_at=self.clock.now()))
        self.s.flush()

    def transition(self, message_pk: int, to_state: str, *, actor: str, reason: str,
                   expected_owner: str | None = None, next_attempt_at: datetime | None = None,
                   last_error: str | None = None, error_class: str | None = None) -> bool:
        """Move a message if the move is legal now; False (and nothing written) otherwise.

        The row is locked first (PostgreSQL FOR UPDATE; SQLite transactions begin IMMEDIATE), so the
        check and the write see the same state even with other workers and pollers running.
        """
        row = self.s.get(m.Message, message_pk, with_for_update=self._postgres)
        if row is None or not can_transition(row.state, to_state):
            return False
        if expected_owner is not None and (row.lease_owner != expected_owner or row.state != "SENDING"):
            return False  # our lease expired and someone else owns the message now
        self._move(row, to_state, actor=actor, at=self.clock.now(), reason=reason)
        row.next_attempt_at = next_attempt_at
        if last_error is not None:
            row.last_error = last_error
            row.error_class = error_class
        if to_state != "SENDING":
            row.lease_owner = row.lease_until = None
        return True

    def requeue(self, message_pk: int, *, actor: str, reason: str, at: datetime) -> bool:
        """Resend: FAILED/ATTENTION -> QUEUED with a fresh attempt budget; same row, MessageId and bytes."""
        row = self.s.get(m.Message, message_pk, with_for_update=self._postgres)
        if row is None or row.state not in RESENDABLE or not can_transition(row.state, "QUEUED"):
            return False
        self._move(row, "QUEUED", actor=actor, at=at, reason=reason)
        row.attempts, row.next_attempt_at = 0, at
        row.lease_owner = row.lease_until = None
        return True

    def note(self, message_pk: int, *, actor: str, reason: str, at: datetime) -> None:
        """An event that changes no state (e.g. "superseded by …"), kept in the same history."""
        state = self.s.scalar(select(m.Message.state).where(m.Message.id == message_pk))
        self.s.add(m.MessageEvent(message_pk=message_pk, at=at, from_state=state, to_state=state or "",
                                  actor=actor, reason=reason))

    def rekey(self, message_pk: int, key: str | None) -> None:
        """Give a message another idempotency key (edit-and-resend hands the document's key on)."""
        self.s.execute(update(m.Message).where(m.Message.id == message_pk).values(idempotency_key=key))
        self.s.flush()

    def has_authority_receipt(self, message_pk: int) -> bool:
        return bool(self.s.scalar(select(exists().where(m.Receipt.message_pk == message_pk,
                                                        m.Receipt.kind != "local"))))

    def message_for(self, enterprise_id: str | None, message_id: str) -> MessageInfo | None:
        """A message by MessageId, only if it belongs to `enterprise_id` (None: any, for operators)."""
        stmt = select(m.Message).where(m.Message.message_id == message_id)
        if enterprise_id is not None:
            stmt = stmt.where(m.Message.enterprise_id == enterprise_id)
        row = self.s.scalar(stmt)
        return _info(row) if row else None

    def superseded_by(self, message_id: str) -> str | None:
        return self.s.scalar(select(m.Message.message_id).where(m.Message.supersedes == message_id)
                             .order_by(m.Message.id.desc()).limit(1))

    def overdue_receipts(self, *, now: datetime, limit: int) -> list[MessageInfo]:
        """SENT messages whose receipt deadline (kept in next_attempt_at) has passed."""
        stmt = (select(m.Message).where(m.Message.state == "SENT", m.Message.next_attempt_at <= now)
                .order_by(m.Message.next_attempt_at).limit(limit))
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        return [_info(r) for r in self.s.scalars(stmt)]

    def messages_in_state(self, states: Sequence[str], *, enterprise_id: str | None = None, limit: int = 100,
                          offset: int = 0) -> list[dict[str, Any]]:
        """The FAILED / ATTENTION work lists (newest change first), optionally for one enterprise."""
        stmt = select(m.Message).where(m.Message.state.in_(list(states)))
        if enterprise_id is not None:
            stmt = stmt.where(m.Message.enterprise_id == enterprise_id)
        rows = self.s.scalars(stmt.order_by(m.Message.updated_at.desc(), m.Message.id.desc())
                              .limit(limit).offset(offset))
        return [{"message_id": r.message_id, "enterprise_id": r.enterprise_id, "message_type": r.message_type,
                 "authority": r.authority, "state": r.state, "document_no": r.document_no, "attempts": r.attempts,
                 "last_error": r.last_error, "error_class": r.error_class, "updated_at": iso(r.updated_at)}
                for r in rows]

    def count_by_state(self) -> dict[str, int]:
        return {state: int(n) for state, n in
                self.s.execute(select(m.Message.state, func.count()).group_by(m.Message.state))}

    def _move(self, row: m.Message, to_state: str, *, actor: str, at: datetime, reason: str) -> None:
        from_state = row.state
        self.s.add(m.MessageEvent(message_pk=row.id, at=at, from_state=from_state, to_state=to_state,
                                  actor=actor, reason=reason))
        row.state = to_state
        row.updated_at = at
        self._erp_on_move(row, from_state, to_state, at, reason)  # same transaction: told exactly once

    # --- receipts and documents ---------------------------------------------------------------
    def receipt_hash(self, authority: str, receipt_id: str) -> str | None:
        """Content hash of a stored receipt, or None when we have never seen that receipt id."""
        return self.s.scalar(select(m.Receipt.content_sha256).where(m.Receipt.authority == authority,
                                                                    m.Receipt.receipt_id == receipt_id))

    def add_receipt(self, message_pk: int, receipt: ReceiptRecord, *, received_at: datetime) -> bool:
        """Insert once; False when that (authority, receipt id) exists (even if a concurrent poller won)."""
        values = dict(authority=receipt.authority, receipt_id=receipt.receipt_id, message_pk=message_pk,
                      kind=receipt.kind, seq_no=receipt.seq_no, status_code=receipt.status_code,
                      status=receipt.status, text=receipt.text,
                      reasons_json=json.dumps(list(receipt.reasons), ensure_ascii=False),
                      issued_at=receipt.issued_at or received_at, received_at=received_at,
                      content_sha256=receipt.content_sha256, raw=receipt.raw)
        inserted = self._insert_once(m.Receipt, values, ["authority", "receipt_id"])
        if inserted:  # a duplicate receipt is never told twice
            self._erp_on_receipt(message_pk, values)
        return inserted

    def _insert_once(self, model: type[m.Receipt] | type[m.QuarantinedFile], values: dict[str, Any],
                     keys: list[str]) -> bool:
        insert = pg_insert if self._postgres else sqlite_insert
        stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=keys).returning(model.id)
        return self.s.execute(stmt).scalar() is not None  # no row back: it existed already

    def certificate_status(self, message_pk: int) -> str | None:
        return self.s.scalar(select(m.Certificate.status).where(m.Certificate.message_pk == message_pk))

    def assign_cert_no(self, message_pk: int, cert_no: str) -> str | None:
        """Take the number the authority states for the message's certificate. Returns the number it had
        ("" when none yet) when it changed, None when there is no certificate or nothing changed."""
        row = self.s.scalar(select(m.Certificate).where(m.Certificate.message_pk == message_pk))
        if row is None or row.cert_no == cert_no:
            return None
        previous, row.cert_no = row.cert_no, cert_no
        self.s.flush()
        return previous

    def set_certificate_status(self, message_pk: int, status: str, *, at: datetime,
                               reasons: Sequence[dict[str, str]] = ()) -> None:
        values: dict[str, object] = {"status": status, "status_at": at}
        if reasons:
            values["reasons_json"] = json.dumps(list(reasons), ensure_ascii=False)
        self.s.execute(update(m.Certificate).where(m.Certificate.message_pk == message_pk).values(**values))

    def quarantine(self, authority: str, file_name: str, content: bytes, reason: str, at: datetime,
                   enterprise_id: str | None = None) -> None:
        """Keep ``content`` as received; ``enterprise_id`` (default: the envelope's ReceiverId, when it can
        be read) decides which tenant sees the file in the UI."""
        self._insert_once(m.QuarantinedFile, dict(
            authority=authority, file_name=file_name, reason=reason[:2000], content=content,
            content_sha256=hashlib.sha256(content).hexdigest(), received_at=at,
            enterprise_id=(enterprise_id or addressed_to(content) or None)), ["authority", "content_sha256"])

    def quarantine_list(self, *, status: str | None = "open", limit: int = 100) -> list[dict[str, Any]]:
        stmt = select(m.QuarantinedFile)
        if status is not None:
            stmt = stmt.where(m.QuarantinedFile.status == status)
        rows = self.s.scalars(stmt.order_by(m.QuarantinedFile.id).limit(limit))
        return [{"id": r.id, "authority": r.authority, "file_name": r.file_name, "reason": r.reason,
                 "status": r.status, "attempts": r.attempts, "received_at": iso(r.received_at),
                 "resolved_at": iso(r.resolved_at), "resolution": r.resolution, "bytes": len(r.content),
                 "content_sha256": r.content_sha256} for r in rows]

    def quarantined(self, quarantine_id: int) -> tuple[str, str, bytes, str] | None:
        """(authority, file name, content, status) of one quarantined file, locked for re-processing."""
        row = self.s.get(m.QuarantinedFile, quarantine_id, with_for_update=self._postgres)
        return None if row is None else (row.authority, row.file_name, row.content, row.status)

    def settle_quarantine(self, quarantine_id: int, *, resolved: bool, text: str, at: datetime) -> None:
        """Record one re-processing attempt: resolved (with how), or still open (with the new reason)."""
        row = self.s.get(m.QuarantinedFile, quarantine_id)
        if row is None:
            return
        row.attempts += 1
        if resolved:
            row.status, row.resolved_at, row.resolution = "resolved", at, text[:2000]
        else:
            row.reason = text[:2000]

    # --- retention ------------------------------------------------------------------------------
    def purgeable(self, *, done_before: datetime, failed_before: datetime, limit: int) -> list[int]:
        """Settled messages old enough to purge: DONE by one age, FAILED and REJECTED by another."""
        stmt = (select(m.Message.id)
                .where(or_(and_(m.Message.state == "DONE", m.Message.updated_at < done_before),
                           and_(m.Message.state.in_(("FAILED", "REJECTED")), m.Message.updated_at < failed_before)))
                .order_by(m.Message.id).limit(limit))
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.s.scalars(stmt))

    def archive_bundle(self, message_pk: int) -> dict[str, Any] | None:
        """Everything kept for one message: its record, history, payloads and receipts, bytes as they were."""
        row = self.s.get(m.Message, message_pk)
        if row is None:
            return None
        cert = self.s.scalar(select(m.Certificate).where(m.Certificate.message_pk == row.id))
        payloads = {p.kind: p.content for p in self.s.scalars(select(m.Payload).where(m.Payload.message_pk == row.id))}
        receipts = list(self.s.scalars(select(m.Receipt).where(m.Receipt.message_pk == row.id).order_by(m.Receipt.id)))
        view = self.message_view(row.enterprise_id, row.message_id) or {}
        view["supersedes"] = row.supersedes
        view["receipts"] = self.receipts_view(row.enterprise_id, row.message_id) or []
        if cert is not None:
            view["document"]["document_no"] = cert.document_no
        return {"message_id": row.message_id, "enterprise_id": row.enterprise_id, "message_type": row.message_type,
                "document_no": row.document_no, "state": row.state, "created_at": row.created_at,
                "record": view, "payloads": payloads,
                "receipts": [(r.receipt_id, r.raw) for r in receipts if r.raw is not None]}

    def record_archive(self, *, message_pk: int, archive_name: str, archive_sha256: str, archive_bytes: int,
                       at: datetime) -> None:
        """Note where the archive is, then delete the message (cascade: events, payloads, receipts, document)."""
        row = self.s.get(m.Message, message_pk)
        if row is None:
            return
        self.s.add(m.ArchivedMessage(message_id=row.message_id, enterprise_id=row.enterprise_id,
                                     message_type=row.message_type, document_no=row.document_no, state=row.state,
                                     archive_name=archive_name, archive_sha256=archive_sha256,
                                     archive_bytes=archive_bytes, created_at=row.created_at, archived_at=at))
        self.s.execute(delete(m.Certificate).where(m.Certificate.message_pk == message_pk))
        self.s.delete(row)
        self.s.flush()

    def archived(self, enterprise_id: str, message_id: str) -> dict[str, Any] | None:
        row = self.s.scalar(select(m.ArchivedMessage).where(m.ArchivedMessage.message_id == message_id,
                                                            m.ArchivedMessage.enterprise_id == enterprise_id))
        return None if row is None else {"message_id": row.message_id, "state": row.state,
                                         "archive_name": row.archive_name, "archive_sha256": row.archive_sha256,
                                         "archived_at": iso(row.archived_at)}

    # --- enterprises and keys -----------------------------------------------------------------
    def add_enterprise(self, info: EnterpriseInfo) -> bool:
        if self.s.get(m.Enterprise, info.id) is not None:
            return False
        self.s.add(m.Enterprise(id=info.id, name=info.name, reg_no=info.reg_no, created_at=self.clock.now()))
        self.s.flush()
        return True

    def add_api_key(self, enterprise_id: str, prefix: str, key_hash: str, label: str) -> None:
        self.s.add(m.ApiKey(enterprise_id=enterprise_id, prefix=prefix, key_hash=key_hash, label=label,
                            created_at=self.clock.now()))

    def api_key(self, prefix: str) -> tuple[str, str] | None:
        row = self.s.scalar(select(m.ApiKey).where(m.ApiKey.prefix == prefix, m.ApiKey.revoked_at.is_(None)))
        return (row.enterprise_id, row.key_hash) if row else None

    def revoke_api_key(self, prefix: str, at: datetime) -> bool:
        result = self.s.execute(update(m.ApiKey).where(m.ApiKey.prefix == prefix, m.ApiKey.revoked_at.is_(None))
                                .values(revoked_at=at))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # --- certificate numbers --------------------------------------------------------------------
    def take_serial(self, enterprise_id: str, cert_type: str, year: int) -> int:
        """Atomically hand out the next serial: one upsert, so concurrent callers never get the same one."""
        insert = pg_insert if self._postgres else sqlite_insert
        stmt = (insert(m.CertSerial)
                .values(enterprise_id=enterprise_id, cert_type=cert_type, year=year, last_serial=1)
                .on_conflict_do_update(index_elements=["enterprise_id", "cert_type", "year"],
                                       set_={"last_serial": m.CertSerial.last_serial + 1})
                .returning(m.CertSerial.last_serial))
        return int(self.s.execute(stmt).scalar_one())

    def cert_no_in_use(self, enterprise_id: str, cert_no: str) -> bool:
        """A number some non-rejected message of this enterprise already carries (numbers stay editable)."""
        return self.s.scalar(select(m.Certificate.id).join(m.Message, m.Message.id == m.Certificate.message_pk)
                             .where(m.Certificate.enterprise_id == enterprise_id, m.Certificate.cert_no == cert_no,
                                    m.Message.state != "REJECTED").limit(1)) is not None

    def cert_no_owners(self, cert_no: str) -> set[str]:
        """Enterprises with a certificate of this number (any state): whose an authority document is about."""
        return set(self.s.scalars(select(m.Certificate.enterprise_id).where(m.Certificate.cert_no == cert_no)))

    # --- read side ------------------------------------------------------------------------------
    def message_view(self, enterprise_id: str, message_id: str) -> dict[str, Any] | None:
        row = self.s.scalar(select(m.Message).where(m.Message.message_id == message_id,
                                                    m.Message.enterprise_id == enterprise_id))
        if row is None:
            return None
        cert = self.s.scalar(select(m.Certificate).where(m.Certificate.message_pk == row.id))
        errors = self.payload(row.id, "errors")
        return {
            "message_id": row.message_id, "enterprise_id": row.enterprise_id, "family": row.family,
            "message_type": row.message_type, "authority": row.authority, "state": row.state,
            "document_no": row.document_no, "attempts": row.attempts, "last_error": row.last_error,
            "error_class": row.error_class, "supersedes": row.supersedes,
            "superseded_by": self.superseded_by(row.message_id),
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
            "errors": json.loads(errors) if errors else [],
            "document": None if cert is None else {
                "cert_no": cert.cert_no, "cert_type": cert.cert_type, "status": cert.status,
                "status_at": iso(cert.status_at), "reasons": json.loads(cert.reasons_json)},
            "events": [{"at": iso(e.at), "from": e.from_state, "to": e.to_state, "actor": e.actor,
                        "reason": e.reason} for e in row.events],
        }

    def receipts_view(self, enterprise_id: str, message_id: str) -> list[dict[str, Any]] | None:
        pk = self.s.scalar(select(m.Message.id).where(m.Message.message_id == message_id,
                                                      m.Message.enterprise_id == enterprise_id))
        if pk is None:
            return None
        rows = self.s.scalars(select(m.Receipt).where(m.Receipt.message_pk == pk)
                              .order_by(m.Receipt.seq_no, m.Receipt.id))  # same number: arrival order
        return [{"receipt_id": r.receipt_id, "authority": r.authority, "kind": r.kind, "seq_no": r.seq_no,
                 "status_code": r.status_code, "status": r.status, "text": r.text,
                 "reasons": json.loads(r.reasons_json), "issued_at": iso(r.issued_at),
                 "received_at": iso(r.received_at), "cert_no": _receipt_cert_no(r.raw)} for r in rows]


def _receipt_cert_no(raw: bytes | None) -> str | None:
    """The CertNo a business receipt carries (the number CCPIT assigns when it approves), read from the
    verified bytes kept with the receipt (no column of its own yet: that needs a schema migration)."""
    if not raw:
        return None
    try:
        _head, body = envelope.unwrap(safexml.parse(raw))
    except (MessagesError, ValueError):
        return None
    return find_text(body, "CertNo") or None


def iso(value: datetime | None) -> str | None:
    """UTC timestamps (see gateway.db.types.UTCDateTime) as ISO 8601 with Z."""
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class SqlStore:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self.sessions() as session, session.begin():
            yield SqlTransaction(session, self.clock)
