"""CCPIT CO applications (seed 002): CCPIT numbers the certificate when it approves it.

What CCPIT checks beyond the document itself: only DECLARE reaches it (a DRAFT stays with the
enterprise); the enterprise code is the sender's, with a user record and synced data; the type is one
CCPIT issues; every goods line of a preferential certificate uses a product registration 商品备案 approved
for that certificate type; an amend-and-reissue 改证重发 replaces a certificate CCPIT issued to the sender.
Approved → number ``YY<type><EntCode>/<5-digit serial>`` in the decision receipt; the old one is REPLACED.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_customs import wire
from mock_customs.handlers._ccpit import REGISTRATION, ccpit_number, require_ent_code, require_user_record
from mock_customs.handlers.base import (
    APPROVED,
    APPROVED_STATUS,
    APPROVED_TEXT,
    RETURNED_STATUS,
    RETURNED_TEXT,
    Plan,
    Review,
    as_list,
    text,
)
from mock_customs.review import CCPIT_CERT_TYPES

if TYPE_CHECKING:
    from mock_customs.authority import Authority

ROOT = "/Certificate"
HEAD = f"{ROOT}/CertificateHead"
# seed 002: the 15 CCPIT types; HM (Hong Kong / Macao non-preferential) as the catalogue has it
ISSUED_TYPES = CCPIT_CERT_TYPES | {"HM"}
NON_PREFERENTIAL = frozenset({"C", "HM"})


class CcpitCertificateHandler:
    family = "CCPIT_CERTIFICATE"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head: dict[str, Any] = data.get("CertificateHead") or {}
        cert_type = text(head.get("CertType"))
        if text(head.get("ApplyType")) != "DECLARE":
            review.find("NOT_DECLARED", f"{HEAD}/ApplyType", "application type 申报类型 (ApplyType) "
                        f"{text(head.get('ApplyType'))}: a draft 保存 stays with the enterprise; only DECLARE"
                        " (申报) is reviewed by CCPIT")
        require_ent_code(review, f"{HEAD}/EntCode", text(head.get("EntCode")))
        if text(head.get("EntUscc")):
            review.require_identity(f"{HEAD}/EntUscc", text(head.get("EntUscc")))
        require_user_record(review, f"{HEAD}/EntCode")
        review.require_synced(f"{HEAD}/EntCode")
        if cert_type not in ISSUED_TYPES:
            review.find("CERT_TYPE", f"{HEAD}/CertType", f"certificate type 证书类型 {cert_type} is not issued by"
                        f" CCPIT ({', '.join(sorted(ISSUED_TYPES))})")
        if cert_type not in NON_PREFERENTIAL:
            goods = as_list((data.get("CertificateList") or {}).get("Goods"))
            for index, line in enumerate(goods, start=1):
                number = text(line.get("RegistrationNo"))
                rec = review.record(REGISTRATION, number) if number else None
                path = f"{ROOT}/CertificateList/Goods[{index}]/RegistrationNo"
                if rec is None or rec.status != APPROVED:
                    review.find("PRODUCT_NOT_REGISTERED", path, f"goods line {index}: product registration"
                                f" 商品备案号 {number or 'empty'!r} is not an approved registration of"
                                f" {review.sender}: preferential certificates use registered goods only")
                elif rec.data.get("AreaCode") != cert_type:
                    review.find("REGISTRATION_AREA", path, f"goods line {index}: registration {number} is for"
                                f" area {rec.data.get('AreaCode')}, not certificate type {cert_type}")
        if text(head.get("ApplyKind")) == "AMEND_REISSUE":
            old = text((data.get("ModCertificate") or {}).get("OldCertNo"))
            if review.require_issued(f"{ROOT}/ModCertificate/OldCertNo", old,
                                     what="(改证重发 only of an issued certificate)"):
                review.effects.append({"op": "certificate", "cert_no": old, "status": "REPLACED"})
        cert_no = None if review.findings else ccpit_number(review, "certificate", cert_type, received_at.year)
        return review.plan(approved_text=APPROVED_TEXT, approved_status=APPROVED_STATUS,
                           returned_text=RETURNED_TEXT, returned_status=RETURNED_STATUS, cert_no=cert_no,
                           holds_number=True)


HANDLERS = {"CCPIT_CO_APPLICATION": CcpitCertificateHandler()}
