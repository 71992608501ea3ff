"""Messages the authority starts itself (issue 4 item 4), built from an admin request.

``POST /admin/initiate/<kind>`` with a JSON object; every kind needs ``enterprise`` (a registered
SenderId) and may name the ``authority`` (default GACC). The authority records what it sent (so the
enterprise's answers are checked against it) and queues the signed document for outbound/.

- ``verification-request``: a ``VerificationRecord`` 核查记录单 (待核查 / 退回核查); customs then holds an open
  record with the materials and products it asked for.
- ``blank-form-allocation``: a ``BlankFormAllocation`` 空白证单; the serial ranges may be written off / voided.
- ``print-layout``: a ``PrintLayoutNotice`` 版式 of an issued self-print certificate.
- ``partner-status``: an ``ExportCoStatusResponse`` with the partner-customs status of a networked CO;
  later export-status answers include it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from mock_customs import wire
from mock_customs.handlers.base import APPROVED, SELF_PRINT_TYPES, beijing_date, beijing_time
from mock_customs.handlers.co_status import PARTNER_STATUS
from mock_customs.handlers.gacc_blankform import ALLOCATION
from mock_customs.handlers.gacc_selfprint import LAYOUT, cert_type_of, layout_notice
from mock_customs.handlers.gacc_verification import VERIFICATION

if TYPE_CHECKING:
    from mock_customs.authority import Authority
    from mock_customs.registry import Enterprise


# the XSD's Identifier: what a RecordNo can be on the wire
RECORD_NO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/\-]{0,63}$")


class InitiateError(ValueError):
    """The request cannot become a message: the text says which field and why."""


@dataclass
class Initiated:
    message_type: str
    document: str
    summary: dict[str, Any]
    records: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)  # kind, key, status, data


def _str(payload: dict[str, Any], name: str, default: str | None = None) -> str:
    value = payload.get(name, default)
    if not isinstance(value, str) or not value:
        raise InitiateError(f"{name}: a non-empty string is required")
    return value


def _issued(authority: Authority, enterprise: Enterprise, cert_no: str) -> None:
    known = authority.registry.certificate_status(authority.authority_id, cert_no)
    if known is None or known[1] != enterprise.id or known[0] != APPROVED:
        raise InitiateError(f"cert_no: {cert_no} is not a certificate {authority.authority_id} issued to"
                            f" {enterprise.id}")


def verification_request(authority: Authority, enterprise: Enterprise, payload: dict[str, Any]) -> Initiated:
    now = authority.clock()
    office = enterprise.reg_no[:4]
    number = authority.registry.next_number(f"verification:{office}:{now.year}")
    record_no = _str(payload, "record_no", f"HC{office}{now.year}{number:08d}")
    if not RECORD_NO_RE.match(record_no):
        raise InitiateError(f"record_no: {record_no!r} is not a verification record number 核查记录单号"
                            " (1-64 letters, digits or ._:/-, e.g. HC3501202600004512)")
    status = _str(payload, "status", "PENDING")
    if status not in ("PENDING", "RETURNED"):
        raise InitiateError("status: PENDING (待核查) or RETURNED (退回核查)")
    materials = payload.get("materials") or [
        {"FileType": "CGFP", "FileTypeName": "原材料采购发票", "Required": "1"},
        {"FileType": "SCGY", "FileTypeName": "生产工艺流程说明", "Required": "1"},
    ]
    products = payload.get("products") or []
    cert_nos = payload.get("cert_nos") or []
    if not isinstance(materials, list) or not isinstance(products, list) or not isinstance(cert_nos, list):
        raise InitiateError("materials, products and cert_nos are lists")
    _objects(materials, "materials", "FileType", "FileTypeName", "Required")
    _objects(products, "products", "PreReviewNo", "HSCode", "NameCn")
    for index, cert_no in enumerate(cert_nos, start=1):
        if not isinstance(cert_no, str) or not cert_no:
            raise InitiateError(f"cert_nos[{index}]: a certificate number 证书号 (string)")
    try:
        doc = _verification_record(now, record_no, status, office, enterprise, payload, materials, products,
                                   cert_nos)
    except ValueError as exc:  # a value the XSD refuses (a pattern, a length): say which, not "internal error"
        raise InitiateError(f"the VerificationRecord cannot be built from these fields: {exc}") from exc
    return Initiated("GACC_VERIFICATION_RECORD", doc, {"record_no": record_no, "status": status},
                     [(VERIFICATION, record_no, status, {"materials": materials, "products": products,
                                                          "cert_nos": cert_nos})])


def _objects(items: list[Any], name: str, *required: str) -> None:
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InitiateError(f"{name}[{index}]: an object with {', '.join(required)}")
        missing = [key for key in required if not isinstance(item.get(key), str) or not item.get(key)]
        if missing:
            raise InitiateError(f"{name}[{index}]: {', '.join(missing)} required (non-empty strings)")


def _verification_record(now: Any, record_no: str, status: str, office: str, enterprise: Enterprise,
                         payload: dict[str, Any], materials: list[dict[str, Any]], products: list[dict[str, Any]],
                         cert_nos: list[str]) -> str:
    return wire.build_document("GACC_VERIFICATION_RECORD", [
        ("Record", [("RecordNo", record_no), ("Status", status), ("OrgCode", office),
                    ("IssueDate", beijing_date(now)), ("Deadline", beijing_date(now + timedelta(days=14))),
                    ("Content", payload.get("content") or "请提供相关材料并维护产品成本明细。"),
                    ("ReturnReason", payload.get("return_reason") if status == "RETURNED" else None)]),
        ("Enterprise", [("Uscc", enterprise.id), ("AplRegNo", enterprise.reg_no),
                        ("NameCn", payload.get("name_cn") or "企业")]),
        ("CertificateList", [("CertNo", c) for c in cert_nos] or None),
        ("MaterialList", [("Material", [[(k, m.get(k)) for k in ("FileType", "FileTypeName", "Required",
                                                                 "PreReviewNo")] for m in materials])]),
        ("CheckProductList", [("CheckProduct", [[(k, p.get(k)) for k in (
            "PreReviewNo", "HSCode", "NameCn", "CostDetailRequired")] for p in products])] if products else None),
    ])


def blank_form_allocation(authority: Authority, enterprise: Enterprise, payload: dict[str, Any]) -> Initiated:
    now = authority.clock()
    office = enterprise.reg_no[:4]
    ranges_in = payload.get("ranges")
    if not isinstance(ranges_in, list) or not ranges_in:
        raise InitiateError('ranges: a list of {"form_type", "start", "count"} is required')
    ranges = []
    for index, item in enumerate(ranges_in, start=1):
        try:
            start, count, form_type = str(item["start"]), int(item["count"]), str(item["form_type"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InitiateError(f"ranges[{index}]: form_type, start (10 digits) and count are required") from exc
        if not start.isdigit() or len(start) != 10 or count < 1:
            raise InitiateError(f"ranges[{index}]: start is a 10-digit serial, count at least 1")
        end = str(int(start) + count - 1).zfill(10)
        ranges.append({"FormType": form_type, "StartSerial": start, "EndSerial": end, "Count": str(count)})
    apply_mode = _str(payload, "apply_mode", "SELF")
    if apply_mode not in ("SELF", "AGENT"):
        raise InitiateError("apply_mode: SELF (自理, the exporter's own forms) or AGENT (代理)")
    number = authority.registry.next_number(f"allocation:{office}:{now.year}")
    allocation_id = f"ALLOC-{office}-{now.year}-{number:04d}"
    doc = wire.build_document("BLANK_FORM_ALLOCATION", [
        ("AllocationId", allocation_id), ("AplRegNo", enterprise.reg_no), ("OrgCode", office),
        ("ApplyMode", apply_mode), ("AllocatedOn", beijing_date(now)),
        ("RangeList", [("Range", [[(k, r[k]) for k in ("FormType", "StartSerial", "EndSerial", "Count")]
                                  for r in ranges])]),
    ])
    return Initiated("BLANK_FORM_ALLOCATION", doc, {"allocation_id": allocation_id, "ranges": ranges,
                                                    "apply_mode": apply_mode},
                     [(ALLOCATION, allocation_id, "ALLOCATED", {"ranges": ranges, "ApplyMode": apply_mode})])


def print_layout(authority: Authority, enterprise: Enterprise, payload: dict[str, Any]) -> Initiated:
    cert_no = _str(payload, "cert_no")
    if cert_type_of(cert_no) not in SELF_PRINT_TYPES:
        raise InitiateError(f"cert_no: type {cert_type_of(cert_no)} is not one of the 15 self-print types")
    _issued(authority, enterprise, cert_no)
    doc = layout_notice(authority.authority_id, cert_no, authority.clock())
    return Initiated("PRINT_LAYOUT_NOTICE", doc, {"cert_no": cert_no}, [(LAYOUT, cert_no, "RECEIVED", {})])


def partner_status(authority: Authority, enterprise: Enterprise, payload: dict[str, Any]) -> Initiated:
    cert_no = _str(payload, "cert_no")
    status = _str(payload, "partner_status", "已使用")
    _issued(authority, enterprise, cert_no)
    now = authority.clock()
    data = {"PartnerStatus": status, "PartnerStatusTime": beijing_time(now)}
    doc = wire.build_document("EXPORT_CO_STATUS_RESPONSE", [
        ("ResponseHead", [("ResponseId", f"{authority.authority_id}-PARTNER-{cert_no}-{now:%Y%m%d%H%M%S}"),
                          ("DocumentNo", f"PARTNER-{cert_no}"), ("ResultCode", "0"),
                          ("ResultText", "伙伴海关状态变更"), ("RespondedAt", beijing_time(now))]),
        ("ExportCoStatus", [("CoNo", cert_no), ("Issuer", authority.authority_id), ("DomesticStatus", "已签发"),
                            ("Networked", "1"), ("PartnerStatus", status),
                            ("PartnerStatusTime", data["PartnerStatusTime"])]),
    ])
    return Initiated("EXPORT_CO_STATUS_RESPONSE", doc, {"cert_no": cert_no, "partner_status": status},
                     [(PARTNER_STATUS, cert_no, "REPORTED", data)])


INITIATORS: dict[str, Callable[[Authority, Enterprise, dict[str, Any]], Initiated]] = {
    "verification-request": verification_request,
    "blank-form-allocation": blank_form_allocation,
    "print-layout": print_layout,
    "partner-status": partner_status,
}


def initiate(authorities: dict[str, Authority], kind: str, payload: Any) -> dict[str, Any]:
    """Build, record and queue one authority-initiated message; returns what was queued."""
    if kind not in INITIATORS:
        raise InitiateError(f"kind: one of {', '.join(sorted(INITIATORS))}")
    if not isinstance(payload, dict):
        raise InitiateError('expected a JSON object {"enterprise": SenderId, …}')
    name = payload.get("authority", "GACC")
    authority = authorities.get(name)
    if authority is None:
        raise InitiateError(f"authority: one of {', '.join(sorted(authorities))}")
    enterprise_id = _str(payload, "enterprise")
    enterprise = authority.registry.enterprise(name, enterprise_id)
    if enterprise is None:
        raise InitiateError(f"enterprise: {enterprise_id} is not registered with {name}")
    built = INITIATORS[kind](authority, enterprise, payload)
    now = authority.clock()
    for record_kind, key, status, data in built.records:
        authority.registry.put_record(name, enterprise.id, record_kind, key, status, data, now)
    return authority.initiate(enterprise.id, built.message_type, built.document, {"kind": kind, **built.summary})
