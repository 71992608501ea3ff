"""Verification responses 核查互动 (seed 001 ch. 7): only for a record customs opened and still open.

Customs opens a record (``POST /admin/initiate/verification-request``: 待核查 PENDING). The response must
name an open record of the sender (PENDING or RETURNED 退回核查) in the state customs has, carry every
material the record marks required, and the cost details of every product it asks for. Approved →
核查中 IN_PROGRESS (no longer answerable) and a ``VerificationReceipt``.

A material's file (``VerificationFile``) comes as its own message before the response: it is taken for
an open record of the sender, of a material type the record lists (for the product it names, when the
material is asked per product), and kept under the record by file name.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_customs import wire
from mock_customs.handlers.base import Plan, Review, as_list, beijing_time, text

if TYPE_CHECKING:
    from mock_customs.authority import Authority

VERIFICATION = "verification"  # record kind, key = RecordNo: PENDING / RETURNED / IN_PROGRESS
VERIFICATION_FILE = "verification_file"  # key = "<RecordNo>/<FileName>": RECEIVED
OPEN = ("PENDING", "RETURNED")
ROOT = "/VerificationResponse"


def _asked(review: Review, record_no: str, data: dict[str, Any], name: str, key: str) -> list[dict[str, Any]]:
    """The materials / products the record asks for; one customs cannot read (seeded without ``key``
    through the admin API) is a finding, not a crash."""
    usable = []
    for index, item in enumerate(as_list(data.get(name)), start=1):
        if isinstance(item, dict) and text(item.get(key)):
            usable.append(item)
        else:
            review.find("RECORD_INCOMPLETE", f"{ROOT}/Head/RecordNo", f"verification record {record_no} held by"
                        f" {review.authority_id}: {name}[{index}] has no {key}, so it cannot be checked")
    return usable


class VerificationResponseHandler:
    family = "GACC_VERIFICATION"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head, ent = data.get("Head") or {}, data.get("Enterprise") or {}
        review.require_identity(f"{ROOT}/Enterprise/Uscc", text(ent.get("Uscc")), f"{ROOT}/Enterprise/AplRegNo",
                                text(ent.get("AplRegNo")))
        record_no = text(head.get("RecordNo"))
        record = review.record(VERIFICATION, record_no)
        if record is None:
            review.find("RECORD_UNKNOWN", f"{ROOT}/Head/RecordNo", f"verification record 核查记录单 (RecordNo)"
                        f" {record_no} was not issued by {authority.authority_id} to {review.sender}")
        elif record.status not in OPEN:
            review.find("RECORD_NOT_OPEN", f"{ROOT}/Head/RecordNo", f"verification record {record_no} is"
                        f" {record.status}: only a record 待核查 (PENDING) or 退回核查 (RETURNED) can be answered")
        else:
            claimed = text(head.get("CurrentStatus"))
            if claimed != record.status:
                review.find("STATUS_MISMATCH", f"{ROOT}/Head/CurrentStatus", f"current status 核查状态 {claimed}"
                            f" differs from the record's status at customs ({record.status})")
            attached = {text(a.get("FileType")) for a in as_list(
                (data.get("AttachmentList") or {}).get("Attachment"))}
            for material in _asked(review, record_no, record.data, "materials", "FileType"):
                if material.get("Required") == "1" and material["FileType"] not in attached:
                    review.find("MATERIAL_MISSING", f"{ROOT}/AttachmentList", f"required material 电子资料"
                                f" {material['FileType']} ({material.get('FileTypeName', '')}) asked for by record"
                                f" {record_no} is not attached")
            answered = {text(p.get("PreReviewNo")) for p in as_list(
                (data.get("ProductList") or {}).get("Product"))}
            for product in _asked(review, record_no, record.data, "products", "PreReviewNo"):
                if product.get("CostDetailRequired") == "1" and product["PreReviewNo"] not in answered:
                    review.find("PRODUCT_MISSING", f"{ROOT}/ProductList", f"cost details 成本明细 of product"
                                f" {product['PreReviewNo']} asked for by record {record_no} are missing")
            review.put(VERIFICATION, record_no, "IN_PROGRESS", record.data)
        receipt = wire.build_document("GACC_VERIFICATION_RECEIPT", [
            ("ReceiptId", f"{authority.authority_id}-HC-{review.message_id[:12]}"),
            ("DocumentNo", text(head.get("DocumentNo"))), ("RecordNo", record_no), ("StatusCode", "IN_PROGRESS"),
            ("Status", "核查中"), ("Text", "核查记录单接收成功"), ("IssuedAt", beijing_time(received_at)),
        ])
        return review.plan(approved_text="核查记录单接收成功", approved_status="核查中",
                           documents=[("GACC_VERIFICATION_RECEIPT", receipt)])


class VerificationFileHandler:
    family = "GACC_VERIFICATION"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        root = "/VerificationFile"
        ent = data.get("Enterprise") or {}
        review.require_identity(f"{root}/Enterprise/Uscc", text(ent.get("Uscc")), f"{root}/Enterprise/AplRegNo",
                                text(ent.get("AplRegNo")))
        record_no, file_type = text(data.get("RecordNo")), text(data.get("FileType"))
        product, name = text(data.get("PreReviewNo")), text(data.get("FileName"))
        record = review.record(VERIFICATION, record_no)
        if record is None:
            review.find("RECORD_UNKNOWN", f"{root}/RecordNo", f"verification record 核查记录单 (RecordNo)"
                        f" {record_no} was not issued by {authority.authority_id} to {review.sender}")
        elif record.status not in OPEN:
            review.find("RECORD_NOT_OPEN", f"{root}/RecordNo", f"verification record {record_no} is"
                        f" {record.status}: files are taken only for a record 待核查 (PENDING) or 退回核查 (RETURNED)")
        else:
            listed = {(text(m.get("FileType")), text(m.get("PreReviewNo")))
                      for m in as_list(record.data.get("materials")) if isinstance(m, dict)}
            if (file_type, product) not in listed:
                where = f" for product {product}" if product else ""
                review.find("MATERIAL_UNKNOWN", f"{root}/FileType", f"material type 电子资料 (FileType) {file_type}"
                            f"{where} is not one record {record_no} lists")
            else:
                review.put(VERIFICATION_FILE, f"{record_no}/{name}", "RECEIVED",
                           {"FileType": file_type, "PreReviewNo": product, "FileSize": text(data.get("FileSize"))})
        return review.plan(approved_text="核查附件接收成功", approved_status="海关接收成功")


HANDLERS = {"GACC_VERIFICATION_RESPONSE": VerificationResponseHandler(),
            "GACC_VERIFICATION_FILE": VerificationFileHandler()}
