"""Certificate attachments (CO_ATTACHMENT, seed 001 ch. 4 §1.1 附件上传 and §1.26).

"随附单据信息: 仅支持 pdf 格式, 每页 pdf 大小不超过 300k，每份材料大小不超过 4M": PDF only, at most
300 KB per page and 4 MB per file. Sizes are the decoded file's bytes; k and M are read as 1024 and
1024 * 1024 bytes (*assumed*).

Pages are counted without a PDF library: every page object carries ``/Type /Page`` (the page-tree
nodes carry ``/Type /Pages``), so the count is the number of ``/Type /Page`` names not followed by
another name character, both in the file as written and inside its compressed object streams
(``/Type /ObjStm`` with ``/FlateDecode``, PDF 1.5+, inflated with a size budget). "Bigger than 300 KB
per page" is then file size / pages > 300 KB. A file in which no page object can be found (damaged,
encrypted object streams, or no PDF at all) is rejected.

Input is the generic codec's data of the ``File`` root: ``{"DocumentNo", "CertNo", "CertType",
"FileType", "FileName", "FileSize", "FileContent" (base64)}``.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from gateway.domain.certificate_rules import KNOWN_TYPE_CODES, parse_certificate_number, text_of
from gateway.domain.violations import Violation

FAMILY = "gacc_attachment"

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_PAGE_BYTES = 300 * 1024
#: Upper bound of bytes inflated from object streams while counting pages.
MAX_INFLATED_BYTES = 32 * 1024 * 1024
PDF_MAGIC = b"%PDF-"

ROOT = "/File"

FIELD_CN: Mapping[str, str] = MappingProxyType(
    {
        "CertNo": "证书号",
        "CertType": "证书类型",
        "FileName": "文件名",
        "FileSize": "文件大小",
        "FileContent": "随附单据",
    }
)

RULES: Mapping[str, str] = MappingProxyType(
    {
        "ATTACHMENT.CERT_TYPE.UNKNOWN": "CertType is not a GACC (or assumed) certificate type code",
        "ATTACHMENT.CERT_NO.FORMAT": "CertNo is not a standard certificate number",
        "ATTACHMENT.CERT_NO.TYPE_MISMATCH": "CertNo's type prefix differs from CertType",
        "ATTACHMENT.FILE_NAME.NOT_PDF": "FileName does not end in .pdf",
        "ATTACHMENT.CONTENT.NOT_PDF": "FileContent does not start with the PDF header %PDF-",
        "ATTACHMENT.CONTENT.TOO_LARGE": "file (decoded FileContent, or the declared FileSize) above 4 MB",
        "ATTACHMENT.CONTENT.SIZE_MISMATCH": "FileSize differs from the decoded FileContent's length",
        "ATTACHMENT.PDF.NO_PAGES": "no page object (/Type /Page) found in the PDF",
        "ATTACHMENT.PDF.PAGE_TOO_LARGE": "file size / pages above 300 KB",
    }
)


def _violation(rule_id: str, field: str, message: str, root: str = ROOT) -> Violation:
    return Violation(rule_id, f"{root}/{field}", message, FIELD_CN.get(field, ""))


# ---------------------------------------------------------------------------------------------
# PDF page counting

# /Type /Page followed by a delimiter, whitespace or the end: not /Pages (nor any longer name).
_PAGE = re.compile(rb"/Type\s*/Page(?![^\s/<>\[\]()%{}])")
_STREAM = re.compile(rb"\bstream(?:\r\n|\n|\r)")


def _object_streams(pdf: bytes) -> Iterator[bytes]:
    """Inflated content of the FlateDecode object streams, within MAX_INFLATED_BYTES in total."""
    budget = MAX_INFLATED_BYTES
    view = memoryview(pdf)
    for match in _STREAM.finditer(pdf):
        header = pdf[pdf.rfind(b"obj", 0, match.start()) : match.start()]
        if b"/ObjStm" not in header or b"/FlateDecode" not in header:
            continue
        try:
            data = zlib.decompressobj().decompress(view[match.end() :], budget)
        except zlib.error:
            continue
        budget -= len(data)
        yield data
        if budget <= 0:
            return


def count_pages(pdf: bytes) -> int:
    """Page objects in a PDF: ``/Type /Page`` in the file and in its object streams (heuristic)."""
    return len(_PAGE.findall(pdf)) + sum(len(_PAGE.findall(s)) for s in _object_streams(pdf))


# ---------------------------------------------------------------------------------------------
# rules


def _decoded(content: str) -> bytes | None:
    try:
        return base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _certificate(data: Mapping[str, Any]) -> Iterator[Violation]:
    cert_type, cert_no = text_of(data, "CertType"), text_of(data, "CertNo")
    if cert_type not in KNOWN_TYPE_CODES:
        yield _violation("ATTACHMENT.CERT_TYPE.UNKNOWN", "CertType", f"unknown certificate type {cert_type!r}")
    try:
        parsed = parse_certificate_number(cert_no)
    except ValueError as exc:
        yield _violation("ATTACHMENT.CERT_NO.FORMAT", "CertNo", f"CertNo: {exc}")
        return
    if cert_type in KNOWN_TYPE_CODES and parsed.type != cert_type:
        yield _violation(
            "ATTACHMENT.CERT_NO.TYPE_MISMATCH",
            "CertNo",
            f"certificate number starts with {parsed.type!r} but CertType is {cert_type!r}",
        )


def _size(declared_text: str, size: int, root: str) -> Iterator[Violation]:
    declared = int(declared_text) if declared_text.isascii() and declared_text.isdecimal() else None
    limit = f"at most {MAX_FILE_BYTES} bytes (4 MB) per file"
    if size > MAX_FILE_BYTES:
        yield _violation("ATTACHMENT.CONTENT.TOO_LARGE", "FileContent", f"the file is {size} bytes, {limit}", root)
    elif declared is not None and declared > MAX_FILE_BYTES:
        yield _violation("ATTACHMENT.CONTENT.TOO_LARGE", "FileSize", f"FileSize is {declared} bytes, {limit}", root)
    if declared != size:
        yield _violation(
            "ATTACHMENT.CONTENT.SIZE_MISMATCH",
            "FileSize",
            f"FileSize says {declared_text or 'nothing'} but the decoded content is {size} bytes "
            f"(truncated or wrongly encoded file?)",
            root,
        )


def _pdf(pdf: bytes, root: str) -> Iterator[Violation]:
    if not pdf.startswith(PDF_MAGIC):
        yield _violation(
            "ATTACHMENT.CONTENT.NOT_PDF", "FileContent", "attachments are PDF files: the content must start with %PDF-",
            root,
        )
        return
    pages = count_pages(pdf)
    if pages == 0:
        yield _violation(
            "ATTACHMENT.PDF.NO_PAGES",
            "FileContent",
            "no page object (/Type /Page) found: the PDF is damaged, encrypted or empty",
            root,
        )
    elif len(pdf) > MAX_PAGE_BYTES * pages:
        yield _violation(
            "ATTACHMENT.PDF.PAGE_TOO_LARGE",
            "FileContent",
            f"{len(pdf)} bytes for {pages} page(s) is {len(pdf) / pages / 1024:.0f} KB per page, "
            f"at most 300 KB per page (compress the PDF)",
            root,
        )


def file_violations(data: Mapping[str, Any], root: str = ROOT) -> list[Violation]:
    """The file rules (PDF, 4 MB, 300 KB per page) of a decoded document with ``FileName``, ``FileSize`` and
    base64 ``FileContent`` below ``root``: shared by certificate attachments and verification materials."""
    found: list[Violation] = []
    name = text_of(data, "FileName")
    if not name.lower().endswith(".pdf"):
        found.append(_violation("ATTACHMENT.FILE_NAME.NOT_PDF", "FileName",
                                f"attachments are PDF files (*.pdf), got {name!r}", root))
    pdf = _decoded(text_of(data, "FileContent"))
    if pdf is None:
        found.append(_violation("ATTACHMENT.CONTENT.NOT_PDF", "FileContent", "FileContent is not valid base64", root))
        return found
    found += _size(text_of(data, "FileSize"), len(pdf), root)
    found += _pdf(pdf, root)
    return found


def check(data: Mapping[str, Any]) -> list[Violation]:
    """Every rule violation of one decoded attachment; bad input is reported, never raised."""
    return list(_certificate(data)) + file_violations(data)
