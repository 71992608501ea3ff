"""The business document's status as a projection of what happened to its message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gateway.domain.delivery import DocumentStatus, apply_receipt_status
from gateway.services.ports import Transaction

_WITH_REASONS = {DocumentStatus.RETURNED, DocumentStatus.IMPORT_FAILED}


def project(tx: Transaction, message_pk: int, status_code: str, *, at: datetime,
            reasons: Sequence[dict[str, str]] = ()) -> DocumentStatus | None:
    """Move the document forward (never back); write only when the status really changes."""
    current = tx.certificate_status(message_pk)
    if current is None:
        return None  # this family has no document projection
    new = apply_receipt_status(current, status_code)
    if new != DocumentStatus(current):
        tx.set_certificate_status(message_pk, new.value, at=at, reasons=reasons if new in _WITH_REASONS else ())
    return new
