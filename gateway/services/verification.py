"""核查互动 verification answers (seed 001 ch. 7): the uploaded materials and the product cost details of a
verification record become ``VerificationFile`` messages and one ``VerificationResponse``, all through
``accept_message`` like anything an ERP sends (same XSD, same business rules, same idempotency).

Order on 提交 (submit): the whole response is checked first (nothing stored, nothing sent); then every file
is accepted (its DocumentNo is fixed per uploaded file, so a second submit after a refusal finds the file
already accepted instead of sending it twice); then the response. Customs thus holds the files before
the answer that names them.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.domain import product_review as pr
from gateway.domain.families import check_document
from gateway.domain.families import gacc_verification as rules
from gateway.services import xml_documents
from gateway.services.intake import IntakeResult, Issue, accept_message
from gateway.services.ports import Clock, EnterpriseInfo, Store
from messages import codecs
from messages.validate import Validator

NS = "urn:cogateway:gacc:verification:v1"
RESPONSE = "/VerificationResponse"
#: Elements of a product's cost details, in schema order (gacc-verification-v1.xsd ProductType / DetailType).
PRODUCT_FIELDS = ("PreReviewNo", "HSCode", "NameCn", "NameEn", "Spec", "Unit", "Currency", "ExWorksPrice",
                  "FOBPrice", "ContainsImported", "NonOrigExWorksPct", "NonOrigFobPct")
DETAIL_FIELDS = ("SeqNo", "HSCode", "MaterialName", "OriginCountry", "UnitPrice", "Usage", "UsageUnit",
                 "OriginatingValue", "NonOriginatingValue")


@dataclass(frozen=True)
class Material:
    """An electronic material 电子资料 the record lists; ``required`` = 必传 (the ticked ones, l.1725)."""

    file_type: str
    name: str
    required: bool
    pre_review_no: str = ""


@dataclass(frozen=True)
class Record:
    """What the answer needs to know of the record it answers."""

    record_no: str
    status: str  # PENDING | RETURNED (the processable states)
    enterprise: EnterpriseInfo
    materials: Sequence[Material] = ()
    cost_required: Sequence[str] = ()  # PreReviewNo of the products whose cost details customs asks for


@dataclass(frozen=True)
class DraftFile:
    id: int
    file_type: str
    pre_review_no: str
    file_name: str
    content: bytes


@dataclass
class Submission:
    outcome: str  # accepted | duplicate | rejected (nothing sent) | refused (a file or the answer was refused)
    response: IntakeResult | None = None
    sent_files: dict[int, str] = field(default_factory=dict)  # draft file id -> VerificationFile MessageId
    issues: list[Issue] = field(default_factory=list)


def _enterprise(e: EnterpriseInfo) -> dict[str, str]:
    return {"Uscc": e.id, "AplRegNo": e.reg_no, "NameCn": e.name[:100]}


def file_document(record: Record, f: DraftFile, document_no: str) -> bytes:
    """One material as its ``VerificationFile`` message."""
    return xml_documents.document(NS, "VerificationFile", {
        "DocumentNo": document_no, "RecordNo": record.record_no, "Enterprise": _enterprise(record.enterprise),
        "FileType": f.file_type, "PreReviewNo": f.pre_review_no, "FileName": f.file_name,
        "FileSize": str(len(f.content)), "FileContent": base64.b64encode(f.content).decode("ascii"),
    })


def product_in_order(product: Mapping[str, Any]) -> dict[str, Any]:
    """A product's cost details with the derived percentages filled in and every element in schema order."""
    out: dict[str, Any] = {name: str(product.get(name, "") or "").strip() for name in PRODUCT_FIELDS}
    lines = [{name: str(line.get(name, "") or "").strip() for name in DETAIL_FIELDS} for line in pr.details(product)]
    for i, line in enumerate(lines, start=1):
        line["SeqNo"] = str(i)  # numbered 1..n in order (PRODUCT.DETAIL_SEQNO)
    out["DetailList"] = {"Detail": lines}
    exw_pct, fob_pct = pr.derived_percentages(out)  # l.1527-1533: derived, not typed in
    out["NonOrigExWorksPct"] = "" if exw_pct is None else str(exw_pct)
    out["NonOrigFobPct"] = "" if fob_pct is None else str(fob_pct)
    return out


def response_document(record: Record, files: Sequence[DraftFile], products: Sequence[Mapping[str, Any]],
                      document_no: str) -> bytes:
    required = [m for m in record.materials if m.required]
    return xml_documents.document(NS, "VerificationResponse", {
        "Head": {"DocumentNo": document_no, "RecordNo": record.record_no, "CurrentStatus": record.status},
        "Enterprise": _enterprise(record.enterprise),
        "RequiredAttachmentList": {"RequiredAttachment": [
            {"FileType": m.file_type, "FileTypeName": m.name[:100], "PreReviewNo": m.pre_review_no} for m in required]}
        if required else None,
        "AttachmentList": {"Attachment": [{"FileType": f.file_type, "FileName": f.file_name,
                                           "PreReviewNo": f.pre_review_no} for f in files]} if files else None,
        "ProductList": {"Product": [product_in_order(p) for p in products]} if products else None,
    })


