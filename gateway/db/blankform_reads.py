"""空白证单 blank certificate forms (seed 001 ch. 8) as the UI shows them, projected from the stored messages of
the ``gacc_blankform`` family in the caller's scope, oldest first:

- ``BlankFormAllocation`` (customs): serial ranges 领用 by the enterprise, per form type and pool (自理
  SELF / 代理 AGENT): each serial starts 未使用 (UNUSED);
- the enterprise's ``BlankFormWriteOff`` / ``BlankFormVoid``: its serials are 已提交 (SUBMITTED) while it waits
  for customs, 已核销 / 已作废 once customs approved it; a refused one leaves them as they were;
- ``BlankFormReceipt`` (customs, 空白证单回执, one per form): states a form's status outright.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from gateway.db.document_reads import ACCEPTED, OUTCOME_CN, PENDING, Stored, family_documents, items, text
from gateway.domain.families.gacc_blankform import serials_in_range

FAMILY = "gacc_blankform"
UNUSED, SUBMITTED, WRITTEN_OFF, VOIDED = "UNUSED", "SUBMITTED", "WRITTEN_OFF", "VOIDED"
STATUS_CN = {UNUSED: "未使用", SUBMITTED: "已提交", WRITTEN_OFF: "已核销", VOIDED: "已作废"}
USED = "USED"  # the query's default (l.1840): forms written off or voided
ANY = "ANY"
_DONE = {"BLANK_FORM_WRITEOFF": WRITTEN_OFF, "BLANK_FORM_VOID": VOIDED}
_RECEIPT_STATUS = {"WRITTEN_OFF": WRITTEN_OFF, "VOIDED": VOIDED, "FAILED": UNUSED}


@dataclass(frozen=True)
class BlankFormFilter:
    serial: str = ""  # 空白证单流水号 (prefix)
    form_type: str = ""  # 空白证单类型
    cert_no: str = ""  # 使用证书号
    status: str = USED  # 空白证书状态: USED | ANY | one of STATUS_CN
    apply_mode: str = "SELF"  # 自理 by default (l.1840); '' = both pools
    enterprise_id: str = ""
    allocated_from: str = ""  # 领用起止日期, yyyy-MM-dd inclusive
    allocated_to: str = ""


class BlankFormReads:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def _projection(self, scope: Sequence[str]) -> tuple[dict[tuple[str, str, str], dict[str, Any]], list[Stored]]:
        with self.sessions() as s:
            docs = family_documents(s, scope, FAMILY)
        return _project(docs), [d for d in docs if d.direction == "outbound"]

    def forms(self, scope: Sequence[str], f: BlankFormFilter = BlankFormFilter()) -> list[dict[str, Any]]:
        forms, _ = self._projection(scope)
        return sorted((x for x in forms.values() if _matches(x, f)),
                      key=lambda x: (x["enterprise_id"], x["form_type"], x["serial"]))

    def pool(self, scope: Sequence[str], enterprise_id: str, form_type: str, apply_mode: str) -> dict[str, Any]:
        """The allocated ranges of one pool, its serials not free any more, and the free ones in order."""
        forms, _ = self._projection(scope)
        mine = [x for x in forms.values() if x["enterprise_id"] == enterprise_id and x["form_type"] == form_type
                and x["apply_mode"] == apply_mode]
        return {"ranges": sorted({tuple(r) for x in mine for r in x["ranges"]}),
                "used": [x["serial"] for x in mine if x["status"] != UNUSED],
                "unused": sorted((x["serial"] for x in mine if x["status"] == UNUSED), key=int),
                "status": {x["serial"]: x["status"] for x in mine}}

    def for_certificate(self, scope: Sequence[str], enterprise_id: str, cert_no: str) -> dict[str, Any]:
        """刷新 of the write-off window: the forms used for one certificate and its operations."""
        forms, ops = self._projection(scope)
        used = sorted((x for x in forms.values() if x["enterprise_id"] == enterprise_id and x["cert_no"] == cert_no),
                      key=lambda x: x["serial"])
        mine = [_operation(d) for d in ops if d.enterprise_id == enterprise_id
                and text(d.data.get("WriteOffHead") or d.data.get("VoidHead") or {}, "CertNo") == cert_no]
        return {"forms": used, "operations": list(reversed(mine))}

    def operation(self, scope: Sequence[str], message_id: str) -> dict[str, Any] | None:
        """One write-off / void with its receipts and each form's own receipts (空白证单回执)."""
        forms, ops = self._projection(scope)
        found = next((d for d in ops if d.message_id == message_id), None)
        if found is None:
            return None
        op = _operation(found)
        keyed = {(x["enterprise_id"], x["form_type"], x["serial"]): x for x in forms.values()}
        # a page-count write-off lists no serials: customs' per-form receipts name the ones it filled
        filled = sorted(x["serial"] for x in forms.values() if x["enterprise_id"] == found.enterprise_id
                        and any(r["document_no"] == op["document_no"] for r in x["receipts"]))
        op["forms"] = [keyed.get((found.enterprise_id, op["form_type"], s)) or _new(found.enterprise_id,
                                                                                     op["form_type"], s)
                       for s in [*op["serials"], *(s for s in filled if s not in op["serials"])]]
        return op


