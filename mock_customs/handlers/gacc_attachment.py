"""Attachments (``CO_ATTACHMENT``, a separate ``File`` message): they belong to a certificate GACC holds.

The certificate number must be one the enterprise declared to this authority (pending or approved, not
returned), and the attachment's certificate type must be that certificate's type.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from mock_customs import wire
from mock_customs.handlers.base import Plan, Review, text
from mock_customs.handlers.gacc_selfprint import cert_type_of

if TYPE_CHECKING:
    from mock_customs.authority import Authority


class AttachmentHandler:
    family = "GACC_ATTACHMENT"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        review.require_synced("/File/CertNo")
        cert_no, cert_type = text(data.get("CertNo")), text(data.get("CertType"))
        known = review.certificate(cert_no)
        if known is None or known[1] != review.sender:
            review.find("CERT_UNKNOWN", "/File/CertNo", f"certificate number 证书号 (CertNo) {cert_no!r} was not"
                        f" declared to {authority.authority_id} by {review.sender}: send the certificate first")
        elif known[0] not in ("PENDING", "APPROVED"):
            review.find("CERT_NOT_OPEN", "/File/CertNo", f"certificate {cert_no} is {known[0]}: attachments are"
                        " taken only for a certificate under review or issued")
        elif cert_type_of(cert_no) != cert_type:
            review.find("CERT_TYPE", "/File/CertType", f"certificate type 证书类型 (CertType) {cert_type} is not"
                        f" the type of certificate {cert_no}")
        else:
            review.put("attachment", f"{cert_no}/{text(data.get('FileName'))}", "RECEIVED",
                       {"FileType": text(data.get("FileType")), "FileSize": text(data.get("FileSize"))})
        return review.plan(approved_text="随附单据接收成功", approved_status="海关接收成功", cert_no=cert_no)


HANDLERS = {"CO_ATTACHMENT": AttachmentHandler()}
