"""核查互动 verification records (seed 001 ch. 7) as the UI shows them, projected from the stored messages of
the ``gacc_verification`` family in the caller's scope, oldest first:

- a ``VerificationRecord`` from customs (an authority document) opens the record, or sends it again
  (退回核查 RETURNED, same 核查记录编号): it sets the status, materials, products and texts;
- the enterprise's ``VerificationResponse`` answers it: while it waits for customs the record is
  submitted (已提交: nothing more can be sent); customs' decision on it is its receipt — approved means
  核查中 (IN_PROGRESS, the mock's "核查中" business receipt), returned leaves the record processable;
- a ``VerificationReceipt`` from customs states the status outright (核查中);
- ``VerificationFile`` messages are the materials sent with an answer.

A record is named in URLs by the MessageId of the first ``VerificationRecord`` that opened it (stable, and
unique across enterprises, unlike the record number).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from gateway.db.document_reads import ACCEPTED, OUTCOME_CN, PENDING, Stored, family_documents, items, text
from gateway.domain.families.gacc_verification import PROCESSABLE, VerificationStatus

FAMILY = "gacc_verification"
OPEN = "OPEN"  # the list's default: 待核查 and 退回核查 (l.1701)
ALL = "ALL"


@dataclass(frozen=True)
class VerificationFilter:
    record_no: str = ""
    status: str = OPEN  # OPEN | ALL | one VerificationStatus
    cert_no: str = ""
    enterprise_id: str = ""
    issued_from: str = ""  # yyyy-MM-dd, inclusive (下发日期)
    issued_to: str = ""


def status_cn(status: str) -> str:
    try:
        return VerificationStatus(status).cn
    except ValueError:
        return status


class VerificationReads:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def records(self, scope: Sequence[str], f: VerificationFilter = VerificationFilter()) -> list[dict[str, Any]]:
        with self.sessions() as s:
            docs = family_documents(s, scope, FAMILY)
        out = [r for r in _project(docs).values() if _matches(r, f)]
        return sorted(out, key=lambda r: r["received_at"], reverse=True)

    def record(self, scope: Sequence[str], record_id: str) -> dict[str, Any] | None:
        """The record opened by VerificationRecord ``record_id`` (None when unknown or outside the scope)."""
        return next((r for r in self.records(scope, VerificationFilter(status=ALL)) if r["record_id"] == record_id),
                    None)


def _project(docs: Sequence[Stored]) -> dict[tuple[str, str], dict[str, Any]]:
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for d in docs:
        if d.message_type == "GACC_VERIFICATION_RECORD":
            _record(records, d)
            continue
        head = d.data.get("Head") if isinstance(d.data.get("Head"), dict) else {}
        record_no = text(head, "RecordNo") or text(d.data, "RecordNo")
        rec = records.get((d.enterprise_id, record_no))
        if rec is None:
            continue  # about a record this gateway never received: nothing to show it under
        if d.message_type == "GACC_VERIFICATION_RESPONSE":
            rec["responses"].append(_message(d, text(head, "DocumentNo")))
        elif d.message_type == "GACC_VERIFICATION_FILE":
            rec["files_sent"].append({**_message(d, d.document_no), "file_name": text(d.data, "FileName"),
                                      "file_type": text(d.data, "FileType")})
        elif d.message_type == "GACC_VERIFICATION_RECEIPT":
            code = text(d.data, "StatusCode")
            rec["authority_receipts"].append({
                "message_id": d.message_id, "status_code": code, "status": text(d.data, "Status"),
                "text": text(d.data, "Text"), "issued_at": text(d.data, "IssuedAt"),
                "document_no": text(d.data, "DocumentNo"), "received_at": d.created_at})
            if code in VerificationStatus.__members__:
                rec["status"] = code
                rec["updated_at"] = d.created_at
    for rec in records.values():
        _settle(rec)
    return records


def _record(records: dict[tuple[str, str], dict[str, Any]], d: Stored) -> None:
    body = d.data.get("Record") if isinstance(d.data.get("Record"), dict) else {}
    record_no = text(body, "RecordNo")
    rec = records.setdefault((d.enterprise_id, record_no), {
        "record_id": d.message_id, "enterprise_id": d.enterprise_id, "record_no": record_no,
        "responses": [], "files_sent": [], "authority_receipts": [], "record_messages": []})
    rec["record_messages"].append({"message_id": d.message_id, "status": text(body, "Status"),
                                   "received_at": d.created_at, "return_reason": text(body, "ReturnReason")})
    rec.update(
        status=text(body, "Status"), org_code=text(body, "OrgCode"), issue_date=text(body, "IssueDate"),
        deadline=text(body, "Deadline"), content=text(body, "Content"), return_reason=text(body, "ReturnReason"),
        cert_nos=[c for c in items(d.data, "CertificateList", "CertNo") if isinstance(c, str)],
        materials=[dict(x) for x in items(d.data, "MaterialList", "Material") if isinstance(x, dict)],
        products=[dict(x) for x in items(d.data, "CheckProductList", "CheckProduct") if isinstance(x, dict)],
        enterprise=d.data.get("Enterprise") if isinstance(d.data.get("Enterprise"), dict) else {},
        received_at=d.created_at, updated_at=d.created_at, reopened_at=d.created_at)


def _message(d: Stored, document_no: str) -> dict[str, Any]:
    return {"message_id": d.message_id, "document_no": document_no, "state": d.state, "created_at": d.created_at,
            "receipts": d.receipts, "outcome": d.outcome, "outcome_cn": OUTCOME_CN[d.outcome], "reasons": d.reasons}


def _settle(rec: dict[str, Any]) -> None:
    """The status after the answers sent since customs last (re)opened the record, and what may be done."""
    since = [r for r in rec["responses"] if r["created_at"] >= rec["reopened_at"]]
    latest = since[-1] if since else None
    awaiting = latest is not None and latest["outcome"] == PENDING
    if latest is not None and latest["outcome"] == ACCEPTED and rec["status"] in PROCESSABLE:
        rec["status"] = VerificationStatus.IN_PROGRESS.value  # customs' receipt: 核查中 (l.1764)
    rec.update(status_cn=status_cn(rec["status"]), awaiting=awaiting,
               processable=rec["status"] in PROCESSABLE and not awaiting, latest_response=latest)


def _matches(r: dict[str, Any], f: VerificationFilter) -> bool:
    status_ok = (r["status"] in PROCESSABLE if f.status == OPEN
                 else f.status in ("", ALL) or r["status"] == f.status)
    return (status_ok and (not f.record_no or f.record_no.strip() in r["record_no"])
            and (not f.cert_no or f.cert_no.strip() in r["cert_nos"])
            and (not f.enterprise_id or r["enterprise_id"] == f.enterprise_id)
            and (not f.issued_from or r["issue_date"] >= f.issued_from)
            and (not f.issued_to or r["issue_date"] <= f.issued_to))