def check_bytes(validator: Validator, raw: bytes) -> list[Issue]:
    """What ``accept_message`` would answer about ``raw`` (XSD and business rules), storing nothing."""
    result = validator.validate(raw)
    issues = [Issue(p.rule, p.path, p.message, p.line) for p in result.problems]
    if result.root is None or result.entry is None or issues:
        return issues
    doc = codecs.decode(result.entry, result.root)
    return [Issue(v.rule_id, v.path, v.message, doc.lines.get(v.path), v.field_cn)
            for v in check_document(result.entry.family, doc.data)]


def check_file(validator: Validator, record: Record, f: DraftFile) -> list[Issue]:
    """An upload checked as the message it will become: PDF, ≤ 4 MB, ≤ 300 KB per page, fits a message."""
    return check_bytes(validator, file_document(record, f, "UI-VF-CHECK"))


def check_product(validator: Validator, record: Record, product: Mapping[str, Any]) -> list[Issue]:
    """The cost details of one product checked inside a response (XSD formats and the six cost rules); only
    the problems located in that product are returned."""
    raw = response_document(record, (), [product], "UI-VR-CHECK")
    base = f"{RESPONSE}/ProductList/Product"
    return [i for i in check_bytes(validator, raw) if i.path.startswith(base)]


def missing_parts(record: Record, files: Sequence[DraftFile], products: Mapping[str, Any]) -> list[Issue]:
    """What customs would refuse for sure: a required material without a file, a product whose cost details
    it asks for without them (the mock's MATERIAL_MISSING / PRODUCT_MISSING), said before anything is sent."""
    have = {(f.file_type, f.pre_review_no) for f in files}
    issues = []
    for m in record.materials:
        if m.required and (m.file_type, m.pre_review_no) not in have:
            where = f" of product {m.pre_review_no}" if m.pre_review_no else ""
            issues.append(Issue("VERIFICATION.REQUIRED_ATTACHMENT_MISSING", f"material:{m.file_type}:{m.pre_review_no}",
                                f"required material {m.file_type} ({m.name}){where} has no uploaded file",
                                field_cn="必传附件"))
    for key in record.cost_required:
        if key not in products:
            issues.append(Issue("VERIFICATION.COST_DETAILS_REQUIRED", f"product:{key}",
                                f"customs asks for the cost details of product {key}: maintain them "
                                "(维护产品成本明细) and save before submitting", field_cn="产品成本明细"))
    return issues


def submit(store: Store, validator: Validator, clock: Clock, record: Record, files: Sequence[DraftFile],
           products: Mapping[str, Mapping[str, Any]], *, actor: str) -> Submission:
    """提交: the files, then the response naming them. Nothing is sent unless the whole answer passes."""
    if record.status not in {s.value for s in rules.PROCESSABLE}:
        return Submission("rejected", issues=[Issue("VERIFICATION.STATUS_NOT_PROCESSABLE", f"{RESPONSE}/Head/"
                                                    "CurrentStatus", f"record {record.record_no} is {record.status}:"
                                                    " only 待核查 and 退回核查 can be submitted", field_cn="核查状态")])
    missing = missing_parts(record, files, products)
    if missing:
        return Submission("rejected", issues=missing)
    raw = response_document(record, files, list(products.values()), f"UI-VR-{uuid.uuid4().hex[:16]}")
    ent = record.enterprise.id
    if check_bytes(validator, raw):
        # refused as the API would refuse it: the input is kept as a rejected message, with its problems
        refused = accept_message(store, validator, clock, enterprise_id=ent, raw=raw, actor=actor)
        return Submission("rejected", response=refused, issues=refused.issues)
    out = Submission("accepted")
    for f in files:
        sent = accept_message(store, validator, clock, enterprise_id=ent, raw=file_document(record, f, f"UI-VF-{f.id}"),
                              actor=actor)
        if sent.outcome not in ("accepted", "duplicate") or not sent.message_id:
            return Submission("refused", sent_files=out.sent_files,
                              issues=[Issue(i.rule, f"file:{f.id}:{i.path}", f"{f.file_name}: {i.message}", i.line,
                                            i.field_cn) for i in sent.issues])
        out.sent_files[f.id] = sent.message_id
    out.response = accept_message(store, validator, clock, enterprise_id=ent, raw=raw, actor=actor)
    if out.response.outcome not in ("accepted", "duplicate"):
        out.outcome, out.issues = "refused", out.response.issues
    return out
