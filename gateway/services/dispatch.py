"""dispatch_due: claim due messages with a lease, wrap + sign once, upload, record the outcome.

The signed envelope is stored before the first upload and reused on every retry, so a message keeps
one MessageId and the same bytes for its whole life; transports treat a repeat upload as already sent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from adapters.base import OutboundFile, Transport, TransportError
from gateway.domain.delivery import DeliveryState, DocumentStatus
from gateway.domain.retry import ErrorClass, RetryPolicies, RetryPolicy
from gateway.logcontext import bind_message_id
from gateway.services.documents import project
from gateway.services.ports import Clock, MessageInfo, ReceiptRecord, SignerProvider, Store
from messages import envelope, safexml

log = logging.getLogger(__name__)

SENT_TO_CUSTOMS_TEXT = "数据已发往海关"


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True)
class DispatchConfig:
    owner: str
    lease_seconds: int = 60
    batch: int = 20
    #: One policy for transient errors everywhere, or the full table per authority and error class.
    retry: RetryPolicy | RetryPolicies = field(default_factory=RetryPolicy)
    #: How long a SENT message may wait for the authority's first receipt before it needs attention.
    receipt_timeout_seconds: float = 3600.0

    @property
    def policies(self) -> RetryPolicies:
        return self.retry if isinstance(self.retry, RetryPolicies) else RetryPolicies(transient=self.retry)


def dispatch_due(
    store: Store,
    signers: SignerProvider,
    transports: Mapping[str, Transport],
    clock: Clock,
    config: DispatchConfig,
) -> DispatchReport:
    report = DispatchReport()
    now = clock.now()
    with store.transaction() as tx:
        claimed = tx.claim_due(now=now, owner=config.owner, lease_until=now + timedelta(seconds=config.lease_seconds),
                               limit=config.batch, max_attempts=config.policies.default_max_attempts,
                               max_attempts_by_authority=config.policies.max_attempts_by_authority())
    report.claimed = len(claimed)
    for msg in claimed:
        bind_message_id(msg.message_id)  # every log line about this delivery names it
        try:
            _deliver_one(store, signers, transports, clock, config, msg, report)
        except Exception as exc:  # a bug or bad key for one message must not strand the rest of the batch
            log.exception("delivering %s failed", msg.message_id)
            _record_failure(store, clock, config, msg, f"{type(exc).__name__}: {exc}", transient=False,
                            report=report)
    bind_message_id(None)
    return report


def _signed_envelope(store: Store, signers: SignerProvider, clock: Clock, msg: MessageInfo) -> bytes:
    with store.transaction() as tx:
        signed = tx.payload(msg.pk, "signed")
        if signed is not None:
            return signed
        raw = tx.payload(msg.pk, "raw")
    if raw is None:
        raise RuntimeError(f"message {msg.message_id} has no raw payload")
    head = envelope.EnvelopeHead(
        message_id=msg.message_id,
        message_type=msg.message_type,
        sender_id=msg.enterprise_id,
        receiver_id=msg.authority,
        send_time=clock.now(),
    )
    signed_root = signers.signer(msg.enterprise_id).sign(envelope.wrap(head, safexml.parse(raw)))
    signed = envelope.to_bytes(signed_root)
    with store.transaction() as tx:
        # Keep the first signed copy if a racing worker stored one meanwhile.
        existing = tx.payload(msg.pk, "signed")
        if existing is not None:
            return existing
        tx.save_payload(msg.pk, "signed", signed)
    return signed


def _deliver_one(
    store: Store,
    signers: SignerProvider,
    transports: Mapping[str, Transport],
    clock: Clock,
    config: DispatchConfig,
    msg: MessageInfo,
    report: DispatchReport,
) -> None:
    transport = transports.get(msg.authority)
    try:
        if transport is None:
            raise TransportError(f"no transport configured for authority {msg.authority}", transient=False)
        signed = _signed_envelope(store, signers, clock, msg)
        with store.transaction() as tx:
            # The batch's lease may be running out: renew it, and do not upload what is no longer ours.
            if not tx.renew_lease(msg.pk, config.owner, clock.now() + timedelta(seconds=config.lease_seconds)):
                log.warning("lease on %s lost before upload; another worker has it", msg.message_id)
                return
        result = transport.send(OutboundFile(name=f"{msg.message_id}.xml", content=signed, message_id=msg.message_id))
    except TransportError as exc:
        _record_failure(store, clock, config, msg, str(exc), transient=exc.transient, report=report,
                        retry_after=exc.retry_after)
        return
    now = clock.now()
    with store.transaction() as tx:
        # next_attempt_at on a SENT message is its receipt deadline (see sweep_overdue_receipts).
        moved = tx.transition(msg.pk, DeliveryState.SENT.value, actor=config.owner, expected_owner=config.owner,
                              reason=f"uploaded as {result.remote_name}"
                              + (" (already present)" if result.already_present else ""),
                              next_attempt_at=now + timedelta(seconds=config.receipt_timeout_seconds))
        if not moved:
            # Lease lost, or receipts already moved the message on: either way the upload is recorded.
            log.info("%s moved on before SENT was recorded", msg.message_id)
            return
        tx.add_receipt(msg.pk, ReceiptRecord(
            authority="GATEWAY", receipt_id=f"LOCAL-{msg.message_id}-0", kind="local", seq_no=0,
            status_code="SENT", status=SENT_TO_CUSTOMS_TEXT, text=SENT_TO_CUSTOMS_TEXT, issued_at=now,
            content_sha256=hashlib.sha256(signed).hexdigest()), received_at=now)
        project(tx, msg.pk, DocumentStatus.SENT_TO_CUSTOMS.value, at=now)
    log.info("%s sent to %s as %s", msg.message_id, msg.authority, result.remote_name)
    report.sent += 1


def _record_failure(store: Store, clock: Clock, config: DispatchConfig, msg: MessageInfo, error: str, *,
                    transient: bool, report: DispatchReport, retry_after: float | None = None) -> None:
    now = clock.now()
    attempts = msg.attempts
    error_class = ErrorClass.of(transient)
    policy = config.policies.policy(msg.authority, error_class)
    delay = policy.next_delay(attempts, retry_after)
    with store.transaction() as tx:
        if delay is not None:
            if tx.transition(msg.pk, DeliveryState.RETRY_WAIT.value, actor=config.owner,
                             expected_owner=config.owner, reason=f"attempt {attempts} failed ({error_class}), "
                             f"retry in {delay:.1f}s: {error}", next_attempt_at=now + timedelta(seconds=delay),
                             last_error=error, error_class=error_class.value):
                report.retrying += 1
        else:
            why = (f"{error_class} error" if policy.max_attempts <= 1
                   else f"gave up after {attempts} attempts ({error_class})")
            if tx.transition(msg.pk, DeliveryState.FAILED.value, actor=config.owner, expected_owner=config.owner,
                             reason=f"{why}: {error}", last_error=error, error_class=error_class.value):
                report.failed += 1


@dataclass
class SweepReport:
    overdue: int = 0


def sweep_overdue_receipts(store: Store, clock: Clock, *, actor: str, limit: int = 500) -> SweepReport:
    """SENT messages past their receipt deadline go to ATTENTION instead of waiting forever.

    A receipt that arrives later still moves the message on (ATTENTION -> ACKNOWLEDGED); an operator may
    also resend it with the same MessageId (the authority dedupes) or look at the authority's side.
    """
    report = SweepReport()
    now = clock.now()
    with store.transaction() as tx:
        for msg in tx.overdue_receipts(now=now, limit=limit):
            if tx.transition(msg.pk, DeliveryState.ATTENTION.value, actor=actor,
                             reason="no receipt from the authority within the receipt timeout",
                             last_error="receipt timeout", error_class=ErrorClass.TRANSIENT.value):
                report.overdue += 1
    return report
