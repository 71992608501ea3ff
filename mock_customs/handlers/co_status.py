"""Networked CO status queries (seed 000): answered from what the authority knows.

- Export CO status by number: the certificate must be one GACC or CCPIT holds for the sender; the answer
  (``ExportCoStatusResponse``) gives the domestic status and, once partner customs reported one
  (``POST /admin/initiate/partner-status``), the partner-customs status.
- Import CO status / information: answered from the networked import-CO data the authority holds
  (records of kind ``import_co`` for every enterprise ``*``, keyed ``<agreement>|<country>|<CO number>``,
  seeded with ``POST /admin/records``). Information needs every criterion to match.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_customs import wire
from mock_customs.handlers.base import APPROVED, Plan, Review, beijing_time, text

if TYPE_CHECKING:
    from mock_customs.authority import Authority

PARTNER_STATUS = "partner_status"  # key = CO number (the sender's records): data {PartnerStatus, PartnerStatusTime}
IMPORT_CO = "import_co"  # sender "*": key "<AgreementCode>|<OriginCountryCode>|<CoNo>"
DOMESTIC = {APPROVED: "已签发", "PENDING": "审核中", "RETURNED": "退证", "VOIDED": "已作废", "REPLACED": "已更改"}


def _response_head(review: Review, document_no: str, received_at: datetime) -> list[tuple[str, Any]]:
    return [("ResponseId", f"{review.authority_id}-RSP-{review.message_id[:12]}"), ("DocumentNo", document_no),
            ("ResultCode", "0"), ("RespondedAt", beijing_time(received_at))]


class ExportStatusHandler:
    family = "CO_STATUS"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head = data.get("QueryHead") or {}
        review.require_identity("/ExportCoStatusQuery/QueryHead/Uscc", text(head.get("Uscc")))
        co_no = text((data.get("ExportStatusCriteria") or {}).get("CoNo"))
        found = [(name, known) for name in ("GACC", "CCPIT")
                 if (known := review.registry.certificate_status(name, co_no)) is not None]
        documents = []
        path = "/ExportCoStatusQuery/ExportStatusCriteria/CoNo"
        if not found or found[0][1][1] != review.sender:
            # another enterprise's certificate is answered exactly like an unknown one: saying that someone
            # else holds it would leak that it exists
            review.find("CO_NOT_FOUND", path, f"certificate number 原产地证书编号 {co_no} is not a certificate"
                        f" of {review.sender} known to GACC or CCPIT")
        else:
            issuer, (status, _owner) = found[0]
            partner = review.record(PARTNER_STATUS, co_no)
            built = review.document("EXPORT_CO_STATUS_RESPONSE", [
                ("ResponseHead", _response_head(review, text(head.get("DocumentNo")), received_at)),
                ("ExportCoStatus", [
                    ("CoNo", co_no), ("Issuer", issuer), ("DomesticStatus", DOMESTIC.get(status, status)),
                    ("Networked", "1" if partner else "0"),
                    ("PartnerStatus", partner.data.get("PartnerStatus") if partner else None),
                    ("PartnerStatusTime", partner.data.get("PartnerStatusTime") if partner else None),
                ]),
            ], "PARTNER_STATUS_INCOMPLETE", path, f"the partner-customs status of {co_no}")
            if built:
                documents.append(("EXPORT_CO_STATUS_RESPONSE", built))
        return review.plan(approved_text="查询成功", approved_status="查询成功", returned_status="查询失败",
                           returned_text="查询失败", documents=documents)


class ImportQueryHandler:
    family = "CO_STATUS"

    def __init__(self, criteria: str, info: bool) -> None:
        self.criteria = criteria
        self.info = info

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        root = f"/{intake.body.tag.split('}')[-1]}"
        head = data.get("QueryHead") or {}
        review.require_identity(f"{root}/QueryHead/Uscc", text(head.get("Uscc")))
        c = data.get(self.criteria) or {}
        key = f"{text(c.get('AgreementCode'))}|{text(c.get('OriginCountryCode'))}|{text(c.get('CoNo'))}"
        rec = review.registry.record(authority.authority_id, "*", IMPORT_CO, key)
        documents = []
        if rec is None:
            review.find("IMPORT_CO_NOT_FOUND", f"{root}/{self.criteria}/CoNo", f"no import certificate 进口原产地证书"
                        f" {text(c.get('CoNo'))} of agreement 协定 {text(c.get('AgreementCode'))} from"
                        f" {text(c.get('OriginCountryCode'))} is in the networked data")
        elif self.info:
            for name, field in (("CoType", "CoType"), ("FirstItemHSCode", "FirstItemHSCode"),
                                ("IssueDate", "IssueDate")):
                if not text(rec.data.get(field)):
                    review.find("IMPORT_CO_INCOMPLETE", f"{root}/{self.criteria}/{name}", f"the networked"
                                f" certificate {text(c.get('CoNo'))} held by {authority.authority_id} has no"
                                f" {field}: its information cannot be answered")
                elif text(c.get(name)) != text(rec.data.get(field)):
                    review.find("CRITERIA_MISMATCH", f"{root}/{self.criteria}/{name}", f"{name} {text(c.get(name))}"
                                " does not match the networked certificate: every criterion must match")
            if not review.findings:
                goods = [[("ItemNo", "1"), ("HSCode", rec.data.get("FirstItemHSCode")),
                          ("GoodsName", rec.data.get("GoodsName") or "GOODS"),
                          ("OriCriteria", rec.data.get("OriCriteria"))]]
                built = review.document("IMPORT_CO_INFO_RESPONSE", [
                    ("ResponseHead", _response_head(review, text(head.get("DocumentNo")), received_at)),
                    ("ImportCoInfo", [("AgreementCode", text(c.get("AgreementCode"))),
                                      ("OriginCountryCode", text(c.get("OriginCountryCode"))),
                                      ("CoNo", text(c.get("CoNo"))),
                                      ("CoType", rec.data.get("CoType")), ("IssueDate", rec.data.get("IssueDate")),
                                      ("Exporter", rec.data.get("Exporter")), ("Status", rec.status),
                                      ("GoodsList", [("Goods", goods)])]),
                ], "IMPORT_CO_INCOMPLETE", f"{root}/{self.criteria}/CoNo", f"networked certificate {key}")
                if built:
                    documents.append(("IMPORT_CO_INFO_RESPONSE", built))
        else:
            built = review.document("IMPORT_CO_STATUS_RESPONSE", [
                ("ResponseHead", _response_head(review, text(head.get("DocumentNo")), received_at)),
                ("ImportCoStatusList", [("ImportCoStatus", [[
                    ("AgreementCode", text(c.get("AgreementCode"))),
                    ("OriginCountryCode", text(c.get("OriginCountryCode"))), ("CoNo", text(c.get("CoNo"))),
                    ("Status", rec.status)]])]),
            ], "IMPORT_CO_INCOMPLETE", f"{root}/{self.criteria}/CoNo", f"networked certificate {key}")
            if built and not review.findings:
                documents.append(("IMPORT_CO_STATUS_RESPONSE", built))
        return review.plan(approved_text="查询成功", approved_status="查询成功", returned_status="查询失败",
                           returned_text="查询失败", documents=documents)


HANDLERS = {
    "EXPORT_CO_STATUS_QUERY": ExportStatusHandler(),
    "IMPORT_CO_STATUS_QUERY": ImportQueryHandler("ImportStatusCriteria", info=False),
    "IMPORT_CO_INFO_QUERY": ImportQueryHandler("ImportInfoCriteria", info=True),
}
