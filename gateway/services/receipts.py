"""ingest_receipts: download, verify, dedupe, correlate, apply, commit — and only then acknowledge.

A crash between commit and acknowledgement only means the file is fetched again; the receipt id
(unique per authority) makes the second pass a no-op. Files we cannot verify or correlate are kept
in quarantine, never dropped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from adapters.base import InboundFile, Transport, TransportError
from gateway.domain.delivery import DeliveryState, can_transition
from gateway.logcontext import bind_message_id
from gateway.services.authority_documents import (
    AuthorityDocument,
    as_authority_document,
    store_authority_document,
)
from gateway.services.documents import project
from gateway.services.ports import (
    Clock,
    DuplicateMessage,
    MessageInfo,
    ReceiptRecord,
    Store,
    Transaction,
    Verifier,
)
from messages import envelope
from messages import receipt as receipt_codec
from messages.errors import MessagesError
from messages.receipt import Receipt
from messages.validate import Validator, get_validator
from signing.errors import SignatureInvalid

log = logging.getLogger(__name__)

FINAL_STATUS_CODES = {"APPROVED", "RETURNED"}


@dataclass
class IngestReport:
    fetched: int = 0
    applied: int = 0
    duplicates: int = 0
    quarantined: int = 0
    errors: int = 0


def ingest_receipts(
    store: Store,
    transports: Mapping[str, Transport],
    verifiers: Mapping[str, Verifier],
    clock: Clock,
    *,
    validator: Validator | None = None,
    limit: int = 100,
    actor: str = "receipts",
) -> IngestReport:
    report = IngestReport()
    validator = validator or get_validator()
    for authority, transport in transports.items():
        verifier = verifiers.get(authority)
        if verifier is None:
            log.error("no pinned certificate for %s: its receipts stay on the server", authority)
            report.errors += 1
            continue
        try:
            files = transport.fetch(limit)
        except TransportError as exc:
            log.warning("fetching receipts from %s failed: %s", authority, exc)
            report.errors += 1
            continue
        report.fetched += len(files)
        stored = []
        for item in files:
            bind_message_id(None)  # set again once the file names its message
            try:
                _ingest_one(store, authority, verifier, validator, clock, item, report, actor)
            except Exception as exc:  # one bad file must never block the mailbox: keep it, move on
                log.exception("receipt %s from %s could not be applied", item.name, authority)
                with store.transaction() as tx:
                    tx.quarantine(authority, item.name, item.content, f"{type(exc).__name__}: {exc}", clock.now())
                report.quarantined += 1
            stored.append(item)
        _ack_all(transport, stored, report)
    bind_message_id(None)
    return report


class _Unusable(Exception):
    """The file is signed by the authority but is not a receipt we can apply."""


def _parse(verifier: Verifier, validator: Validator, content: bytes) -> tuple[Receipt | AuthorityDocument, str]:
    """The receipt (or authority document) and the sha256 of its canonical body (what the authority said,
    not how it was wrapped): an authority re-sending a receipt re-signs it in a new envelope, which is the
    same receipt."""
    try:
        signed_root = verifier.verify(content)
        head, body = envelope.unwrap(signed_root)
    except (SignatureInvalid, MessagesError, ValueError) as exc:
        raise _Unusable(f"{type(exc).__name__}: {exc}") from exc
    result = validator.validate_element(body)
    if result.problems:
        p = result.problems[0]
        raise _Unusable(f"not a valid receipt: {p.rule} at {p.path}: {p.message}")
    canonical = etree.tostring(body, method="c14n", exclusive=True)
    parsed = as_authority_document(head, body) or receipt_codec.from_xml(body)
    return parsed, hashlib.sha256(canonical).hexdigest()


def _ingest_one(store: Store, authority: str, verifier: Verifier, validator: Validator, clock: Clock,
                item: InboundFile, report: IngestReport, actor: str) -> None:
    outcome, reason = _apply_file(store, authority, verifier, validator, clock, item.content, actor)
    if outcome == "quarantine":
        with store.transaction() as tx:
            tx.quarantine(authority, item.name, item.content, reason, clock.now())
        report.quarantined += 1
    elif outcome == "applied":
        report.applied += 1
    else:
        report.duplicates += 1


def _apply_file(store: Store, authority: str, verifier: Verifier, validator: Validator, clock: Clock,
                content: bytes, actor: str) -> tuple[str, str]:
    """Verify, dedupe, correlate and apply one receipt file: ("applied" | "duplicate" | "quarantine", why)."""
    now = clock.now()
    try:
        parsed, body_sha = _parse(verifier, validator, content)
    except _Unusable as exc:
        return "quarantine", str(exc)
    if isinstance(parsed, AuthorityDocument):  # sent on the authority's own initiative: no MessageId of ours
        bind_message_id(parsed.head.message_id)  # its own MessageId, under which it is stored
        try:
            outcome = _store_document(store, authority, parsed, content, now, actor)
        except DuplicateMessage:
            # A concurrent poller stored that MessageId first. Its copy may differ: decide again against
            # what is committed now (duplicate, or quarantined), never assume it was the same.
            outcome = _store_document(store, authority, parsed, content, now, actor)
        if outcome == "stored":
            log.info("%s stored: %s from %s", parsed.head.message_id, parsed.entry.message_type, authority)
            return "applied", f"authority document stored for {authority}"
        if outcome == "duplicate":
            return "duplicate", "authority document stored before"
        return "quarantine", outcome
    bind_message_id(parsed.message_id)
    record = _record_of(authority, parsed, content, body_sha)
    with store.transaction() as tx:
        known = tx.receipt_hash(authority, record.receipt_id)
        if known == record.content_sha256:
            return "duplicate", f"receipt {record.receipt_id} was applied before"
        if known is not None:
            return "quarantine", f"receipt id {record.receipt_id} seen before with different content"
        msg = tx.message_by_message_id(parsed.message_id)  # locks the message row on PostgreSQL
        if msg is None or msg.authority != authority:
            return "quarantine", f"receipt {record.receipt_id} matches no message sent to {authority}"
        if record.cert_no:  # before add_receipt: the event it writes for the ERP carries the number
            _take_cert_no(tx, msg, record)
        if tx.add_receipt(msg.pk, record, received_at=now):
            _apply(tx, msg, record, now, actor)
            log.info("receipt %s for %s applied: %s %s", record.receipt_id, msg.message_id, record.status_code,
                     record.status)
            return "applied", f"receipt {record.receipt_id} applied to message {msg.message_id}"
        return "duplicate", f"receipt {record.receipt_id} was stored by a concurrent poller"


@dataclass
class ReprocessResult:
    resolved: list[int] = field(default_factory=list)  # applied now, or found to be a duplicate
    still_quarantined: dict[int, str] = field(default_factory=dict)  # id -> why, still open
    not_found: list[int] = field(default_factory=list)  # no such id, or resolved already


def reprocess_quarantine(
    store: Store,
    verifiers: Mapping[str, Verifier],
    clock: Clock,
    ids: Sequence[int],
    actor: str,
    *,
    validator: Validator | None = None,
) -> ReprocessResult:
    """Run quarantined files through ingestion again, e.g. after the authority's certificate was registered
    or once the message they answer exists. The raw file is kept either way; a resolved entry says how."""
    validator = validator or get_validator()
    result = ReprocessResult()
    for qid in ids:
        with store.transaction() as tx:
            row = tx.quarantined(qid)
        if row is None or row[3] != "open":
            result.not_found.append(qid)
            continue
        authority, _name, content, _status = row
        verifier = verifiers.get(authority)
        if verifier is None:
            outcome, why = "quarantine", f"no pinned certificate for authority {authority}"
        else:
            try:
                outcome, why = _apply_file(store, authority, verifier, validator, clock, content, actor)
            except Exception as exc:  # keep it quarantined with the new reason; never lose the file
                log.exception("re-processing quarantined file %s failed", qid)
                outcome, why = "quarantine", f"{type(exc).__name__}: {exc}"
        with store.transaction() as tx:
            resolved = outcome != "quarantine"
            tx.settle_quarantine(qid, resolved=resolved, text=f"{outcome} by {actor}: {why}" if resolved else why,
                                 at=clock.now())
        if resolved:
            result.resolved.append(qid)
        else:
            result.still_quarantined[qid] = why
    return result


def _ack_all(transport: Transport, items: Sequence[InboundFile], report: IngestReport) -> None:
    """Acknowledge what is stored: in one request when the transport can (HTTP), else one by one."""
    ack_many = getattr(transport, "ack_many", None)
    if ack_many is None or len(items) < 2:
        for item in items:
            _ack(transport, item, report)
        return
    try:
        ack_many(items)
    except TransportError as exc:
        log.warning("ack of %d receipts failed (they will be deduplicated next time): %s", len(items), exc)
        report.errors += 1


def _store_document(store: Store, authority: str, doc: AuthorityDocument, content: bytes, now: datetime,
                    actor: str) -> str:
    # "stored" | "duplicate" | a quarantine reason; the caller quarantines (it owns the file's name).
    with store.transaction() as tx:
        return store_authority_document(tx, authority, doc, content, now, actor)


def _ack(transport: Transport, item: InboundFile, report: IngestReport) -> None:
    # Stored already: if the ack fails the file comes again next poll and is recognised as a duplicate.
    try:
        transport.ack(item)
    except TransportError as exc:
        log.warning("ack of %s failed (will be deduplicated next time): %s", item.name, exc)
        report.errors += 1


def _record_of(authority: str, parsed: Receipt, raw: bytes, sha: str) -> ReceiptRecord:
    reasons = [{"rule_id": r.rule_id, "path": r.path, "message": r.message} for r in parsed.reasons]
    if isinstance(parsed, receipt_codec.ImportResponse):
        accepted = str(parsed.result_code) == "0"
        return ReceiptRecord(authority=authority, receipt_id=parsed.receipt_id, kind="import_response", seq_no=0,
                             status_code="IMPORTED" if accepted else "IMPORT_FAILED",
                             status="导入成功" if accepted else "导入失败", text=parsed.result_text,
                             reasons=reasons, issued_at=parsed.received_at, content_sha256=sha, raw=raw)
    return ReceiptRecord(authority=authority, receipt_id=parsed.receipt_id, kind="business", seq_no=parsed.seq_no,
                         status_code=parsed.status_code, status=parsed.status, text=parsed.text, reasons=reasons,
                         issued_at=parsed.issued_at, content_sha256=sha, raw=raw, cert_no=parsed.cert_no.strip())


def _take_cert_no(tx: Transaction, msg: MessageInfo, record: ReceiptRecord) -> None:
    """The authority's number is the certificate's number: CCPIT assigns it when it approves (the
    application has none); GACC repeats the one the enterprise declared. Queries, prints and the ERP's
    events then show it."""
    previous = tx.assign_cert_no(msg.pk, record.cert_no)
    if previous is not None:
        log.info("certificate of %s numbered %s by %s (receipt %s)%s", msg.message_id, record.cert_no,
                 record.authority, record.receipt_id, f", was {previous}" if previous else "")


def _advance(tx: Transaction, msg: MessageInfo, target: DeliveryState, actor: str, reason: str,
             last_error: str | None = None) -> None:
    """Move forward along legal transitions only: receipts arrive late, twice, or out of order."""
    state = DeliveryState(msg.state)
    # An outcome proves the authority has the message, whatever we had recorded.
    if (target == DeliveryState.DONE and state != DeliveryState.ACKNOWLEDGED
            and tx.transition(msg.pk, DeliveryState.ACKNOWLEDGED.value, actor=actor,
                              reason="outcome received: the authority has the message")):
        state = DeliveryState.ACKNOWLEDGED
    if can_transition(state, target):
        tx.transition(msg.pk, target.value, actor=actor, reason=reason, last_error=last_error)


def _apply(tx: Transaction, msg: MessageInfo, record: ReceiptRecord, now: datetime, actor: str) -> None:
    label = f"{record.status} ({record.receipt_id})"
    if record.status_code == "IMPORT_FAILED":
        _advance(tx, msg, DeliveryState.FAILED, actor, f"import failed: {record.text}", last_error=record.text)
    elif record.status_code in FINAL_STATUS_CODES:
        _advance(tx, msg, DeliveryState.DONE, actor, label)
    else:
        _advance(tx, msg, DeliveryState.ACKNOWLEDGED, actor, label)
    if record.kind == "business" or record.status_code == "IMPORT_FAILED":
        project(tx, msg.pk, record.status_code, at=now, reasons=record.reasons)