def _new(ent: str, form_type: str, serial: str, apply_mode: str = "", allocation_id: str = "",
         allocated_on: str = "") -> dict[str, Any]:
    return {"enterprise_id": ent, "form_type": form_type, "serial": serial, "apply_mode": apply_mode,
            "allocation_id": allocation_id, "allocated_on": allocated_on, "status": UNUSED, "cert_no": "",
            "operation_id": "", "note": "", "receipts": [], "ranges": []}


def _project(docs: Sequence[Stored]) -> dict[tuple[str, str, str], dict[str, Any]]:
    forms: dict[tuple[str, str, str], dict[str, Any]] = {}
    for d in docs:
        if d.message_type == "BLANK_FORM_ALLOCATION":
            mode, alloc, on = text(d.data, "ApplyMode") or "SELF", text(d.data, "AllocationId"), text(d.data,
                                                                                                  "AllocatedOn")
            for rng in items(d.data, "RangeList", "Range"):
                form_type, start, end = text(rng, "FormType"), text(rng, "StartSerial"), text(rng, "EndSerial")
                try:
                    serials = serials_in_range(start, end)
                except ValueError:
                    continue
                for serial in serials:
                    form = forms.setdefault((d.enterprise_id, form_type, serial),
                                            _new(d.enterprise_id, form_type, serial, mode, alloc, on))
                    form["ranges"] = [(start, end)]
        elif d.message_type in _DONE:
            _apply_operation(forms, d)
        elif d.message_type == "BLANK_FORM_RECEIPT":
            form_type, serial = text(d.data, "FormType"), text(d.data, "Serial")
            form = forms.setdefault((d.enterprise_id, form_type, serial), _new(d.enterprise_id, form_type, serial))
            code = text(d.data, "StatusCode")
            form["status"] = _RECEIPT_STATUS.get(code, form["status"])
            form["cert_no"] = text(d.data, "CertNo") or form["cert_no"]
            form["receipts"].append({"status_code": code, "status": text(d.data, "Status"),
                                     "text": text(d.data, "Text"), "issued_at": text(d.data, "IssuedAt"),
                                     "document_no": text(d.data, "DocumentNo"), "message_id": d.message_id})
    for form in forms.values():
        form["status_cn"] = STATUS_CN.get(form["status"], form["status"])
    return forms


def _apply_operation(forms: dict[tuple[str, str, str], dict[str, Any]], d: Stored) -> None:
    head = d.data.get("WriteOffHead") or d.data.get("VoidHead") or {}
    form_type, outcome = text(head, "FormType"), d.outcome
    for serial in items(d.data, "SerialList", "Serial"):
        if not isinstance(serial, str):
            continue
        form = forms.setdefault((d.enterprise_id, form_type, serial), _new(d.enterprise_id, form_type, serial))
        if outcome == PENDING:
            form.update(status=SUBMITTED, operation_id=d.message_id, note=OUTCOME_CN[outcome])
        elif outcome == ACCEPTED:
            form.update(status=_DONE[d.message_type], operation_id=d.message_id, note="")
        else:  # refused or never delivered: the form is as it was, and says so
            form.update(operation_id=form["operation_id"] or d.message_id,
                        note=f"{OUTCOME_CN[outcome]}: {d.message_id}")
        if d.message_type == "BLANK_FORM_WRITEOFF" and outcome in (PENDING, ACCEPTED):
            form["cert_no"] = text(head, "CertNo")


def _operation(d: Stored) -> dict[str, Any]:
    head = d.data.get("WriteOffHead") or d.data.get("VoidHead") or {}
    serials = [s for s in items(d.data, "SerialList", "Serial") if isinstance(s, str)]
    return {"message_id": d.message_id, "enterprise_id": d.enterprise_id, "message_type": d.message_type,
            "kind_cn": "核销" if d.message_type == "BLANK_FORM_WRITEOFF" else "作废", "document_no": d.document_no,
            "form_type": text(head, "FormType"), "cert_no": text(head, "CertNo"), "serials": serials,
            "page_count": text(head, "PageCount"), "apply_mode": text(head, "ApplyMode"),
            "reason": text(head, "VoidReason"), "state": d.state, "created_at": d.created_at,
            "receipts": d.receipts, "outcome": d.outcome, "outcome_cn": OUTCOME_CN[d.outcome], "reasons": d.reasons}


def _matches(x: dict[str, Any], f: BlankFormFilter) -> bool:
    status_ok = (x["status"] in (WRITTEN_OFF, VOIDED) if f.status == USED
                 else f.status in ("", ANY) or x["status"] == f.status)
    return (status_ok and (not f.serial or x["serial"].startswith(f.serial.strip()))
            and (not f.form_type or x["form_type"] == f.form_type)
            and (not f.cert_no or x["cert_no"] == f.cert_no.strip())
            and (not f.apply_mode or x["apply_mode"] == f.apply_mode)
            and (not f.enterprise_id or x["enterprise_id"] == f.enterprise_id)
            and (not f.allocated_from or (x["allocated_on"] and x["allocated_on"] >= f.allocated_from))
            and (not f.allocated_to or (x["allocated_on"] and x["allocated_on"] <= f.allocated_to)))
