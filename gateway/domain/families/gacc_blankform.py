"""Blank certificate forms 空白证单 (seed 001 ch. 8, l.1779-1858).

Outbound documents checked here (decoded by ``messages.generic``):

- ``BlankFormWriteOff`` ``{"WriteOffHead": {...}, "SerialList": {"Serial": [...]}}``: write off (核销)
  serials against ONE approved certificate (l.1784-1790; the XSD allows one CertNo). Serials are
  listed (方式一, l.1794-1812) and/or a page count is given (方式二, l.1816-1828): the authority then
  fills the next unused serials of the exporter (自理) or the agent (代理) — ``next_unused_serials``
  is that fill, for ERPs and the mock authority.
- ``BlankFormVoid`` ``{"VoidHead": {...}, "SerialList": {...}}``: void (作废) unused serials (l.1832).

Inbound allocations and receipts are not checked (they come from the authority). The manual does
not give the serial format; assumed 10 digits (XSD), form type = certificate type code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from gateway.domain.numbering import TYPE_CODES, parse_cert_no
from gateway.domain.violations import Violation

FAMILY = "gacc_blankform"

RULES: Mapping[str, str] = MappingProxyType(
    {
        "BLANKFORM.FORM_TYPE_UNKNOWN": "FormType must be a GACC certificate type code",
        "BLANKFORM.CERT_NO_FORMAT": "CertNo must be a standard GACC certificate number",
        "BLANKFORM.FORM_TYPE_MISMATCH": "FormType must equal the type code of the certificate (assumed: forms are "
                                        "per certificate type)",
        "BLANKFORM.SERIALS_OR_PAGES": "a write-off lists blank-form serials or gives a page count (核销页数)",
        "BLANKFORM.PAGE_COUNT_MISMATCH": "when a write-off gives both, PageCount equals the number of serials",
        "BLANKFORM.SERIAL_DUPLICATE": "each blank-form serial appears once in a document",
    }
)

FIELD_CN = MappingProxyType(
    {
        "FormType": "空白证单类型",
        "CertNo": "使用证书号",
        "PageCount": "核销页数",
        "Serial": "空白证单流水号",
        "VoidReason": "作废原因",
    }
)


def _text(mapping: Any, key: str) -> str:
    if not isinstance(mapping, Mapping):
        return ""
    value = mapping.get(key)
    return value.strip() if isinstance(value, str) else ""


def _serials(data: Mapping[str, Any]) -> list[str]:
    serial_list = data.get("SerialList")
    items = serial_list.get("Serial") if isinstance(serial_list, Mapping) else None
    if not isinstance(items, Sequence) or isinstance(items, str):
        return []
    return [item.strip() if isinstance(item, str) else "" for item in items]


def _v(rule_id: str, path: str, message: str) -> Violation:
    leaf = path.rsplit("/", 1)[-1].split("[", 1)[0]
    return Violation(rule_id, path, message, FIELD_CN.get(leaf, ""))


def _form_and_cert(root: str, head_name: str, head: Mapping[str, Any], cert_required: bool) -> Iterator[Violation]:
    base = f"/{root}/{head_name}"
    form_type = _text(head, "FormType")
    form_ok = form_type in TYPE_CODES
    if not form_ok:
        yield _v("BLANKFORM.FORM_TYPE_UNKNOWN", f"{base}/FormType",
                 f"FormType {form_type!r} is not a GACC certificate type code")
    cert_no = _text(head, "CertNo")
    if not cert_no and not cert_required:
        return
    try:
        parsed = parse_cert_no(cert_no)
    except ValueError as exc:
        yield _v("BLANKFORM.CERT_NO_FORMAT", f"{base}/CertNo", f"CertNo {cert_no!r}: {exc}")
        return
    if form_ok and parsed.type != form_type:
        yield _v("BLANKFORM.FORM_TYPE_MISMATCH", f"{base}/FormType",
                 f"FormType {form_type!r} differs from the type {parsed.type!r} of certificate {cert_no}")


def _duplicates(root: str, serials: Sequence[str]) -> Iterator[Violation]:
    seen: dict[str, int] = {}
    for index, serial in enumerate(serials, start=1):
        if serial in seen:
            yield _v("BLANKFORM.SERIAL_DUPLICATE", f"/{root}/SerialList/Serial[{index}]",
                     f"Serial {serial} is listed twice (first as Serial[{seen[serial]}])")
        else:
            seen[serial] = index


def check_write_off(data: Mapping[str, Any]) -> list[Violation]:
    root, head = "BlankFormWriteOff", data.get("WriteOffHead")
    head = head if isinstance(head, Mapping) else {}
    found = list(_form_and_cert(root, "WriteOffHead", head, cert_required=True))
    serials = _serials(data)
    pages = _text(head, "PageCount")
    page_path = f"/{root}/WriteOffHead/PageCount"
    # l.1794-1828: serials entered (方式一) or filled from a page count (方式二).
    if not serials and not pages:
        found.append(_v("BLANKFORM.SERIALS_OR_PAGES", page_path,
                        "a write-off needs the blank-form serials (SerialList) or a PageCount"))
    elif serials and pages.isdigit() and int(pages) != len(serials):
        found.append(_v("BLANKFORM.PAGE_COUNT_MISMATCH", page_path,
                        f"PageCount {pages} differs from the {len(serials)} serial(s) listed"))
    found.extend(_duplicates(root, serials))
    return found


def check_void(data: Mapping[str, Any]) -> list[Violation]:
    root, head = "BlankFormVoid", data.get("VoidHead")
    head = head if isinstance(head, Mapping) else {}
    found = list(_form_and_cert(root, "VoidHead", head, cert_required=False))
    found.extend(_duplicates(root, _serials(data)))
    return found


def check(data: Mapping[str, Any]) -> list[Violation]:
    if not isinstance(data, Mapping):
        return []
    if "WriteOffHead" in data:
        return check_write_off(data)
    if "VoidHead" in data:
        return check_void(data)
    return []  # inbound allocation / receipt: the authority's data


# ---------------------------------------------------------------------------------------------
# serial arithmetic (allocation ranges, page-count fill)


def serials_in_range(start: str, end: str) -> list[str]:
    """Every serial from ``start`` to ``end`` inclusive, keeping the width; raises ``ValueError`` if not a range."""
    if not (start.isdigit() and end.isdigit() and len(start) == len(end)):
        raise ValueError("a serial range is two digit strings of the same length")
    first, last = int(start), int(end)
    if first > last:
        raise ValueError(f"range start {start} is after its end {end}")
    return [f"{n:0{len(start)}d}" for n in range(first, last + 1)]


def next_unused_serials(ranges: Iterable[tuple[str, str]], used: Iterable[str], count: int) -> list[str]:
    """The ``count`` lowest allocated serials not in ``used`` (返填流水号 by 核销页数, l.1816-1828).

    ``ranges`` are the (start, end) pairs allocated to the exporter or to the agent for one form type.
    Raises ``ValueError`` when fewer than ``count`` are left or ``count`` is not positive.
    """
    if count < 1:
        raise ValueError("the page count must be at least 1")
    taken = set(used)
    pool = sorted({s for start, end in ranges for s in serials_in_range(start, end)} - taken, key=int)
    if len(pool) < count:
        raise ValueError(f"only {len(pool)} unused blank form(s) left, {count} needed")
    return pool[:count]
