"""Verification interaction 核查互动 (seed 001 ch. 7 l.1698-1778): business rules and record states.

Customs sends a verification record (``VerificationRecord``, inbound) in state 待核查 or 退回核查. The
enterprise answers with a ``VerificationResponse``: it uploads the materials the record requires (the
ticked electronic materials are 必传, l.1725-1729; a product of the record's product list may require
its own, l.1733) and maintains product cost details (l.1738-1758, the same six rules as the product
pre-review). Once customs stored the response the record is 核查中 (l.1762-1764).

``VerificationResponse`` decodes to ``{"Head": {...}, "Enterprise": {...}, "RequiredAttachmentList":
{"RequiredAttachment": [...]}, "AttachmentList": {"Attachment": [...]}, "ProductList": {"Product":
[...]}}``. Rules:

- the enterprise USCC has a correct check character;
- only a record in 待核查 or 退回核查 is processed (l.1719): when Head/CurrentStatus is given it must be one;
- every required attachment (type, and product when it names one) has at least one attachment of that
  type (for that product); files are referenced by name, and a name appears once (assumption: the name
  is how the separately sent file is found);
- a product's cost details appear once per pre-review key, and obey ``product_review``'s arithmetic
  (rule ids PRODUCT.*, shared with the product family).

``VerificationFile`` carries one uploaded material (the response names it by ``FileName``): the USCC check
and the certificate attachments' file rules (PDF only, ≤ 4 MB, ≤ 300 KB per page; ``gacc_attachment``).

The inbound record gets the USCC check only (the other rules are about the enterprise's answer).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from gateway.domain import product_review as pr
from gateway.domain.families import gacc_attachment as attachment
from gateway.domain.identifiers import uscc_is_valid
from gateway.domain.violations import Violation

FAMILY = "gacc_verification"
ROOT = "/VerificationResponse"
RECORD_ROOT = "/VerificationRecord"
FILE_ROOT = "/VerificationFile"
#: The file rules a ``VerificationFile`` shares with certificate attachments.
FILE_RULES = ("ATTACHMENT.FILE_NAME.NOT_PDF", "ATTACHMENT.CONTENT.NOT_PDF", "ATTACHMENT.CONTENT.TOO_LARGE",
              "ATTACHMENT.CONTENT.SIZE_MISMATCH", "ATTACHMENT.PDF.NO_PAGES", "ATTACHMENT.PDF.PAGE_TOO_LARGE")


class VerificationStatus(StrEnum):
    """States of a verification record the manual names."""

    PENDING = "PENDING"  # 待核查
    RETURNED = "RETURNED"  # 退回核查
    IN_PROGRESS = "IN_PROGRESS"  # 核查中

    @property
    def cn(self) -> str:
        return {"PENDING": "待核查", "RETURNED": "退回核查", "IN_PROGRESS": "核查中"}[self.value]


#: The states in which the enterprise may process (处理) and submit a record (l.1719).
PROCESSABLE: frozenset[VerificationStatus] = frozenset({VerificationStatus.PENDING, VerificationStatus.RETURNED})


class NotProcessable(ValueError):
    """A record that is not 待核查 or 退回核查 cannot be answered."""


def after_submit(status: VerificationStatus | str) -> VerificationStatus:
    """The record's state once customs received the enterprise's response: 核查中 (l.1764)."""
    try:
        current = VerificationStatus(status)
    except ValueError as exc:
        raise NotProcessable(f"unknown verification status {status!r}") from exc
    if current not in PROCESSABLE:
        raise NotProcessable(f"a record in {current.cn} cannot be processed; only 待核查 and 退回核查 can")
    return VerificationStatus.IN_PROGRESS


RULES: Mapping[str, str] = MappingProxyType({
    "VERIFICATION.USCC_CHECK": "the enterprise USCC (统一社会信用代码) must have a correct GB 32100 check character",
    "VERIFICATION.STATUS_NOT_PROCESSABLE": "only a record in 待核查 (PENDING) or 退回核查 (RETURNED) can be "
                                           "processed and answered",
    "VERIFICATION.REQUIRED_ATTACHMENT_MISSING": "every required (必传) attachment type - for its product when it "
                                                "names one - has at least one attached file",
    "VERIFICATION.ATTACHMENT_NAME_DUPLICATE": "an attached file name appears once (files are referenced by name)",
    "VERIFICATION.PRODUCT_DUPLICATE": "a product's cost details (PreReviewNo) appear once",
    **pr.COST_RULES,
    **{rule: f"VerificationFile: {attachment.RULES[rule]}" for rule in FILE_RULES},
})


def _uscc(data: Mapping[str, Any], root: str) -> list[Violation]:
    uscc = pr.text(pr.child(data, "Enterprise"), "Uscc")
    if uscc and not uscc_is_valid(uscc):
        return [Violation("VERIFICATION.USCC_CHECK", f"{root}/Enterprise/Uscc",
                          f"Uscc {uscc} has a wrong check character (GB 32100)", "统一社会信用代码")]
    return []


def _status(head: Mapping[str, Any]) -> list[Violation]:
    status = pr.text(head, "CurrentStatus")
    if not status:
        return []
    try:
        after_submit(status)
    except NotProcessable as exc:
        return [Violation("VERIFICATION.STATUS_NOT_PROCESSABLE", f"{ROOT}/Head/CurrentStatus",
                          f"CurrentStatus {status}: {exc}", "核查状态")]
    return []


def _attachments(data: Mapping[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    attached = pr.records(pr.child(data, "AttachmentList").get("Attachment"))
    have = {(pr.text(a, "FileType"), pr.text(a, "PreReviewNo")) for a in attached}
    required = pr.records(pr.child(data, "RequiredAttachmentList").get("RequiredAttachment"))
    for i, req in enumerate(required, start=1):
        file_type, product = pr.text(req, "FileType"), pr.text(req, "PreReviewNo")
        if (file_type, product) not in have:
            name = pr.text(req, "FileTypeName")
            what = f"{file_type}" + (f" ({name})" if name else "")
            where = f" for product {product}" if product else ""
            found.append(Violation("VERIFICATION.REQUIRED_ATTACHMENT_MISSING",
                                   f"{ROOT}/RequiredAttachmentList/RequiredAttachment[{i}]",
                                   f"required attachment type {what}{where} has no attached file", "必传附件"))
    seen: set[str] = set()
    for i, att in enumerate(attached, start=1):
        name = pr.text(att, "FileName")
        if name and name in seen:
            found.append(Violation("VERIFICATION.ATTACHMENT_NAME_DUPLICATE",
                                   f"{ROOT}/AttachmentList/Attachment[{i}]/FileName",
                                   f"file name {name} is attached twice; give each file its own name", "文件名称"))
        seen.add(name)
    return found


def _products(data: Mapping[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    seen: set[str] = set()
    for i, product in enumerate(pr.records(pr.child(data, "ProductList").get("Product")), start=1):
        base = f"{ROOT}/ProductList/Product[{i}]"
        key = pr.text(product, "PreReviewNo")
        if key and key in seen:
            found.append(Violation("VERIFICATION.PRODUCT_DUPLICATE", f"{base}/PreReviewNo",
                                   f"cost details of product {key} are given twice", "产品预审主键"))
        seen.add(key)
        found += pr.check_costs(product, base)
    return found


def check(data: Mapping[str, Any]) -> list[Violation]:
    if "Record" in data:  # the inbound verification record
        return _uscc(data, RECORD_ROOT)
    if "FileContent" in data:  # one uploaded material
        return _uscc(data, FILE_ROOT) + attachment.file_violations(data, FILE_ROOT)
    head = pr.child(data, "Head")
    if not head:
        return []  # the receipt, or nothing we know
    return _uscc(data, ROOT) + _status(head) + _attachments(data) + _products(data)
