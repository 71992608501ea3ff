"""产品预审 records (seed 001 ch. 6) as the UI lists them, projected from the stored messages: the
enterprise's pre-review applications (outbound ``ProductPreReview``) and the authority's receipts
(inbound ``ProductPreReviewReceipt``, stored as authority documents), per product number, in the order
they were stored. Every query takes the caller's scope.

A record's (状态, 审核状态): after an application it is the state the application submits
(``product_review.submit_application``); a receipt states it outright (``RecordStatus``/``AuditStatus``),
or, without them, the record was deleted after an approved deletion and leaves the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import models as m
from gateway.db.store import iso
from gateway.domain import product_review as pr
from messages import envelope, generic, safexml
from messages.errors import MessagesError

FAMILY = "gacc_product"
APPLY_KINDS = (pr.ApplyType.CHANGE, pr.ApplyType.CANCEL, pr.ApplyType.RESTORE, pr.ApplyType.DELETE)
#: The record status an application is submitted under (product_review: NEW 新增, CHANGE 变更 …).
SUBMITTED_AS = {pr.ApplyType.NEW: pr.Status.NEW, pr.ApplyType.CHANGE: pr.Status.CHANGED,
                pr.ApplyType.CANCEL: pr.Status.CANCELLED, pr.ApplyType.RESTORE: pr.Status.RESTORED,
                pr.ApplyType.DELETE: pr.Status.DELETED}


@dataclass(frozen=True)
class ProductFilter:
    product_no: str = ""
    hs_code: str = ""
    name: str = ""
    status: str = ""
    audit: str = ""


def _document(raw: bytes) -> dict[str, Any] | None:
    try:
        root = safexml.parse(raw)
        if root.tag == envelope.ROOT:
            _, root = envelope.unwrap(root)
        return generic.decode(root).data
    except (MessagesError, ValueError):
        return None


def _after_application(kind: str, state: pr.State | None) -> pr.State | None:
    try:
        return pr.submit_application(kind, *(state or (None, None)))
    except (pr.IllegalOperation, ValueError):  # the ERP may know a state we never saw: trust its kind
        try:
            return SUBMITTED_AS[pr.ApplyType(kind)], pr.Audit.SUBMITTED
        except ValueError:
            return state


class ProductReads:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def products(self, scope: Sequence[str], f: ProductFilter = ProductFilter()) -> list[dict[str, Any]]:
        records: dict[tuple[str, str], dict[str, Any]] = {}
        with self.sessions() as s:
            rows = s.execute(select(m.Message, m.Payload.content)
                             .join(m.Payload, (m.Payload.message_pk == m.Message.id) & (m.Payload.kind == "raw"))
                             .where(m.Message.family == FAMILY, m.Message.enterprise_id.in_(scope),
                                    m.Message.state != "REJECTED")
                             .order_by(m.Message.created_at, m.Message.id)).all()
        for msg, raw in rows:
            data = _document(raw)
            if data is None:
                continue
            if msg.direction == "outbound":
                _apply_application(records, msg, data)
            else:
                _apply_receipt(records, msg, data)
        out = [r for r in records.values() if r["state"] is not None and _matches(r, f)]
        for r in out:
            status, audit = r.pop("state")
            r.update(status=status.value, audit=audit.value, status_cn=status.cn, audit_cn=audit.cn,
                     kinds=[k.value for k in APPLY_KINDS if pr.application_path(k, status, audit) is not None])
        return sorted(out, key=lambda r: r["updated_at"], reverse=True)

    def product(self, scope: Sequence[str], message_id: str) -> dict[str, Any] | None:
        """The record whose latest application is ``message_id`` (None when outside the scope)."""
        return next((r for r in self.products(scope) if r["message_id"] == message_id), None)


def _apply_application(records: dict[tuple[str, str], dict[str, Any]], msg: m.Message, data: dict[str, Any]) -> None:
    head = data.get("Head") or {}
    product_no = str(head.get("ProductNo", ""))
    rec = records.setdefault((msg.enterprise_id, product_no), {
        "product_no": product_no, "enterprise_id": msg.enterprise_id, "pre_review_no": "", "state": None,
        "product": None, "enterprise": {}, "receipt_text": ""})
    rec["state"] = _after_application(str(head.get("ApplyType", "")), rec["state"])
    rec["pre_review_no"] = str(head.get("PreReviewNo") or rec["pre_review_no"])
    if data.get("Product"):
        rec["product"] = data["Product"]
    rec["enterprise"] = data.get("Enterprise") or rec["enterprise"]
    rec.update(message_id=msg.message_id, apply_type=str(head.get("ApplyType", "")), delivery=msg.state,
               updated_at=iso(msg.created_at), receipt_text="")
    product = rec["product"] or {}
    rec.update(hs_code=str(product.get("HSCode", "")), name_cn=str(product.get("NameCn", "")),
               name_en=str(product.get("NameEn", "")))


def _apply_receipt(records: dict[tuple[str, str], dict[str, Any]], msg: m.Message, data: dict[str, Any]) -> None:
    rec = records.get((msg.enterprise_id, str(data.get("ProductNo", ""))))
    if rec is None:
        return  # a receipt for a record this gateway never sent: nothing to act on here
    rec["pre_review_no"] = str(data.get("PreReviewNo") or rec["pre_review_no"])
    status, audit = data.get("RecordStatus"), data.get("AuditStatus")
    try:
        rec["state"] = (pr.Status(status), pr.Audit(audit)) if status and audit else None
    except ValueError:
        return
    rec.update(updated_at=iso(msg.created_at), receipt_text=f"{data.get('Status', '')} {data.get('Text', '')}".strip())


def _matches(r: dict[str, Any], f: ProductFilter) -> bool:
    status, audit = r["state"]
    return ((not f.product_no or f.product_no.strip() in r["product_no"])
            and (not f.hs_code or r["hs_code"].startswith(f.hs_code.strip()))
            and (not f.name or f.name.strip().lower() in f"{r['name_cn']} {r['name_en']}".lower())
            and (not f.status or status.value == f.status) and (not f.audit or audit.value == f.audit))
