"""GACC CO applications (``CO_APPLICATION``): the rule tables of review.py plus what only GACC knows.

Besides ``review.BUSINESS_RULES`` (number format and uniqueness, amendments of approved certificates,
origin criteria …): the enterprise must be synced, and for an enterprise registered with
``product_review_required`` every preferential goods line needs an approved product pre-review
(产品预审) of the same HS heading (first 6 digits).

Self-print (seed 003 l.1700-1705): once the exporter's seal and signature are authorised, an approved
certificate of the 15 self-print types (B only for Korea) gets its print layout 版式: a
``PrintLayoutNotice`` follows the approval.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_customs import wire
from mock_customs.handlers.base import (
    APPROVED,
    APPROVED_STATUS,
    APPROVED_TEXT,
    RETURNED_STATUS,
    RETURNED_TEXT,
    SELF_PRINT_TYPES,
    SYNC,
    Plan,
    Review,
    text,
)
from mock_customs.handlers.gacc_product import PREREVIEW
from mock_customs.handlers.gacc_selfprint import LAYOUT, SEAL, layout_notice
from mock_customs.review import GOODS, HEAD, ORIGIN_CRITERIA, ReviewContext, review_certificate

if TYPE_CHECKING:
    from mock_customs.authority import Authority


def prereview_required(review: Review) -> bool:
    rec = review.record(SYNC, "sync")
    return bool(rec is not None and rec.data.get("product_review_required"))


def check_prereviews(review: Review, data: dict[str, Any]) -> None:
    cert_type = text((data.get("head") or {}).get("CertType"))
    table = ORIGIN_CRITERIA.get(cert_type)
    if table is None or table.allowed == ("",):
        return  # non-preferential: no origin criterion, no pre-review
    approved = {text(r.data.get("HSCode"))[:6] for r in review.records(PREREVIEW) if r.status == APPROVED}
    for index, goods in enumerate(data.get("goods") or [], start=1):
        if text(goods.get("GoodsItemFlag")) in ("1", "Y", "true"):
            continue
        hs = text(goods.get("HSCode"))
        if hs[:6] not in approved:
            review.find("PREREVIEW_REQUIRED", f"{GOODS}[{index}]/HSCode",
                        f"preferential certificate type {cert_type}: goods line {index} HS code HS编码 {hs} has no"
                        " approved product pre-review 产品预审 of the enterprise (same first 6 digits)")


def self_printable(review: Review, head: dict[str, Any]) -> bool:
    cert_type = text(head.get("CertType"))
    if cert_type not in SELF_PRINT_TYPES or (cert_type == "B" and text(head.get("DestCountryCode")) != "KOR"):
        return False
    seal = review.record(SEAL, "default")
    return seal is not None and seal.status == "AUTHORISED"


class CertificateHandler:
    """STORED, then APPROVED (审核通过, 可以领证) or RETURNED (退证) with every finding."""

    family = "GACC_CERTIFICATE"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        assert intake.body is not None and intake.enterprise is not None and intake.message_id is not None
        data = wire.decode_certificate(intake.body)
        head = data.get("head") or {}
        cert_no = str(head.get("CertNo") or "") or None
        registry = authority.registry
        message_id = intake.message_id
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
        review = Review(authority, intake, received_at, self.family, data)
        review.require_synced(f"{HEAD}/AplRegNo")
        review.findings.extend(review_certificate(ctx, data).findings)
        if prereview_required(review):
            check_prereviews(review, data)
        documents = []
        if cert_no and self_printable(review, head):
            review.put(LAYOUT, cert_no, "RECEIVED")
            documents.append(("PRINT_LAYOUT_NOTICE", layout_notice(authority.authority_id, cert_no, received_at)))
        return review.plan(approved_text=APPROVED_TEXT, approved_status=APPROVED_STATUS,
                           returned_text=RETURNED_TEXT, returned_status=RETURNED_STATUS, cert_no=cert_no,
                           holds_number=True, documents=documents)


HANDLERS = {"CO_APPLICATION": CertificateHandler()}
