"""One authority's processing loop: inbound mailbox → review → staged, signed receipts in outbound.

Mailbox tree under ``root`` (what the SFTP users see as ``/``)::

    inbound/    enterprises' envelopes, ``<MessageId>.xml`` (complete names only; ``.x.tmp`` is ignored)
    outbound/   receipts, ``<ReceiptId>.xml``, written as ``.<name>.tmp`` then renamed
    processed/  every inbound file as received (kept raw, never overwritten)

A :meth:`Authority.tick` picks up every complete inbound file, moves it to ``processed/``, records the
observation, reviews it (first receipt of a MessageId only) and queues the receipts; then it emits
every receipt whose time has come. Timing lives in the queue (registry ``receipts.due_at``): nothing
sleeps. Each MessageType is reviewed by its family handler (``mock_customs/handlers/``, discovered), and an
authority takes only the types the catalogue addresses to it. The timeline for an accepted message:

1. ``ImportResponse`` ResultCode 0 (or 1 with reasons: unreadable, unregistered, bad signature, XSD)
2. ``BusinessReceipt`` SeqNo 1 STORED 海关入库成功 ``0001--报文收到时间:<yyyy-MM-dd HH:mm:ss>`` (+delay_stored)
3. ``BusinessReceipt`` SeqNo 2 APPROVED 审核通过, 可以领证 / 申报正确, or RETURNED 退证 with reasons
   (+delay_decision after stage 2); the wording is the family's
4. authority documents answering an approval (a pre-review number, a query answer …), when the family has one

Messages the authority starts itself (:meth:`Authority.initiate`) are queued the same way under
``<AUTHORITY>-INIT-<id>-1``.

ReceiptIds are ``<AUTHORITY>-<MessageId>-<stage>``: unique and the same on every run.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mock_customs import wire
from mock_customs.handlers import discover
from mock_customs.handlers.base import (
    APPROVED,
    APPROVED_STATUS,
    APPROVED_TEXT,
    DOCUMENT,
    FAILED,
    RETURNED,
    RETURNED_STATUS,
    RETURNED_TEXT,
    STORED_STATUS,
    UNREADABLE,
    FamilyHandler,
    Plan,
)
from mock_customs.registry import Registry, ScheduledReceipt
from mock_customs.review import utcnow
from mock_customs.scenarios import NO_FAULTS, Scenarios

log = logging.getLogger(__name__)

MESSAGE_ID_RE = re.compile(r"^[0-9a-f]{32}$")

__all__ = [
    "APPROVED", "APPROVED_STATUS", "APPROVED_TEXT", "FAILED", "RETURNED", "RETURNED_STATUS", "RETURNED_TEXT",
    "STORED_STATUS", "UNREADABLE", "Authority", "FamilyHandler", "Plan", "StageDelays", "TickResult",
]


@dataclass(frozen=True)
class StageDelays:
    """Seconds between the stages: ImportResponse → STORED (``stored``) → decision (``decision``)."""

    stored: float = 0.0
    decision: float = 0.0


@dataclass
class TickResult:
    received: list[str] = field(default_factory=list)  # inbound file names picked up
    duplicates: list[str] = field(default_factory=list)  # MessageIds seen again
    emitted: list[str] = field(default_factory=list)  # receipt file names written

    def as_dict(self) -> dict[str, list[str]]:
        return {"received": self.received, "duplicates": self.duplicates, "emitted": self.emitted}


TickHook = Callable[["Authority", TickResult], None]
EmitListener = Callable[["Authority", ScheduledReceipt, str, bytes], None]  # (authority, receipt, name, content)

# every family handler in mock_customs/handlers/, by the MessageType it reviews
DEFAULT_HANDLERS: dict[str, FamilyHandler] = discover()


class Authority:
    """GACC (or CCPIT): owns a mailbox tree, a signer and its share of the registry."""

    def __init__(
        self,
        authority_id: str,
        root: Path,
        registry: Registry,
        signer: wire.SignerLike,
        *,
        authority_certificate: Any = None,
        delays: StageDelays | None = None,
        handlers: Mapping[str, FamilyHandler] | None = None,
        clock: Callable[[], datetime] = utcnow,
        duplicate_policy: str = "ignore",
        faults: Scenarios | None = None,
    ) -> None:
        if duplicate_policy not in ("ignore", "reemit"):
            raise ValueError("duplicate_policy is 'ignore' or 'reemit'")
        self.authority_id = authority_id
        self.root = Path(root)
        self.registry = registry
        self.signer = signer
        self.authority_certificate = authority_certificate
        self.delays = delays or StageDelays()
        # each authority reviews its own families only (the catalogue says which authority a type goes to)
        self.handlers = {
            message_type: handler
            for message_type, handler in (handlers if handlers is not None else DEFAULT_HANDLERS).items()
            if wire.authority_of(message_type) in (None, authority_id)
        }
        self.clock = clock
        self.duplicate_policy = duplicate_policy
        self.faults = faults or NO_FAULTS  # fault scenarios (scenarios.py): delays, reordering, bad copies
        self.inbound = self.root / "inbound"
        self.outbound = self.root / "outbound"
        self.processed = self.root / "processed"
        for directory in (self.inbound, self.outbound, self.processed):
            directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._inspector = wire.Inspector(authority_id, accepted_types=tuple(self.handlers))
        # wiring for other channels (the HTTP API): called with the authority's lock held
        self.tick_hooks: list[TickHook] = []  # after the inbound files of a tick, before emission
        self.emit_listeners: list[EmitListener] = []  # every receipt written to outbound/, same bytes

    # the loop ------------------------------------------------------------------------------------
    def tick(self) -> TickResult:
        """Process the inbound mailbox and emit due receipts. Safe to call from several threads."""
        result = TickResult()
        with self._lock:
            for path in self._complete_inbound():
                try:
                    self._receive(path, result)
                except Exception:
                    log.exception("%s: processing %s failed", self.authority_id, path.name)
            for hook in self.tick_hooks:
                try:
                    hook(self, result)
                except Exception:
                    log.exception("%s: tick hook %r failed", self.authority_id, hook)
            self._emit_due(result)
        return result

    def next_due(self) -> datetime | None:
        return self.registry.next_due(self.authority_id)

    def _complete_inbound(self) -> list[Path]:
        files = []
        with os.scandir(self.inbound) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                    continue
                files.append((entry.stat().st_mtime_ns, entry.name, Path(entry.path)))
        return [p for _, _, p in sorted(files)]

    # intake --------------------------------------------------------------------------------------
    def _receive(self, path: Path, result: TickResult) -> None:
        data = path.read_bytes()
        kept = self._keep(path)
        now = self.clock()
        result.received.append(path.name)
        intake = self._inspector.inspect(data, self.registry)
        message_id = intake.message_id
        if message_id is None and MESSAGE_ID_RE.match(Path(path.name).stem):
            message_id = Path(path.name).stem  # unreadable, but the file name still correlates
        if message_id is None:
            key = f"file:{kept.name}"
            self.registry.observe(self.authority_id, key, kept.name, now)
            self.registry.record_decision(
                self.authority_id, key, decision=UNREADABLE, reasons=[f.as_dict() for f in intake.findings]
            )
            log.warning("%s: %s has no MessageId; nothing can be answered", self.authority_id, path.name)
            return
        count = self.registry.observe(self.authority_id, message_id, kept.name, now)
        if count > 1:
            self._duplicate(message_id, count, now, result)
            return
        sender = intake.enterprise.id if intake.enterprise else intake.sender_id
        if intake.findings:
            self._fail(message_id, [f.as_dict() for f in intake.findings], now, sender, intake.message_type)
            return
        assert intake.message_type is not None
        try:
            plan = self.handlers[intake.message_type].plan(self, intake, now)
        except Exception as exc:
            # a bug in a handler (or data it cannot use) must still get an answer: the message is
            # observed already, so without one the enterprise would wait forever (a resend is a duplicate)
            log.exception("%s: reviewing %s (%s) failed", self.authority_id, message_id, intake.message_type)
            self._fail(message_id, [{
                "rule_id": "AUTH.INTERNAL", "path": "/",
                "message": f"the authority could not review this {intake.message_type} message"
                           f" ({type(exc).__name__}): send it again under a new MessageId",
            }], now, sender, intake.message_type)
            return
        self._schedule(message_id, 1, wire.IMPORT_RESPONSE, {
            "message_id": message_id, "result_code": "0", "result_text": "报文导入成功",
            "received_at": wire.timestamp(now), "reasons": [],
        }, now)
        due = now + (self.faults.receipt_delay() if plan.receipts else timedelta(0))
        for stage, kind, fields, delay in plan.receipts:
            due = due + delay
            self._schedule(message_id, stage, kind, fields, due)
        if plan.cert_no and plan.holds_number:
            self.registry.set_certificate(self.authority_id, plan.cert_no, message_id, sender or "",
                                          "PENDING", now)
        self.registry.record_decision(
            self.authority_id, message_id, decision=plan.decision,
            reasons=[f.as_dict() for f in plan.findings], sender_id=sender,
            message_type=intake.message_type, cert_no=plan.cert_no,
        )

    def _fail(self, message_id: str, reasons: list[dict[str, str]], now: datetime, sender: str | None,
              message_type: str | None) -> None:
        """ImportResponse ResultCode 1 with ``reasons``; the message is FAILED."""
        self._schedule(message_id, 1, wire.IMPORT_RESPONSE, {
            "message_id": message_id, "result_code": "1", "result_text": "报文导入失败",
            "received_at": wire.timestamp(now), "reasons": reasons,
        }, now)
        self.registry.record_decision(self.authority_id, message_id, decision=FAILED, reasons=reasons,
                                      sender_id=sender, message_type=message_type)

    def initiate(self, receiver: str, message_type: str, document: str, summary: dict[str, Any]) -> dict[str, Any]:
        """Queue a message the authority starts itself (a verification record, a blank-form allocation …).

        It is signed and written to outbound/ like a receipt, on the next tick; it answers no MessageId,
        so it gets its own id (``<AUTHORITY>-INIT-<hex>-1``) and is listed as an ``initiated`` record.
        """
        with self._lock:
            now = self.clock()
            initiated_id = uuid.uuid4().hex
            receipt_id = f"{self.authority_id}-INIT-{initiated_id}-1"
            info = {"initiated_id": initiated_id, "receipt_id": receipt_id, "message_type": message_type,
                    "envelope_message_id": wire.derived_message_id(receipt_id), "receiver": receiver, **summary}
            self.registry.put_record(self.authority_id, receiver, "initiated", receipt_id, "QUEUED", info, now,
                                     message_id=initiated_id)
            sent = {"op": "record", "sender": receiver, "kind": "initiated", "key": receipt_id, "status": "SENT",
                    "data": info}  # applied when written to outbound/
            self.registry.schedule_receipt(ScheduledReceipt(
                receipt_id=receipt_id, authority=self.authority_id, message_id=initiated_id, stage=1,
                kind=DOCUMENT, due_at=now, fields={"receipt_id": receipt_id, "message_type": message_type,
                                                   "document": document, "receiver": receiver, "effects": [sent]},
            ))
            return info

    def receive_repeat(self, message_id: str, label: str, result: TickResult) -> int:
        """Count ``message_id`` as received once more without a new file (an HTTP retry with the same
        Idempotency-Key), exactly as a re-uploaded file is counted: recorded under ``label`` in the
        observation's files, never reviewed again, receipts written again under the ``reemit`` policy.

        Only from a tick hook (the authority's lock is held). Returns the receive count.
        """
        now = self.clock()
        count = self.registry.observe(self.authority_id, message_id, label, now)
        if count > 1:
            self._duplicate(message_id, count, now, result)
        return count

    def _duplicate(self, message_id: str, count: int, now: datetime, result: TickResult) -> None:
        result.duplicates.append(message_id)
        log.info("%s: duplicate %s (received %d times), not reviewed again", self.authority_id, message_id, count)
        if self.duplicate_policy == "reemit":
            self._reemit(message_id, now)

    def _keep(self, path: Path) -> Path:
        """Move an inbound file to processed/ under a name not used before."""
        target = self.processed / path.name
        n = 1
        while target.exists():
            n += 1
            target = self.processed / f"{path.stem}.{n}{path.suffix}"
        os.replace(path, target)
        return target

    def _schedule(self, message_id: str, stage: int, kind: str, fields: dict[str, Any], due: datetime) -> None:
        receipt_id = f"{self.authority_id}-{message_id}-{stage}"
        self.registry.schedule_receipt(ScheduledReceipt(
            receipt_id=receipt_id, authority=self.authority_id, message_id=message_id, stage=stage,
            kind=kind, due_at=due, fields={"receipt_id": receipt_id, **fields},
        ))

    def _reemit(self, message_id: str, now: datetime) -> None:
        for receipt in self.registry.receipts_for(self.authority_id, message_id):
            if receipt.emitted_at is not None:
                self._write(receipt.receipt_id, receipt.fields, receipt)

    # emission ------------------------------------------------------------------------------------
    def _emit_due(self, result: TickResult) -> None:
        now = self.clock()
        due = self.faults.order_due(self.registry.due_receipts(self.authority_id, now),
                                    lambda message_id: self.registry.receipts_for(self.authority_id, message_id))
        for receipt in due:
            try:
                fields = dict(receipt.fields)
                fields.setdefault("issued_at", wire.timestamp(self.clock()))
                name = self._write(receipt.receipt_id, fields, receipt)
            except Exception:
                log.exception("%s: emitting %s failed; will retry", self.authority_id, receipt.receipt_id)
                continue
            self.registry.mark_emitted(receipt.receipt_id, name, fields, self.clock())
            self._apply_effects(fields.get("effects") or [])
            if (receipt.kind == wire.BUSINESS_RECEIPT and fields.get("status_code") in (APPROVED, RETURNED)
                    and fields.get("holds_number", True)):
                cert_no = str(fields.get("cert_no") or "")
                if cert_no:
                    obs = self.registry.observation(self.authority_id, receipt.message_id)
                    self.registry.set_certificate(
                        self.authority_id, cert_no, receipt.message_id,
                        (obs.sender_id if obs else None) or "", str(fields["status_code"]), self.clock(),
                    )
            result.emitted.append(name)

    def _apply_effects(self, effects: list[dict[str, Any]]) -> None:
        """What a decision makes the authority know (handlers/base.py): applied once it is announced."""
        now = self.clock()
        for effect in effects:
            if effect.get("op") == "record":
                self.registry.put_record(self.authority_id, effect["sender"], effect["kind"], effect["key"],
                                         effect["status"], effect.get("data") or {}, now)
            elif effect.get("op") == "certificate":
                self.registry.set_certificate_status(self.authority_id, effect["cert_no"], effect["status"], now)
            else:
                log.error("%s: unknown effect %r", self.authority_id, effect)

    def _write(self, receipt_id: str, fields: dict[str, Any], receipt: ScheduledReceipt) -> str:
        send_time = self.clock()
        receiver = fields.get("receiver")
        if not receiver:
            obs = self.registry.observation(self.authority_id, receipt.message_id)
            receiver = (obs.sender_id if obs else None) or "UNKNOWN"

        def envelope(signer: wire.SignerLike) -> bytes:
            if receipt.kind == DOCUMENT:
                return wire.document_envelope(
                    message_type=fields["message_type"], document=fields["document"], receipt_id=receipt_id,
                    authority=self.authority_id, receiver=str(receiver), signer=signer, send_time=send_time,
                )
            return wire.receipt_envelope(kind=receipt.kind, fields=fields, authority=self.authority_id,
                                         receiver=str(receiver), signer=signer, send_time=send_time)

        name = f"{receipt_id}.xml"
        shift = self.faults.mtime_shift(receipt_id)
        for emission in self.faults.emissions(self.authority_id, receipt, name, envelope(self.signer), envelope):
            tmp = self.outbound / f".{emission.name}.tmp"
            with open(tmp, "wb") as handle:
                handle.write(emission.content)
                handle.flush()
                os.fsync(handle.fileno())
            if shift:
                stamp = os.stat(tmp).st_mtime + shift
                os.utime(tmp, (stamp, stamp))
            os.replace(tmp, self.outbound / emission.name)
            for listener in self.emit_listeners:
                # a failure leaves the receipt due: emitted again later
                listener(self, receipt, emission.name, emission.content)
            log.info("%s: emitted %s", self.authority_id, emission.name)
        return name
