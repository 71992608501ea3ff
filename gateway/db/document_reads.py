"""What the declarant pages of the message-only families (核查互动, 空白证单, 出口报关单补录) share: the stored
documents of a family in the caller's scope, decoded, with the authority's receipts of each, and the
outcome those receipts give an outbound message. Every query takes the scope in its WHERE clause."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.db import models as m
from gateway.db.store import iso
from messages import envelope, generic, safexml
from messages.errors import MessagesError

#: Outcome of an outbound message, from its delivery state and the authority's receipts.
PENDING, ACCEPTED, REFUSED, FAILED = "PENDING", "ACCEPTED", "REFUSED", "FAILED"
OUTCOME_CN = {PENDING: "已发送, 待回执", ACCEPTED: "海关接收成功", REFUSED: "海关退回", FAILED: "发送失败"}


@dataclass
class Stored:
    """One stored document of a family: its message row (as plain values), decoded data and receipts."""

    pk: int
    message_id: str
    enterprise_id: str
    message_type: str
    direction: str
    state: str
    document_no: str
    created_at: str
    data: dict[str, Any]
    receipts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return outcome(self.state, self.receipts)

    @property
    def reasons(self) -> list[dict[str, str]]:
        refused = [r for r in self.receipts if r["status_code"] in ("RETURNED", "IMPORT_FAILED")]
        return refused[-1]["reasons"] if refused else []


def decoded(raw: bytes) -> dict[str, Any] | None:
    try:
        root = safexml.parse(raw)
        if root.tag == envelope.ROOT:
            _, root = envelope.unwrap(root)
        return generic.decode(root).data
    except (MessagesError, ValueError):
        return None


def outcome(state: str, receipts: Sequence[dict[str, Any]]) -> str:
    """ACCEPTED / REFUSED by the last business decision, FAILED when it never got through, else PENDING."""
    for r in reversed(receipts):
        if r["status_code"] == "APPROVED":
            return ACCEPTED
        if r["status_code"] in ("RETURNED", "IMPORT_FAILED"):
            return REFUSED if r["status_code"] == "RETURNED" else FAILED
    return FAILED if state == "FAILED" else PENDING


def family_documents(s: Session, scope: Sequence[str], family: str) -> list[Stored]:
    """Every readable, not rejected document of ``family`` in ``scope``, oldest first, with receipts."""
    rows = s.execute(select(m.Message, m.Payload.content)
                     .join(m.Payload, (m.Payload.message_pk == m.Message.id) & (m.Payload.kind == "raw"))
                     .where(m.Message.family == family, m.Message.enterprise_id.in_(scope),
                            m.Message.state != "REJECTED")
                     .order_by(m.Message.created_at, m.Message.id)).all()
    out = []
    for msg, raw in rows:
        data = decoded(raw)
        if data is not None:
            out.append(Stored(msg.id, msg.message_id, msg.enterprise_id, msg.message_type, msg.direction, msg.state,
                              msg.document_no or "", iso(msg.created_at) or "", data))
    by_pk = receipts_by_pk(s, [d.pk for d in out if d.direction == "outbound"])
    for d in out:
        d.receipts = by_pk.get(d.pk, [])
    return out


def receipts_by_pk(s: Session, pks: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    if not pks:
        return out
    for r in s.scalars(select(m.Receipt).where(m.Receipt.message_pk.in_(pks))
                       .order_by(m.Receipt.seq_no, m.Receipt.id)):
        out.setdefault(r.message_pk, []).append(
            {"receipt_id": r.receipt_id, "kind": r.kind, "seq_no": r.seq_no, "status_code": r.status_code,
             "status": r.status, "text": r.text, "reasons": json.loads(r.reasons_json), "issued_at": iso(r.issued_at)})
    return out


def text(mapping: Any, key: str) -> str:
    """A field's text; a name that repeats elsewhere in the schema (``Serial``) decodes to a one-item list."""
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value.strip() if isinstance(value, str) else ""


def items(mapping: Any, key: str, item: str) -> list[Any]:
    """``mapping[key][item]`` as a list (repeatable elements decode to lists; absent → [])."""
    container = mapping.get(key) if isinstance(mapping, dict) else None
    found = container.get(item) if isinstance(container, dict) else None
    return found if isinstance(found, list) else ([] if found in (None, "") else [found])
