"""Dead letters back into the queue: resend (same MessageId, same signed bytes) and edit-and-resend
(a new message, linked to the one it replaces).

Resend is for deliveries that never got an answer from the authority (exhausted retries, a permanent
transport error fixed since, a receipt timeout): the authority dedupes by MessageId, so sending the same
bytes again cannot make a second declaration. Once the authority has answered a MessageId (say, import
failed), the same bytes would get the same answer: that needs edit-and-resend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.domain.delivery import RESENDABLE, DeliveryState, DocumentStatus
from gateway.services.intake import IntakeResult, Issue, accept_message
from gateway.services.ports import Clock, Store
from messages.validate import Validator

#: Document outcomes after which a declaration may be corrected and sent as a new message.
EDITABLE_DOCUMENT = frozenset({DocumentStatus.RETURNED.value, DocumentStatus.IMPORT_FAILED.value})
MAX_BULK = 1000


@dataclass
class ResendResult:
    requeued: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # MessageId -> why, in English

    def as_dict(self) -> dict[str, object]:
        return {"requeued": self.requeued, "not_found": self.not_found, "refused": self.refused}


def resend(store: Store, clock: Clock, message_ids: Sequence[str], *, actor: str,
           enterprise_id: str | None = None) -> ResendResult:
    """Put FAILED / ATTENTION messages back in the queue with a fresh attempt budget, one by one.

    `enterprise_id` scopes the call to one tenant (another enterprise's message is "not found");
    None is for operators. Each message is its own transaction: one refusal does not stop the rest.
    """
    if len(message_ids) > MAX_BULK:
        raise ValueError(f"at most {MAX_BULK} messages per resend")
    result = ResendResult()
    for mid in dict.fromkeys(message_ids):  # each once, in the order given
        with store.transaction() as tx:
            msg = tx.message_for(enterprise_id, mid)
            if msg is None:
                result.not_found.append(mid)
                continue
            why = _not_resendable(msg.state, tx.has_authority_receipt(msg.pk), tx.superseded_by(mid))
            if why is None and tx.requeue(msg.pk, actor=actor, at=clock.now(),
                                          reason=f"resent by {actor} (same MessageId, same signed bytes)"):
                result.requeued.append(mid)
            else:
                result.refused[mid] = why or f"state {msg.state} changed meanwhile"
    return result


def _not_resendable(state: str, answered: bool, superseded_by: str | None) -> str | None:
    if superseded_by is not None:
        return f"superseded by message {superseded_by}: resend that one"
    if state not in RESENDABLE:
        return f"state {state}: only {' or '.join(sorted(RESENDABLE))} messages can be resent"
    if answered:
        return ("the authority has answered this MessageId already; sending the same bytes again would get "
                "the same answer: correct the document and use edit-and-resend")
    return None


def edit_and_resend(store: Store, validator: Validator, clock: Clock, enterprise_id: str, old_message_id: str,
                    new_xml: bytes, actor: str) -> IntakeResult:
    """Accept a corrected document as a new message (new MessageId) that supersedes `old_message_id`.

    Allowed when the old declaration is over without success: FAILED or REJECTED, or DONE with the
    document returned (退证) or its import failed. The new document goes through intake like any other;
    only if it is accepted does it take over the document's identity and link to the old message.
    """
    with store.transaction() as tx:
        old = tx.message_for(enterprise_id, old_message_id)
        if old is None:
            return IntakeResult("not_found", issues=[Issue("RESEND.NOT_FOUND", "/", f"no message {old_message_id}")])
        doc_status = tx.certificate_status(old.pk)
        newer = tx.superseded_by(old.message_id)
    if newer is not None:
        return _refuse(old.message_id, old.state, f"it was superseded by message {newer} already: edit that one")
    editable = (old.state in {DeliveryState.FAILED.value, DeliveryState.REJECTED.value}
                or (old.state == DeliveryState.DONE.value and doc_status in EDITABLE_DOCUMENT))
    if not editable:
        return _refuse(old.message_id, old.state,
                       "only FAILED or REJECTED messages, or DONE ones whose document was returned (退证) or "
                       "failed import, can be edited and resent; an approved certificate needs an amendment")
    return accept_message(store, validator, clock, enterprise_id=enterprise_id, raw=new_xml, actor=actor,
                          supersedes=old)


def _refuse(message_id: str, state: str, why: str) -> IntakeResult:
    return IntakeResult("not_editable", message_id, state,
                        [Issue("RESEND.NOT_EDITABLE", "/", f"message {message_id} ({state}) cannot be edited and "
                               f"resent: {why}")])
