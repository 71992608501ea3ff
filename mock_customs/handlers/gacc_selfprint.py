"""Self-print 自助打印 (seed 003 part 2): seals and signatures, agent print rights, print exceptions.

Customs keeps the authorised default seal + signature, the agents allowed to print, and the layouts
(版式) it sent. A print exception needs an issued certificate of one of the 15 self-print types and an
authorised seal; NEW_LAYOUT makes customs send a new ``PrintLayoutNotice``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_customs import wire
from mock_customs.handlers.base import SELF_PRINT_TYPES, Plan, Review, beijing_date, beijing_time, text

if TYPE_CHECKING:
    from mock_customs.authority import Authority

SEAL = "seal"  # key "default": AUTHORISED
AGENT_PRINT = "agent_print"  # key = AgentOrgCode: AUTHORISED / WITHDRAWN
LAYOUT = "layout"  # key = CertNo: RECEIVED


def cert_type_of(cert_no: str) -> str:
    return cert_no[:2] if len(cert_no) > 1 and cert_no[1].isalpha() else cert_no[:1]


def layout_notice(authority_id: str, cert_no: str, moment: datetime, seq: int = 1) -> str:
    return wire.build_document("PRINT_LAYOUT_NOTICE", [
        ("NoticeId", f"LAYOUT-{cert_no}-{seq}"), ("CertNo", cert_no), ("IssueDate", beijing_date(moment)),
        ("LayoutStatus", "RECEIVED"), ("IssuedAt", beijing_time(moment)),
    ])


class SealSignatureHandler:
    family = "GACC_SELFPRINT"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head: dict[str, Any] = data.get("AuthorisationHead") or {}
        root = "/SealSignatureAuthorisation/AuthorisationHead"
        review.require_identity(f"{root}/Uscc", text(head.get("Uscc")), f"{root}/AplRegNo",
                                text(head.get("AplRegNo")))
        review.require_synced(f"{root}/Uscc")
        seal = data.get("Seal") or {}
        review.put(SEAL, "default", "AUTHORISED", {"SealName": text(seal.get("SealName")),
                                                    "ValidTo": text(seal.get("ValidTo"))})
        receipt = wire.build_document("SEAL_SIGNATURE_AUTHORISATION_RECEIPT", [
            ("ReceiptId", f"{authority.authority_id}-SP-{review.message_id[:12]}"),
            ("DocumentNo", text(head.get("DocumentNo"))), ("ResultCode", "0"),
            ("SealResult", "接收企业电子印章成功"), ("SignatureResult", "接收申报员手签笔迹成功"),
            ("ReceivedAt", beijing_time(received_at)),
        ])
        return review.plan(approved_text="接收企业电子印章成功", approved_status="海关接收成功",
                           documents=[("SEAL_SIGNATURE_AUTHORISATION_RECEIPT", receipt)])


class AgentPrintHandler:
    family = "GACC_SELFPRINT"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head: dict[str, Any] = data.get("AgentAuthorisationHead") or {}
        root = "/AgentPrintAuthorisation/AgentAuthorisationHead"
        review.require_identity(f"{root}/Uscc", text(head.get("Uscc")))
        review.require_synced(f"{root}/Uscc")
        org = text(head.get("AgentOrgCode"))
        if text(head.get("Authorised")) == "0":
            current = review.record(AGENT_PRINT, org)
            if current is None or current.status != "AUTHORISED":
                review.find("NOT_AUTHORISED", f"{root}/AgentOrgCode", f"agent 代理企业 {org} has no print"
                            " authorisation 代理打印授权 on record: nothing to withdraw")
            review.put(AGENT_PRINT, org, "WITHDRAWN")
        else:
            review.put(AGENT_PRINT, org, "AUTHORISED", {"ValidTo": text(head.get("ValidTo"))})
        return review.plan(approved_text="代理打印授权海关接收成功", approved_status="海关接收成功")


class PrintExceptionHandler:
    family = "GACC_SELFPRINT"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head: dict[str, Any] = data.get("PrintExceptionHead") or {}
        root = "/PrintExceptionRequest/PrintExceptionHead"
        review.require_identity(f"{root}/Uscc", text(head.get("Uscc")))
        cert_no = text(head.get("CertNo"))
        cert_type = cert_type_of(cert_no)
        if cert_type not in SELF_PRINT_TYPES:
            review.find("TYPE_NOT_ELIGIBLE", f"{root}/CertNo", f"certificate type 证书类型 {cert_type} is not one"
                        f" of the 15 self-print types ({', '.join(sorted(SELF_PRINT_TYPES))})")
        review.require_issued(f"{root}/CertNo", cert_no, what="(only issued certificates are printed)")
        seal = review.record(SEAL, "default")
        if seal is None or seal.status != "AUTHORISED":
            review.find("SEAL_NOT_AUTHORISED", f"{root}/Uscc", "no default seal and signature 电子印章/手签笔迹"
                        f" of {review.sender} is authorised to customs: self-printing is not possible")
        documents = []
        if text(head.get("Action")) == "NEW_LAYOUT":
            review.put(LAYOUT, cert_no, "RECEIVED")
            documents.append(("PRINT_LAYOUT_NOTICE", layout_notice(authority.authority_id, cert_no, received_at,
                                                                    2)))
        return review.plan(approved_text="打印异常申请审核通过", approved_status="审核通过", cert_no=cert_no,
                           documents=documents)


HANDLERS = {
    "SEAL_SIGNATURE_AUTHORISATION": SealSignatureHandler(),
    "AGENT_PRINT_AUTHORISATION": AgentPrintHandler(),
    "PRINT_EXCEPTION_REQUEST": PrintExceptionHandler(),
}
