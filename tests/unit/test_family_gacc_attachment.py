"""Certificate attachments (CO_ATTACHMENT): PDF only, ≤ 4 MB, ≤ 300 KB per page, on plain data."""

from __future__ import annotations

import base64
import io
import zlib
from pathlib import Path
from typing import Any

import pytest

from gateway.domain.families import gacc_attachment as att
from gateway.domain.families import registry
from messages.catalogue import entry_for_type

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "families" / "gacc_attachment"
KB = 1024


def pdf(pages: int = 1, *, pad: int = 0, page_type: bytes = b"/Type /Page") -> bytes:
    """A small PDF with ``pages`` page objects, padded with a comment of ``pad`` bytes."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count %d >>" % pages]
    objs += [b"<< " + page_type + b" /Parent 2 0 R /MediaBox [0 0 595 842] >>" for _ in range(pages)]
    body = b"".join(b"%d 0 obj\n%s\nendobj\n" % (i, o) for i, o in enumerate(objs, start=1))
    return b"%PDF-1.4\n" + body + b"%" + b"x" * pad + b"\n%%EOF\n"


def objstm_pdf(pages: int) -> bytes:
    """A PDF 1.5 whose page objects sit in a compressed object stream (no plain /Type /Page)."""
    inner = b" ".join(b"<< /Type /Page /Parent 2 0 R >>" for _ in range(pages))
    stream = zlib.compress(inner)
    return (
        b"%%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Count %d >>\nendobj\n"
        b"3 0 obj\n<< /Type /ObjStm /N %d /First 0 /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\n"
        b"endobj\n%%%%EOF\n"
    ) % (pages, pages, len(stream), stream)


def doc(content: bytes, **fields: str) -> dict[str, Any]:
    return {
        "DocumentNo": "ERP-ATT-1",
        "CertNo": "RC263501000010028",
        "CertType": "RC",
        "FileType": "ORIGINAL_CERT",
        "FileName": "original.pdf",
        "FileSize": str(len(content)),
        "FileContent": base64.encodebytes(content).decode(),  # with line breaks, as XSD base64 allows
        **fields,
    }


def found(data: dict[str, Any]) -> list[tuple[str, str]]:
    violations = att.check(data)
    assert all(v.rule_id in att.RULES for v in violations), violations
    return [(v.rule_id, v.path) for v in violations]


# --- page counting


@pytest.mark.parametrize("pages", [1, 2, 7])
def test_count_pages_counts_page_objects_not_the_page_tree(pages: int) -> None:
    assert att.count_pages(pdf(pages)) == pages


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (b"/Type /Page>>", 1),
        (b"/Type/Page/Parent", 1),
        (b"/Type\n/Page\n", 1),
        (b"/Type /Pages", 0),
        (b"/Type /PageLabel", 0),
        (b"/Type /Page", 1),  # at the very end of the data
    ],
)
def test_page_name_must_end_there(snippet: bytes, expected: int) -> None:
    assert att.count_pages(b"%PDF-1.4\n" + snippet) == expected


def test_count_pages_looks_into_compressed_object_streams() -> None:
    assert att.count_pages(objstm_pdf(3)) == 3


def test_corrupt_object_stream_is_ignored() -> None:
    broken = objstm_pdf(2).replace(b"stream\n", b"stream\nnot zlib", 1)
    assert att.count_pages(broken) == 0


def test_real_reportlab_pdf() -> None:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for n in range(3):
        c.drawString(72, 720, f"page {n + 1}")
        c.showPage()
    c.save()
    assert att.count_pages(buf.getvalue()) == 3
    assert found(doc(buf.getvalue())) == []


# --- rules


def test_valid_attachment() -> None:
    assert found(doc(pdf(2))) == []


def test_file_name_must_be_pdf() -> None:
    assert found(doc(pdf(), FileName="scan.jpg")) == [("ATTACHMENT.FILE_NAME.NOT_PDF", "/File/FileName")]
    assert found(doc(pdf(), FileName="SCAN.PDF")) == []


def test_content_must_start_with_the_pdf_header() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 50
    assert found(doc(png)) == [("ATTACHMENT.CONTENT.NOT_PDF", "/File/FileContent")]
    assert found(doc(b" " + pdf())) == [("ATTACHMENT.CONTENT.NOT_PDF", "/File/FileContent")]


def test_content_that_is_not_base64() -> None:
    data = doc(pdf(), FileContent="not base64!")
    assert found(data) == [("ATTACHMENT.CONTENT.NOT_PDF", "/File/FileContent")]


def test_pdf_without_pages() -> None:
    assert found(doc(pdf(0))) == [("ATTACHMENT.PDF.NO_PAGES", "/File/FileContent")]


def test_300_kb_per_page_boundary() -> None:
    base = len(pdf(2))
    at_limit = pdf(2, pad=2 * 300 * KB - base)
    assert len(at_limit) == 2 * 300 * KB
    assert found(doc(at_limit)) == []
    over = pdf(2, pad=2 * 300 * KB - base + 1)
    (rule,) = att.check(doc(over))
    assert (rule.rule_id, rule.path) == ("ATTACHMENT.PDF.PAGE_TOO_LARGE", "/File/FileContent")
    assert "2 page(s)" in rule.message


def test_more_pages_allow_a_bigger_file() -> None:
    assert found(doc(pdf(4, pad=1000 * KB))) == []
    assert found(doc(pdf(3, pad=1000 * KB))) == [("ATTACHMENT.PDF.PAGE_TOO_LARGE", "/File/FileContent")]


def test_4_mb_per_file() -> None:
    at_limit = pdf(20, pad=4 * KB * KB - len(pdf(20)))
    assert len(at_limit) == att.MAX_FILE_BYTES
    assert found(doc(at_limit)) == []
    over = pdf(20, pad=4 * KB * KB - len(pdf(20)) + 1)
    assert found(doc(over)) == [("ATTACHMENT.CONTENT.TOO_LARGE", "/File/FileContent")]


def test_declared_size_above_the_limit() -> None:
    content = pdf()
    assert found(doc(content, FileSize="4500000")) == [
        ("ATTACHMENT.CONTENT.TOO_LARGE", "/File/FileSize"),
        ("ATTACHMENT.CONTENT.SIZE_MISMATCH", "/File/FileSize"),
    ]


def test_declared_size_must_match() -> None:
    content = pdf()
    assert found(doc(content, FileSize=str(len(content) - 1))) == [
        ("ATTACHMENT.CONTENT.SIZE_MISMATCH", "/File/FileSize")
    ]
    assert found(doc(content, FileSize="")) == [("ATTACHMENT.CONTENT.SIZE_MISMATCH", "/File/FileSize")]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"CertType": "Z", "CertNo": "Z263501000010001"},
            [("ATTACHMENT.CERT_TYPE.UNKNOWN", "/File/CertType"), ("ATTACHMENT.CERT_NO.FORMAT", "/File/CertNo")],
        ),
        ({"CertNo": "RC26350100001"}, [("ATTACHMENT.CERT_NO.FORMAT", "/File/CertNo")]),
        ({"CertNo": "C263501000010001"}, [("ATTACHMENT.CERT_NO.TYPE_MISMATCH", "/File/CertNo")]),
        ({"CertType": "EM", "CertNo": "EM263501000010001"}, []),
    ],
)
def test_certificate_reference(fields: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert found(doc(pdf(), **fields)) == expected


@pytest.mark.parametrize("data", [{}, {"FileContent": None, "FileSize": 5}, {"CertNo": 7}])
def test_bad_input_is_reported_not_raised(data: dict[str, Any]) -> None:
    assert all(v.rule_id in att.RULES for v in att.check(data))


def test_violations_carry_chinese_field_names() -> None:
    (v,) = att.check(doc(pdf(), FileName="scan.png"))
    assert v.field_cn == "文件名"


# --- catalogue and samples


def test_catalogue_entry_and_registry() -> None:
    entry = entry_for_type("CO_ATTACHMENT")
    assert entry is not None
    assert (entry.root, entry.direction, entry.authority, entry.family, entry.document_key) == (
        "{urn:cogateway:gacc:attachment:v1}File",
        "outbound",
        "GACC",
        "gacc_attachment",
        "DocumentNo",
    )
    assert registry()["gacc_attachment"].rules is att.RULES


def test_valid_original_certificate_belongs_to_the_back_to_back_sample() -> None:
    cert = (SAMPLES.parent / "gacc_certificate" / "valid_rc_back_to_back.xml").read_text(encoding="utf-8")
    original = (SAMPLES / "valid_original_certificate.xml").read_text(encoding="utf-8")
    for tag in ("CertNo",):
        value = original.split(f"<{tag}>")[1].split("<")[0]
        assert f"<{tag}>{value}</{tag}>" in cert
    assert "<OriProofFileName>RCEP-TH-2026-0088123.pdf</OriProofFileName>" in cert
    assert "<FileName>RCEP-TH-2026-0088123.pdf</FileName>" in original
