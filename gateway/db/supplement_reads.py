"""出口报关单补录 export declaration supplements (seed 004; seed 001 ch. 9) as the UI shows them, projected from
the stored ``gacc_supplement`` messages in the caller's scope: one supplement per (enterprise, issuing
authority, certificate number), its operations in order:

- 补录 ADD / 新增 ADD_AGAIN while customs has not answered: 已发送 (SENT, nothing more can be sent);
  approved: 海关接收成功 (ACCEPTED, the final state, seed 001 l.1908) with the numbers in force (ADD sets them,
  ADD_AGAIN adds to them); 删除 DELETE approved: 已删除 (DELETED, may be supplemented again, l.1902);
- a refused operation changes nothing (a first refused ADD leaves 海关退回 REFUSED) and says why;
- an ``ExportDeclarationSupplementReceipt`` from customs, when one comes, decides the operation it names.

A supplement is named in URLs by the MessageId of its first operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from gateway.db.document_reads import ACCEPTED, FAILED, OUTCOME_CN, PENDING, REFUSED, Stored, family_documents, text
from gateway.domain.families.gacc_supplement import split_declaration_nos

FAMILY = "gacc_supplement"
SENT, DELETED = "SENT", "DELETED"
STATUS_CN = {SENT: "已发送, 待海关回执", ACCEPTED: "海关接收成功", DELETED: "已删除", REFUSED: "海关退回"}
_RECEIPT_OUTCOME = {"ACCEPTED": ACCEPTED, "DELETED": ACCEPTED, "FAILED": REFUSED}


@dataclass(frozen=True)
class SupplementFilter:
    cert_no: str = ""  # 证明号
    authority: str = ""  # GACC 海关 | CCPIT 贸促会
    status: str = ""
    enterprise_id: str = ""
    date_from: str = ""  # 补录日期 yyyy-MM-dd inclusive
    date_to: str = ""


class SupplementReads:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def supplements(self, scope: Sequence[str], f: SupplementFilter = SupplementFilter()) -> list[dict[str, Any]]:
        with self.sessions() as s:
            docs = family_documents(s, scope, FAMILY)
        out = [x for x in _project(docs).values() if _matches(x, f)]
        return sorted(out, key=lambda x: x["updated_at"], reverse=True)

    def supplement(self, scope: Sequence[str], supplement_id: str) -> dict[str, Any] | None:
        return next((x for x in self.supplements(scope) if x["supplement_id"] == supplement_id), None)

    def of_certificate(self, scope: Sequence[str], enterprise_id: str, authority: str,
                       cert_no: str) -> dict[str, Any] | None:
        return next((x for x in self.supplements(scope) if (x["enterprise_id"], x["authority"], x["cert_no"])
                     == (enterprise_id, authority, cert_no)), None)


def _project(docs: Sequence[Stored]) -> dict[tuple[str, str, str], dict[str, Any]]:
    answers: dict[tuple[str, str], list[dict[str, str]]] = {}
    for d in docs:
        if d.message_type == "EXPORT_DECLARATION_SUPPLEMENT_RECEIPT":
            answers.setdefault((d.enterprise_id, text(d.data, "DocumentNo")), []).append(
                {"status_code": text(d.data, "StatusCode"), "status": text(d.data, "Status"),
                 "text": text(d.data, "Text"), "issued_at": text(d.data, "IssuedAt")})
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for d in docs:
        if d.message_type != "EXPORT_DECLARATION_SUPPLEMENT":
            continue
        head = d.data.get("SupplementHead") if isinstance(d.data.get("SupplementHead"), dict) else {}
        authority, cert_no = text(head, "CertAuthority"), text(head, "CertNo")
        sup = out.setdefault((d.enterprise_id, authority, cert_no), {
            "supplement_id": d.message_id, "enterprise_id": d.enterprise_id, "authority": authority,
            "cert_no": cert_no, "status": "", "exported": "", "declaration_nos": [], "operations": []})
        own = answers.get((d.enterprise_id, text(head, "DocumentNo")), [])
        outcome = _RECEIPT_OUTCOME.get(own[-1]["status_code"], d.outcome) if own else d.outcome
        sup["operations"].append({
            "message_id": d.message_id, "document_no": text(head, "DocumentNo"), "operation": text(head, "Operation"),
            "exported": text(head, "ExportedFlag"), "declaration_nos": text(head, "DeclarationNos"),
            "state": d.state, "created_at": d.created_at, "receipts": d.receipts, "authority_receipts": own,
            "outcome": outcome, "outcome_cn": OUTCOME_CN[outcome], "reasons": d.reasons})
        sup["updated_at"] = d.created_at
    for sup in out.values():
        _settle(sup)
    return out


def _settle(sup: dict[str, Any]) -> None:
    status, exported = "", ""
    nos: list[str] = []
    for op in sup["operations"]:
        if op["outcome"] == ACCEPTED:
            kind = op["operation"]
            if kind == "DELETE":
                status, nos, exported = DELETED, [], ""
            else:
                added = split_declaration_nos(op["declaration_nos"])
                nos = [*nos, *(n for n in added if n not in nos)] if kind == "ADD_AGAIN" else added
                status, exported = ACCEPTED, op["exported"] or exported
        elif op["outcome"] in (REFUSED, FAILED) and not status:
            status = REFUSED
    awaiting = any(op["outcome"] == PENDING for op in sup["operations"])
    status = SENT if awaiting else status
    sup.update(status=status, status_cn=STATUS_CN.get(status, status), declaration_nos=nos, exported=exported,
               awaiting=awaiting, allowed=[] if awaiting else (["ADD_AGAIN", "DELETE"] if status == ACCEPTED
                                                               else ["ADD"]))


def _matches(x: dict[str, Any], f: SupplementFilter) -> bool:
    day = x["updated_at"][:10]
    return ((not f.cert_no or f.cert_no.strip() in x["cert_no"]) and (not f.authority or x["authority"] == f.authority)
            and (not f.status or x["status"] == f.status)
            and (not f.enterprise_id or x["enterprise_id"] == f.enterprise_id)
            and (not f.date_from or day >= f.date_from) and (not f.date_to or day <= f.date_to))
