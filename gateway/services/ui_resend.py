"""Resend and retry-now for dead letters, as the UI needs them.

A thin stand-in for the delivery service of issue 5 (`resend`, `edit_and_resend`): when that lands,
the UI calls it instead and this module goes. The rules it keeps are the gateway's: a resend re-queues
the *same* message (same MessageId, same signed bytes), and only FAILED or RETRY_WAIT messages move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.domain.delivery import DeliveryState
from gateway.services.intake import IntakeResult, accept_message
from gateway.services.ports import Clock, Store
from messages.validate import Validator

RESENDABLE = (DeliveryState.FAILED.value, DeliveryState.RETRY_WAIT.value)


@dataclass(frozen=True)
class ResendOutcome:
    message_id: str
    resent: bool
    detail: str


def resend(store: Store, clock: Clock, message_ids: Sequence[str], *, actor: str) -> list[ResendOutcome]:
    """Re-queue each FAILED / RETRY_WAIT message for an immediate attempt; others are left as they are."""
    out = []
    for mid in dict.fromkeys(message_ids):  # once each, in the order given
        with store.transaction() as tx:
            msg = tx.message_by_message_id(mid)
            if msg is None:
                out.append(ResendOutcome(mid, False, "no such message"))
                continue
            if msg.state not in RESENDABLE:
                out.append(ResendOutcome(mid, False, f"{msg.state}: only FAILED or RETRY_WAIT messages are resent"))
                continue
            moved = tx.transition(msg.pk, DeliveryState.QUEUED.value, actor=actor,
                                  reason=f"resent by {actor} (was {msg.state}, {msg.attempts} attempt(s))",
                                  next_attempt_at=clock.now())
            out.append(ResendOutcome(mid, moved, "queued again" if moved else f"{msg.state} could not be re-queued"))
    return out


def edit_and_resend(store: Store, validator: Validator, clock: Clock, *, enterprise_id: str, original_id: str,
                    raw: bytes, actor: str) -> IntakeResult:
    """Submit a corrected document as a new message (validated like any other); the original stays as kept.

    The UI shows which message it came from; a stored link to the original waits for issue 5.
    """
    del original_id  # kept in the signature so callers do not change when issue 5's version lands
    return accept_message(store, validator, clock, enterprise_id=enterprise_id, raw=raw, actor=actor)
