"""ingest_receipts: download, verify, dedupe, correlate, apply, commit — and only then acknowledge.

A crash between commit and acknowledgement only means the file is fetched again; the receipt id
(unique per authority) makes the second pass a no-op. Files we cannot verify or correlate are kept
in quarantine, never dropped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from adapters.base import InboundFile, Transport, TransportError
from gateway.domain.delivery import DeliveryState, DocumentStatus, apply_receipt_status, can_transition
from gateway.services.ports import Clock, MessageInfo, ReceiptRecord, Store, Transaction, Verifier
from messages import envelope
from messages import receipt as receipt_codec
from messages.errors import MessagesError
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
    limit: int = 100,
    actor: str = "receipts",
) -> IngestReport:
    report = IngestReport()
    for authority, transport in transports.items():
        try:
            files = transport.fetch(limit)
        except TransportError as exc:
            log.warning("fetching receipts from %s failed: %s", authority, exc)
            report.errors += 1
            continue
        report.fetched += len(files)
        for item in files:
            _ingest_one(store, authority, transport, verifiers[authority], clock, item, report, actor)
    return report


def _ingest_one(store: Store, authority: str, transport: Transport, verifier: Verifier, clock: Clock,
                item: InboundFile, report: IngestReport, actor: str) -> None:
    now = clock.now()
    try:
        signed_root = verifier.verify(item.content)
        _head, body = envelope.unwrap(signed_root)
        parsed = receipt_codec.from_xml(body)
    except (SignatureInvalid, MessagesError, ValueError) as exc:
        with store.transaction() as tx:
            tx.quarantine(authority, item.name, item.content, f"{type(exc).__name__}: {exc}", now)
        report.quarantined += 1
        _ack(transport, item, report)
        return
    record = _record_of(authority, parsed, item.content)
    with store.transaction() as tx:
        if tx.receipt_known(authority, record.receipt_id):
            report.duplicates += 1
        else:
            msg = tx.message_by_message_id(parsed.message_id)
            if msg is None or msg.authority != authority:
                tx.quarantine(authority, item.name, item.content,
                              f"receipt {record.receipt_id} matches no message sent to {authority}", now)
                report.quarantined += 1
            else:
                tx.add_receipt(msg.pk, record, received_at=now)
                _apply(tx, msg, record, now, actor)
                report.applied += 1
    _ack(transport, item, report)


def _ack(transport: Transport, item: InboundFile, report: IngestReport) -> None:
    # Stored already: if the ack fails the file comes again next poll and is recognised as a duplicate.
    try:
        transport.ack(item)
    except TransportError as exc:
        log.warning("ack of %s failed (will be deduplicated next time): %s", item.name, exc)
        report.errors += 1


def _record_of(authority: str, parsed: object, raw: bytes) -> ReceiptRecord:
    sha = hashlib.sha256(raw).hexdigest()
    reasons = [{"rule_id": r.rule_id, "path": r.path, "message": r.message}
               for r in getattr(parsed, "reasons", ())]
    if isinstance(parsed, receipt_codec.ImportResponse):
        accepted = str(parsed.result_code) == "0"
        return ReceiptRecord(authority=authority, receipt_id=parsed.receipt_id, kind="import_response", seq_no=0,
                             status_code="IMPORTED" if accepted else "IMPORT_FAILED",
                             status="导入成功" if accepted else "导入失败", text=parsed.result_text,
                             reasons=reasons, issued_at=_aware(parsed.received_at), content_sha256=sha, raw=raw)
    assert isinstance(parsed, receipt_codec.BusinessReceipt)
    return ReceiptRecord(authority=authority, receipt_id=parsed.receipt_id, kind="business", seq_no=parsed.seq_no,
                         status_code=parsed.status_code, status=parsed.status, text=parsed.text, reasons=reasons,
                         issued_at=_aware(parsed.issued_at), content_sha256=sha, raw=raw)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _move(tx: Transaction, msg: MessageInfo, target: DeliveryState, actor: str, reason: str,
          last_error: str | None = None) -> None:
    # Receipts can arrive late or out of order: move forward only along legal transitions.
    if can_transition(DeliveryState(msg.state), target):
        tx.transition(msg.pk, target.value, actor=actor, reason=reason, last_error=last_error)


def _apply(tx: Transaction, msg: MessageInfo, record: ReceiptRecord, now: datetime, actor: str) -> None:
    if record.kind == "import_response":
        if record.status_code == "IMPORTED":
            _move(tx, msg, DeliveryState.ACKNOWLEDGED, actor, f"import accepted ({record.receipt_id})")
        else:
            _move(tx, msg, DeliveryState.FAILED, actor, f"import failed: {record.text}", last_error=record.text)
            if tx.certificate_status(msg.pk) is not None:
                tx.set_certificate_status(msg.pk, DocumentStatus.IMPORT_FAILED.value, at=now, reasons=record.reasons)
        return
    current = tx.certificate_status(msg.pk)
    if current is not None:
        new = apply_receipt_status(DocumentStatus(current), record.status_code)
        tx.set_certificate_status(msg.pk, new.value, at=now,
                                  reasons=record.reasons if record.status_code == "RETURNED" else ())
    if record.status_code in FINAL_STATUS_CODES:
        if msg.state == DeliveryState.SENT.value:
            _move(tx, msg, DeliveryState.ACKNOWLEDGED, actor, "outcome received before the import response")
            msg = replace(msg, state=DeliveryState.ACKNOWLEDGED.value)
        _move(tx, msg, DeliveryState.DONE, actor, f"{record.status} ({record.receipt_id})")
    else:
        _move(tx, msg, DeliveryState.ACKNOWLEDGED, actor, f"{record.status} ({record.receipt_id})")
