"""Product pre-review 产品预审 (seed 001 ch. 6): GACC numbers approved products and keeps their state.

NEW gets a pre-review number 产品预审主键 ``PR<office><year><8-digit serial>`` (office = the first four
digits of the CO registration number) and state (NORMAL, APPROVED); CHANGE needs a record in force;
CANCEL 注销 → CANCELLED; RESTORE 恢复 only of a cancelled one; DELETE of a submitted record removes it
(a draft never reached customs: nothing to check). A ``ProductPreReviewReceipt`` follows an approval.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from mock_customs import wire
from mock_customs.handlers.base import APPROVED, Plan, Review, beijing_time, text

if TYPE_CHECKING:
    from mock_customs.authority import Authority

PREREVIEW = "prereview"  # record kind, key = PreReviewNo; status APPROVED / CANCELLED / DELETED
HEAD = "/ProductPreReview/Head"
STATUS_AFTER = {"NEW": ("NORMAL", APPROVED), "CHANGE": ("CHANGED", APPROVED), "CANCEL": ("CANCELLED", "CANCELLED"),
                "RESTORE": ("RESTORED", APPROVED), "DELETE": ("DELETED", "DELETED")}


class ProductPreReviewHandler:
    family = "GACC_PRODUCT"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head, ent, product = data.get("Head") or {}, data.get("Enterprise") or {}, data.get("Product") or {}
        review.require_identity("/ProductPreReview/Enterprise/Uscc", text(ent.get("Uscc")),
                                "/ProductPreReview/Enterprise/AplRegNo", text(ent.get("AplRegNo")))
        review.require_synced(f"{HEAD}/ApplyType")
        action = text(head.get("ApplyType"))
        product_no = text(head.get("ProductNo"))
        number = text(head.get("PreReviewNo"))
        current = review.record(PREREVIEW, number) if number else None
        if action == "NEW":
            for rec in review.records(PREREVIEW):
                if rec.data.get("ProductNo") == product_no and rec.status == APPROVED:
                    review.find("PRODUCT_HAS_PREREVIEW", f"{HEAD}/ProductNo",
                                f"product 产品编号 (ProductNo) {product_no} already has pre-review {rec.key} in force:"
                                " change it instead of applying again")
            office = review.reg_no[:4]
            year = received_at.year
            number = f"PR{office}{year}{review.registry.next_number(f'prereview:{office}:{year}'):08d}"
        elif action == "DELETE" and not number:
            pass  # a draft deleted locally: customs holds nothing
        elif current is None:
            review.find("PREREVIEW_UNKNOWN", f"{HEAD}/PreReviewNo",
                        f"pre-review number 产品预审主键 (PreReviewNo) {number or 'empty'!r} is not a pre-review of"
                        f" {review.sender} at {authority.authority_id}")
        elif action in ("CHANGE", "CANCEL") and current.status != APPROVED:
            review.find("NOT_IN_FORCE", f"{HEAD}/ApplyType", f"{action}: pre-review {number} is {current.status};"
                        " only an approved pre-review in force (正常 / 审核通过) may be changed or cancelled 注销")
        elif action == "RESTORE" and current.status != "CANCELLED":
            review.find("NOT_CANCELLED", f"{HEAD}/ApplyType", f"RESTORE 恢复: pre-review {number} is"
                        f" {current.status}; only a cancelled 注销 pre-review can be restored")
        record_status, status = STATUS_AFTER.get(action, ("NORMAL", APPROVED))
        documents = []
        if number:
            keep = {"ProductNo": product_no, "HSCode": text(product.get("HSCode")) or
                    (current.data.get("HSCode") if current else ""), "NameCn": text(product.get("NameCn"))}
            review.put(PREREVIEW, number, status, keep)
            documents.append(("GACC_PRODUCT_PREREVIEW_RECEIPT", wire.build_document(
                "GACC_PRODUCT_PREREVIEW_RECEIPT", [
                    ("ReceiptId", f"{authority.authority_id}-PR-{review.message_id[:12]}"),
                    ("DocumentNo", text(head.get("DocumentNo"))), ("ProductNo", product_no),
                    ("PreReviewNo", number), ("ApplyType", action),
                    ("RecordStatus", None if action == "DELETE" else record_status),
                    ("AuditStatus", None if action == "DELETE" else "APPROVED"),
                    ("Status", "审核通过"), ("Text", f"产品预审审核通过, 产品预审主键 {number}"),
                    ("IssuedAt", beijing_time(received_at)),
                ])))
        return review.plan(approved_text=f"产品预审审核通过 {number}".strip(), cert_no=None,
                           documents=documents)


HANDLERS = {"GACC_PRODUCT_PREREVIEW": ProductPreReviewHandler()}
