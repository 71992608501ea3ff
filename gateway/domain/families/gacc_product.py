"""Product pre-review 产品预审 (seed 001 ch. 6 l.1455-1697): business rules of ``ProductPreReview``.

``ProductPreReview`` decodes to ``{"Head": {...}, "Enterprise": {...}, "Product": {..., "DetailList":
{"Detail": [...]}}}``. The arithmetic and the (状态, 审核状态) state machine live in
``gateway.domain.product_review`` (shared with the verification family); this module adds what is
particular to the application message:

- the applicant's USCC has a correct GB 32100 check character;
- Head/ApplyType (申请类型) must be allowed from the stated Head/CurrentStatus + CurrentAuditStatus
  (``product_review.application_path``); without a stated state the authority decides;
- CHANGE, CANCEL and RESTORE act on a record the authority approved, so they name its pre-review key
  (产品预审主键, assumption: the manual does not name the field of the interface);
- NEW and CHANGE carry the product with its production details (the manual's 新增/变更 pages).

The receipt (``ProductPreReviewReceipt``) is inbound and has no business rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from gateway.domain import product_review as pr
from gateway.domain.identifiers import uscc_is_valid
from gateway.domain.violations import Violation

FAMILY = "gacc_product"
ROOT = "/ProductPreReview"
HEAD = f"{ROOT}/Head"
PRODUCT = f"{ROOT}/Product"

RULES: Mapping[str, str] = MappingProxyType({
    "PRODUCT.USCC_CHECK": "the enterprise USCC (统一社会信用代码) must have a correct GB 32100 check character",
    "PRODUCT.OPERATION_NOT_ALLOWED": "the application type (申请类型) must be allowed for the record's stated "
                                     "(CurrentStatus, CurrentAuditStatus); nothing while it awaits review",
    "PRODUCT.PREREVIEW_NO_REQUIRED": "CHANGE, CANCEL and RESTORE name the approved record's pre-review key "
                                     "(PreReviewNo, 产品预审主键)",
    "PRODUCT.BODY_REQUIRED": "NEW and CHANGE carry the product information and its production details",
    **pr.COST_RULES,
})

_NEEDS_PREREVIEW_NO = frozenset({pr.ApplyType.CHANGE, pr.ApplyType.CANCEL, pr.ApplyType.RESTORE})
_NEEDS_BODY = frozenset({pr.ApplyType.NEW, pr.ApplyType.CHANGE})


def _application(head: Mapping[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    try:
        kind = pr.ApplyType(pr.text(head, "ApplyType"))
    except ValueError:
        return found  # the XSD enumerates the application types
    status, audit = pr.text(head, "CurrentStatus"), pr.text(head, "CurrentAuditStatus")
    if status or audit:
        try:
            path = pr.application_path(kind, status or None, audit or None)
        except pr.IllegalOperation:
            path = None
        if path is None:
            found.append(Violation(
                "PRODUCT.OPERATION_NOT_ALLOWED", f"{HEAD}/ApplyType",
                f"ApplyType {kind} is not allowed for a record in (CurrentStatus {status or '?'}, "
                f"CurrentAuditStatus {audit or '?'}): {_allowed_text(status, audit)}", "申请类型"))
    if kind in _NEEDS_PREREVIEW_NO and not pr.text(head, "PreReviewNo"):
        found.append(Violation("PRODUCT.PREREVIEW_NO_REQUIRED", f"{HEAD}/PreReviewNo",
                               f"ApplyType {kind} acts on an approved record: give its PreReviewNo", "产品预审主键"))
    return found


def _allowed_text(status: str, audit: str) -> str:
    try:
        s, a = pr.Status(status), pr.Audit(audit)
    except ValueError:
        return "the state is unknown: give both CurrentStatus and CurrentAuditStatus"
    if a is pr.Audit.SUBMITTED:
        return "nothing may be applied while the record awaits review"
    kinds = [k.value for k in pr.ApplyType if pr.application_path(k, s, a) is not None]
    return f"allowed application types: {', '.join(kinds) or 'none'}"


def check(data: Mapping[str, Any]) -> list[Violation]:
    head = pr.child(data, "Head")
    if not head:
        return []  # the receipt, or nothing we know
    found: list[Violation] = []
    uscc = pr.text(pr.child(data, "Enterprise"), "Uscc")
    if uscc and not uscc_is_valid(uscc):
        found.append(Violation("PRODUCT.USCC_CHECK", f"{ROOT}/Enterprise/Uscc",
                               f"Uscc {uscc} has a wrong check character (GB 32100)", "统一社会信用代码"))
    found += _application(head)
    product = pr.child(data, "Product")
    if not product:
        if pr.text(head, "ApplyType") in _NEEDS_BODY:
            found.append(Violation("PRODUCT.BODY_REQUIRED", PRODUCT,
                                   f"ApplyType {pr.text(head, 'ApplyType')} needs the product information and its "
                                   "production details (Product)", "企业产品信息"))
        return found
    found += pr.check_costs(product, PRODUCT)
    return found
