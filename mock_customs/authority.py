"""One authority's processing loop: inbound mailbox → review → staged, signed receipts in outbound.

Mailbox tree under ``root`` (what the SFTP users see as ``/``)::

    inbound/    enterprises' envelopes, ``<MessageId>.xml`` (complete names only; ``.x.tmp`` is ignored)
    outbound/   receipts, ``<ReceiptId>.xml``, written as ``.<name>.tmp`` then renamed
    processed/  every inbound file as received (kept raw, never overwritten)

A :meth:`Authority.tick` picks up every complete inbound file, moves it to ``processed/``, records the
observation, reviews it (first receipt of a MessageId only) and queues the receipts; then it emits
every receipt whose time has come. Timing lives in the queue (registry ``receipts.due_at``): nothing
sleeps. The timeline for an accepted CO application:

1. ``ImportResponse`` ResultCode 0 (or 1 with reasons: unreadable, unregistered, bad signature, XSD)
2. ``BusinessReceipt`` SeqNo 1 STORED 海关入库成功 ``0001--报文收到时间:<yyyy-MM-dd HH:mm:ss>`` (+delay_stored)
3. ``BusinessReceipt`` SeqNo 2 APPROVED 审核通过, 可以领证 / 申报正确, or RETURNED 退证 with reasons
   (+delay_decision after stage 2)

ReceiptIds are ``<AUTHORITY>-<MessageId>-<stage>``: unique and the same on every run.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from mock_customs import wire
from mock_customs.registry import Registry, ScheduledReceipt
from mock_customs.review import (
    CHINA_TZ,
    Finding,
    ReviewContext,
    review_certificate,
    utcnow,
)

log = logging.getLogger(__name__)

MESSAGE_ID_RE = re.compile(r"^[0-9a-f]{32}$")

# decisions recorded per MessageId
FAILED = "FAILED"  # ImportResponse 1
APPROVED = "APPROVED"
RETURNED = "RETURNED"
UNREADABLE = "UNREADABLE"  # no MessageId could be found: nothing can be answered

STORED_STATUS = "海关入库成功"
APPROVED_TEXT = "审核通过, 可以领证"
APPROVED_STATUS = "申报正确"
RETURNED_TEXT = "退证"
RETURNED_STATUS = "退证"


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


@dataclass(frozen=True)
class Plan:
    """What a family handler decided for one accepted message: the later receipts and side effects."""

    decision: str
    findings: list[Finding]
    cert_no: str | None
    receipts: list[tuple[int, str, dict[str, Any], timedelta]]  # (stage, kind, fields, delay after previous)


class FamilyHandler(Protocol):
    """Reviews one document family (CO application, product pre-review, …) after intake succeeded."""

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan: ...


class CertificateHandler:
    """CO applications (``CO_APPLICATION``): STORED, then APPROVED or RETURNED."""

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        assert intake.body is not None and intake.enterprise is not None
        data = wire.decode_certificate(intake.body)
        head = data.get("head") or {}
        cert_no = str(head.get("CertNo") or "") or None
        registry = authority.registry
        message_id = intake.message_id
        assert message_id is not None
        ctx = ReviewContext(
            authority=authority.authority_id,
            message_id=message_id,
            sender_id=intake.enterprise.id,
            reg_no=intake.enterprise.reg_no,
            received_at=received_at,
            cert_no_holders=lambda no: registry.cert_no_holders(
                authority.authority_id, no, excluding_message=message_id
            ),
            approved_cert_nos=lambda no: registry.is_approved(authority.authority_id, no),
        )
        review = review_certificate(ctx, data)
        local = received_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")
        common = {"message_id": message_id, "cert_no": cert_no or ""}
        stored = {
            **common, "seq_no": 1, "status_code": "STORED", "status": STORED_STATUS,
            "text": f"0001--报文收到时间:{local}", "reasons": [],
        }
        if review.approved:
            decision = {
                **common, "seq_no": 2, "status_code": APPROVED, "status": APPROVED_STATUS,
                "text": APPROVED_TEXT, "reasons": [],
            }
        else:
            decision = {
                **common, "seq_no": 2, "status_code": RETURNED, "status": RETURNED_STATUS,
                "text": RETURNED_TEXT, "reasons": [f.as_dict() for f in review.findings],
            }
        delays = authority.delays
        return Plan(
            decision=APPROVED if review.approved else RETURNED,
            findings=review.findings,
            cert_no=cert_no,
            receipts=[
                (2, wire.BUSINESS_RECEIPT, stored, timedelta(seconds=delays.stored)),
                (3, wire.BUSINESS_RECEIPT, decision, timedelta(seconds=delays.decision)),
            ],
        )


TickHook = Callable[["Authority", TickResult], None]
EmitListener = Callable[["Authority", ScheduledReceipt, str, bytes], None]  # (authority, receipt, name, content)

DEFAULT_HANDLERS: dict[str, FamilyHandler] = {"CO_APPLICATION": CertificateHandler()}


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
    ) -> None:
        if duplicate_policy not in ("ignore", "reemit"):
            raise ValueError("duplicate_policy is 'ignore' or 'reemit'")
        self.authority_id = authority_id
        self.root = Path(root)
        self.registry = registry
        self.signer = signer
        self.authority_certificate = authority_certificate
        self.delays = delays or StageDelays()
        self.handlers = dict(handlers if handlers is not None else DEFAULT_HANDLERS)
        self.clock = clock
        self.duplicate_policy = duplicate_policy
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
            self._schedule(message_id, 1, wire.IMPORT_RESPONSE, {
                "message_id": message_id, "result_code": "1", "result_text": "报文导入失败",
                "received_at": wire.timestamp(now), "reasons": [f.as_dict() for f in intake.findings],
            }, now)
            self.registry.record_decision(
                self.authority_id, message_id, decision=FAILED,
                reasons=[f.as_dict() for f in intake.findings], sender_id=sender,
                message_type=intake.message_type,
            )
            return
        assert intake.message_type is not None
        plan = self.handlers[intake.message_type].plan(self, intake, now)
        self._schedule(message_id, 1, wire.IMPORT_RESPONSE, {
            "message_id": message_id, "result_code": "0", "result_text": "报文导入成功",
            "received_at": wire.timestamp(now), "reasons": [],
        }, now)
        due = now
        for stage, kind, fields, delay in plan.receipts:
            due = due + delay
            self._schedule(message_id, stage, kind, fields, due)
        if plan.cert_no:
            self.registry.set_certificate(self.authority_id, plan.cert_no, message_id, sender or "",
                                          "PENDING", now)
        self.registry.record_decision(
            self.authority_id, message_id, decision=plan.decision,
            reasons=[f.as_dict() for f in plan.findings], sender_id=sender,
            message_type=intake.message_type, cert_no=plan.cert_no,
        )

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
        for receipt in self.registry.due_receipts(self.authority_id, now):
            try:
                fields = dict(receipt.fields)
                fields.setdefault("issued_at", wire.timestamp(self.clock()))
                name = self._write(receipt.receipt_id, fields, receipt)
            except Exception:
                log.exception("%s: emitting %s failed; will retry", self.authority_id, receipt.receipt_id)
                continue
            self.registry.mark_emitted(receipt.receipt_id, name, fields, self.clock())
            if receipt.kind == wire.BUSINESS_RECEIPT and fields.get("status_code") in (APPROVED, RETURNED):
                cert_no = str(fields.get("cert_no") or "")
                if cert_no:
                    obs = self.registry.observation(self.authority_id, receipt.message_id)
                    self.registry.set_certificate(
                        self.authority_id, cert_no, receipt.message_id,
                        (obs.sender_id if obs else None) or "", str(fields["status_code"]), self.clock(),
                    )
            result.emitted.append(name)

    def _write(self, receipt_id: str, fields: dict[str, Any], receipt: ScheduledReceipt) -> str:
        obs = self.registry.observation(self.authority_id, receipt.message_id)
        receiver = (obs.sender_id if obs else None) or "UNKNOWN"
        content = wire.receipt_envelope(
            kind=receipt.kind, fields=fields, authority=self.authority_id, receiver=receiver,
            signer=self.signer, send_time=self.clock(),
        )
        name = f"{receipt_id}.xml"
        tmp = self.outbound / f".{name}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.outbound / name)
        for listener in self.emit_listeners:
            listener(self, receipt, name, content)  # a failure leaves the receipt due: emitted again later
        log.info("%s: emitted %s", self.authority_id, name)
        return name
