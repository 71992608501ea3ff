"""Message delivery lifecycle and certificate business status.

``DeliveryState`` tracks one message through the gateway (transport concern); ``DocumentStatus`` is
the business outcome on the certificate itself, a projection of the authority's receipts.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType

from gateway.domain.errors import IllegalTransition, UnknownStatus


class DeliveryState(StrEnum):
    RECEIVED = "RECEIVED"
    VALIDATED = "VALIDATED"
    REJECTED = "REJECTED"
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    DONE = "DONE"
    RETRY_WAIT = "RETRY_WAIT"
    FAILED = "FAILED"
    #: Sent, but no receipt came within the receipt timeout: a person should look (or resend).
    ATTENTION = "ATTENTION"


_S = DeliveryState

#: Legal next states. REJECTED and DONE are terminal; FAILED is a dead letter that may be re-queued.
ALLOWED: MappingProxyType[DeliveryState, frozenset[DeliveryState]] = MappingProxyType(
    {
        _S.RECEIVED: frozenset({_S.VALIDATED, _S.REJECTED}),
        _S.VALIDATED: frozenset({_S.QUEUED}),
        _S.REJECTED: frozenset(),
        _S.QUEUED: frozenset({_S.SENDING, _S.FAILED}),
        # An authority receipt proves delivery whatever the sender recorded meanwhile (the upload may
        # have landed just before a crash or a dropped connection): hence the *→ACKNOWLEDGED moves.
        _S.SENDING: frozenset({_S.SENT, _S.RETRY_WAIT, _S.FAILED, _S.ACKNOWLEDGED}),
        _S.SENT: frozenset({_S.ACKNOWLEDGED, _S.RETRY_WAIT, _S.FAILED, _S.ATTENTION}),
        _S.ACKNOWLEDGED: frozenset({_S.DONE}),
        _S.DONE: frozenset(),
        _S.RETRY_WAIT: frozenset({_S.QUEUED, _S.SENDING, _S.FAILED, _S.ACKNOWLEDGED}),
        _S.FAILED: frozenset({_S.QUEUED, _S.ACKNOWLEDGED}),
        # A late receipt still counts; an operator may resend (same MessageId) or give up.
        _S.ATTENTION: frozenset({_S.ACKNOWLEDGED, _S.FAILED, _S.QUEUED}),
    }
)

TERMINAL: frozenset[DeliveryState] = frozenset(s for s, nxt in ALLOWED.items() if not nxt)

#: Where a message rests when nothing more will happen without a person: DONE, REJECTED, FAILED.
SETTLED: frozenset[DeliveryState] = TERMINAL | {_S.FAILED}

#: States an operator may resend from, keeping the MessageId and the signed bytes.
RESENDABLE: frozenset[DeliveryState] = frozenset({_S.FAILED, _S.ATTENTION})


def can_transition(current: DeliveryState | str, target: DeliveryState | str) -> bool:
    """True when ``current -> target`` is in ``ALLOWED`` (unknown state names are never allowed)."""
    try:
        return DeliveryState(target) in ALLOWED[DeliveryState(current)]
    except ValueError:
        return False


def transition(current: DeliveryState | str, target: DeliveryState | str) -> DeliveryState:
    """Return ``target`` as a ``DeliveryState`` if the move is legal, else raise ``IllegalTransition``."""
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
    return DeliveryState(target)


class DocumentStatus(StrEnum):
    """Business status of a certificate, as the manuals show it."""

    DRAFT = "DRAFT"
    SENT_TO_CUSTOMS = "SENT_TO_CUSTOMS"
    IMPORT_FAILED = "IMPORT_FAILED"
    STORED = "STORED"
    APPROVED = "APPROVED"
    RETURNED = "RETURNED"

    @property
    def label_cn(self) -> str:
        return _LABELS_CN[self]

    @property
    def is_final(self) -> bool:
        """APPROVED and RETURNED end a declaration; later receipts do not change them."""
        return self in (DocumentStatus.APPROVED, DocumentStatus.RETURNED)


_LABELS_CN = {
    DocumentStatus.DRAFT: "暂存",
    DocumentStatus.SENT_TO_CUSTOMS: "数据已发往海关",
    DocumentStatus.IMPORT_FAILED: "导入失败",
    DocumentStatus.STORED: "海关入库成功",
    DocumentStatus.APPROVED: "审核通过",
    DocumentStatus.RETURNED: "退证",
}

# Progress of one declaration. Equal rank = alternative outcomes: the first one to arrive stays.
_RANK = {
    DocumentStatus.DRAFT: 0,
    DocumentStatus.SENT_TO_CUSTOMS: 1,
    DocumentStatus.IMPORT_FAILED: 2,
    DocumentStatus.STORED: 3,
    DocumentStatus.APPROVED: 4,
    DocumentStatus.RETURNED: 4,
}


def apply_receipt_status(current: DocumentStatus | str, status_code: DocumentStatus | str) -> DocumentStatus:
    """The document status after a receipt with ``status_code`` (e.g. ``STORED``, ``APPROVED``).

    Never moves backwards: receipts may arrive late or twice, so a ``STORED`` after ``APPROVED``
    keeps ``APPROVED``, and a final status (approved / returned) is kept. Starting a new declaration
    after a return is a user action, not a receipt. Unknown codes raise ``UnknownStatus``.
    """
    cur = _status(current)
    new = _status(status_code)
    return new if _RANK[new] > _RANK[cur] else cur


def _status(value: DocumentStatus | str) -> DocumentStatus:
    try:
        return DocumentStatus(value.strip().upper() if isinstance(value, str) else value)
    except ValueError:
        raise UnknownStatus(value) from None
