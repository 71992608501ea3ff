"""ingest_receipts: download, verify, dedupe, correlate, apply, commit — and only then acknowledge.

A crash between commit and acknowledgement only means the file is fetched again; the receipt id
(unique per authority) makes the second pass a no-op. Files we cannot verify or correlate are kept
in quarantine, never dropped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from adapters.base import InboundFile, Transport, TransportError
from gateway.domain.delivery import DeliveryState, can_transition
from gateway.services.documents import project
from gateway.services.ports import Clock, MessageInfo, ReceiptRecord, Store, Transaction, Verifier
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
        for item in files:
            try:
                _ingest_one(store, authority, verifier, validator, clock, item, report, actor)
            except Exception as exc:  # one bad file must never block the mailbox: keep it, move on
                log.exception("receipt %s from %s could not be applied", item.name, authority)
                with store.transaction() as tx:
                    tx.quarantine(authority, item.name, item.content, f"{type(exc).__name__}: {exc}", clock.now())
                report.quarantined += 1
            _ack(transport, item, report)
    return report


class _Unusable(Exception):
    """The file is signed by the authority but is not a receipt we can apply."""


def _parse(verifier: Verifier, validator: Validator, content: bytes) -> Receipt:
    try:
        signed_root = verifier.verify(content)
        _head, body = envelope.unwrap(signed_root)
    except (SignatureInvalid, MessagesError, ValueError) as exc:
        raise _Unusable(f"{type(exc).__name__}: {exc}") from exc
    result = validator.validate_element(body)
    if result.problems:
        p = result.problems[0]
        raise _Unusable(f"not a valid receipt: {p.rule} at {p.path}: {p.message}")
    return receipt_codec.from_xml(body)


def _ingest_one(store: Store, authority: str, verifier: Verifier, validator: Validator, clock: Clock,
                item: InboundFile, report: IngestReport, actor: str) -> None:
    now = clock.now()
    try:
        parsed = _parse(verifier, validator, item.content)
    except _Unusable as exc:
        with store.transaction() as tx:
            tx.quarantine(authority, item.name, item.content, str(exc), now)
        report.quarantined += 1
        return
    record = _record_of(authority, parsed, item.content)
    with store.transaction() as tx:
        known = tx.receipt_hash(authority, record.receipt_id)
        if known == record.content_sha256:
            report.duplicates += 1
            return
        if known is not None:
            tx.quarantine(authority, item.name, item.content,
                          f"receipt id {record.receipt_id} seen before with different content", now)
            report.quarantined += 1
            return
        msg = tx.message_by_message_id(parsed.message_id)  # locks the message row on PostgreSQL
        if msg is None or msg.authority != authority:
            tx.quarantine(authority, item.name, item.content,
                          f"receipt {record.receipt_id} matches no message sent to {authority}", now)
            report.quarantined += 1
        elif tx.add_receipt(msg.pk, record, received_at=now):
            _apply(tx, msg, record, now, actor)
            report.applied += 1
        else:
            report.duplicates += 1  # a concurrent poller stored it first


def _ack(transport: Transport, item: InboundFile, report: IngestReport) -> None:
    # Stored already: if the ack fails the file comes again next poll and is recognised as a duplicate.
    try:
        transport.ack(item)
    except TransportError as exc:
        log.warning("ack of %s failed (will be deduplicated next time): %s", item.name, exc)
        report.errors += 1


def _record_of(authority: str, parsed: Receipt, raw: bytes) -> ReceiptRecord:
    sha = hashlib.sha256(raw).hexdigest()
    reasons = [{"rule_id": r.rule_id, "path": r.path, "message": r.message} for r in parsed.reasons]
    if isinstance(parsed, receipt_codec.ImportResponse):
        accepted = str(parsed.result_code) == "0"
        return ReceiptRecord(authority=authority, receipt_id=parsed.receipt_id, kind="import_response", seq_no=0,
                             status_code="IMPORTED" if accepted else "IMPORT_FAILED",
                             status="导入成功" if accepted else "导入失败", text=parsed.result_text,
                             reasons=reasons, issued_at=parsed.received_at, content_sha256=sha, raw=raw)
    return ReceiptRecord(authority=authority, receipt_id=parsed.receipt_id, kind="business", seq_no=parsed.seq_no,
                         status_code=parsed.status_code, status=parsed.status, text=parsed.text, reasons=reasons,
                         issued_at=parsed.issued_at, content_sha256=sha, raw=raw)


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
