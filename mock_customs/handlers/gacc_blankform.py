"""Blank certificate forms 空白证单 (seed 001 ch. 8): only allocated, unused serials can be written off.

Customs allocates serial ranges (``POST /admin/initiate/blank-form-allocation``). A write-off 核销 needs
an issued certificate of the sender; its serials (or, by page count, the next free serials of the form
type) must be allocated to the sender and not yet written off or voided. A void 作废 the same, without
the certificate. Once approved, every serial gets its own ``BlankFormReceipt`` 空白证单回执 (l.1850-1856).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_customs import wire
from mock_customs.handlers.base import Plan, Review, as_list, beijing_time, first_listed, text
from mock_customs.handlers.gacc_selfprint import cert_type_of

if TYPE_CHECKING:
    from mock_customs.authority import Authority

ALLOCATION = "blank_allocation"  # key = AllocationId; data {"ranges": [{FormType, StartSerial, EndSerial}], ApplyMode}
SERIAL = "blank_serial"  # key = serial; WRITTEN_OFF / VOIDED


def allocated(review: Review, form_type: str, apply_mode: str | None = None) -> list[str]:
    """Every serial allocated to the sender for ``form_type``, in order; of one pool when ``apply_mode``
    is given (自理 SELF: the exporter's own forms, 代理 AGENT: the agent's; unrecorded counts as SELF)."""
    serials: list[str] = []
    for rec in review.records(ALLOCATION):
        if apply_mode is not None and (text(rec.data.get("ApplyMode")) or "SELF") != apply_mode:
            continue
        for rng in rec.data.get("ranges", []):
            if rng["FormType"] == form_type:
                width = len(rng["StartSerial"])
                serials += [str(n).zfill(width) for n in range(int(rng["StartSerial"]), int(rng["EndSerial"]) + 1)]
    return serials


def _check_serials(review: Review, root: str, form_type: str, serials: list[str], status: str,
                   data: dict[str, Any], apply_mode: str | None = None) -> None:
    pool = set(allocated(review, form_type, apply_mode))
    whose = f"{review.sender}" + (f" ({apply_mode} pool)" if apply_mode else "")
    for index, (serial, seen) in enumerate(zip(serials, first_listed(serials), strict=True), start=1):
        path = f"{root}/SerialList/Serial[{index}]"
        if seen is not None:
            review.find("SERIAL_DUPLICATE", path, f"blank form serial 证单流水号 {serial} is listed twice (first as"
                        f" Serial[{seen}])")
            continue
        used = review.record(SERIAL, serial)  # pending decisions included: one serial is used once
        if serial not in pool:
            review.find("SERIAL_NOT_ALLOCATED", path, f"blank form serial 证单流水号 {serial} ({form_type}) was not"
                        f" allocated to {whose}")
        elif used is not None:
            review.find("SERIAL_USED", path, f"blank form serial 证单流水号 {serial} is already {used.status}")
        else:
            review.put(SERIAL, serial, status, data)


def _form_type_of_certificate(review: Review, path: str, form_type: str, cert_no: str) -> None:
    """Forms are per certificate type (as the gateway assumes): a C form is not written off for an E."""
    cert_type = cert_type_of(cert_no)
    if cert_no and form_type != cert_type:
        review.find("FORM_TYPE_MISMATCH", path, f"blank form type 空白证单类型 (FormType) {form_type} is not the"
                    f" type {cert_type} of certificate {cert_no}")


def form_receipts(review: Review, head: dict[str, Any], serials: list[str], status_code: str,
                  status: str) -> list[tuple[str, str]]:
    """One ``BlankFormReceipt`` per serial of an approved write-off / void (sent after the decision)."""
    documents = []
    for serial in serials:
        documents.append(("BLANK_FORM_RECEIPT", wire.build_document("BLANK_FORM_RECEIPT", [
            ("ReceiptId", f"{review.authority_id}-BF-{review.message_id[:12]}-{serial}"),
            ("DocumentNo", text(head.get("DocumentNo")) or None), ("FormType", text(head.get("FormType"))),
            ("Serial", serial), ("CertNo", text(head.get("CertNo")) or None), ("StatusCode", status_code),
            ("Status", status), ("Text", f"空白证单 {serial} {status}"), ("IssuedAt", beijing_time(review.received_at)),
        ])))
    return documents


class WriteOffHandler:
    family = "GACC_BLANKFORM"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head: dict[str, Any] = data.get("WriteOffHead") or {}
        root = "/BlankFormWriteOff"
        review.require_identity(f"{root}/WriteOffHead/AplRegNo", None, f"{root}/WriteOffHead/AplRegNo",
                                text(head.get("AplRegNo")))
        cert_no, form_type = text(head.get("CertNo")), text(head.get("FormType"))
        apply_mode = text(head.get("ApplyMode")) or "SELF"
        review.require_issued(f"{root}/WriteOffHead/CertNo", cert_no, what="(write-off 核销 needs an issued"
                              " certificate)")
        _form_type_of_certificate(review, f"{root}/WriteOffHead/FormType", form_type, cert_no)
        serials = [text(s) for s in as_list((data.get("SerialList") or {}).get("Serial"))]
        pages_text = text(head.get("PageCount"))
        pages_path = f"{root}/WriteOffHead/PageCount"
        pages = int(pages_text) if pages_text.isdigit() else None
        effect = {"FormType": form_type, "CertNo": cert_no, "ApplyMode": apply_mode}
        if not serials and not pages_text:
            review.find("SERIALS_OR_PAGES", pages_path, "a write-off 核销 lists the blank form serials 证单流水号"
                        " (SerialList) or gives a page count 核销页数 (PageCount): nothing to write off")
        elif pages_text and (pages is None or pages < 1):
            review.find("PAGE_COUNT", pages_path, f"page count 核销页数 (PageCount) {pages_text!r} must be a"
                        " positive number")
        elif serials and pages is not None and pages != len(serials):
            review.find("PAGE_COUNT_MISMATCH", pages_path, f"page count 核销页数 (PageCount) {pages} differs from"
                        f" the {len(serials)} serial(s) listed")
        elif not serials and pages is not None:
            free = [s for s in allocated(review, form_type, apply_mode) if review.record(SERIAL, s) is None]
            if len(free) < pages:
                review.find("NOT_ENOUGH_FORMS", pages_path, f"page count 核销页数 {pages}: only {len(free)} unused"
                            f" {form_type} blank forms are allocated to {review.sender} ({apply_mode} pool)")
            serials = free[:pages]
            for serial in serials:
                review.put(SERIAL, serial, "WRITTEN_OFF", effect)
        else:
            _check_serials(review, root, form_type, serials, "WRITTEN_OFF", effect, apply_mode)
        documents = [] if review.findings else form_receipts(review, head, serials, "WRITTEN_OFF", "核销成功")
        return review.plan(approved_text=f"核销成功 {', '.join(serials)}", approved_status="核销成功",
                           cert_no=cert_no, documents=documents)


class VoidHandler:
    family = "GACC_BLANKFORM"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head: dict[str, Any] = data.get("VoidHead") or {}
        root = "/BlankFormVoid"
        review.require_identity(f"{root}/VoidHead/AplRegNo", None, f"{root}/VoidHead/AplRegNo",
                                text(head.get("AplRegNo")))
        form_type, cert_no = text(head.get("FormType")), text(head.get("CertNo"))
        _form_type_of_certificate(review, f"{root}/VoidHead/FormType", form_type, cert_no)
        serials = [text(s) for s in as_list((data.get("SerialList") or {}).get("Serial"))]
        _check_serials(review, root, form_type, serials, "VOIDED", {"FormType": form_type})
        documents = [] if review.findings else form_receipts(review, head, serials, "VOIDED", "作废成功")
        return review.plan(approved_text=f"作废成功 {', '.join(serials)}", approved_status="作废成功",
                           cert_no=cert_no or None, documents=documents)


HANDLERS = {"BLANK_FORM_WRITEOFF": WriteOffHandler(), "BLANK_FORM_VOID": VoidHandler()}
