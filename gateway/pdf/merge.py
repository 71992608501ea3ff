"""Several PDFs as one file (batch printing): pages appended in order."""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO

from pypdf import PdfReader, PdfWriter


def merge(documents: Iterable[bytes]) -> bytes:
    writer = PdfWriter()
    for document in documents:
        writer.append(PdfReader(BytesIO(document)))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
