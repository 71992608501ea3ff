"""Shared drawing helpers: numbered boxes with wrapped content, watermarks, images at true size.

Coordinates are ReportLab points (1/72 inch) from the bottom-left corner of an A4 page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from gateway.pdf.errors import PdfError
from gateway.pdf.fonts import ensure_font, text_width
from gateway.pdf.text import wrap

PAGE_W, PAGE_H = A4
MARGIN = 28.0
LABEL_SIZE = 6.5
BODY_SIZE = 8.0
LEADING = 10.0  # one body line


def field(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def wrap_body(text: str, width: float, *, size: float = BODY_SIZE, hyphenate: bool = False) -> list[str]:
    return wrap(text, width, lambda s: text_width(s, size), hyphenate=hyphenate)


def new_canvas(buffer: BytesIO, *, title: str, subject: str) -> Canvas:
    font = ensure_font()
    c = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=font, initialFontSize=BODY_SIZE)
    c.setTitle(title)
    c.setSubject(subject)
    c.setCreator("CO Gateway")
    c.setAuthor("CO Gateway")
    return c


def text_lines(c: Canvas, x: float, top: float, lines: Sequence[str], *, size: float = BODY_SIZE,
               leading: float = LEADING, align: str = "left", width: float = 0.0) -> float:
    """Draw lines downwards from ``top`` (the top of the first line); returns the y below the last one."""
    c.setFont(ensure_font(), size)
    y = top - size
    for line in lines:
        if align == "right":
            c.drawRightString(x + width, y, line)
        elif align == "center":
            c.drawCentredString(x + width / 2, y, line)
        else:
            c.drawString(x, y, line)
        y -= leading
    return y + leading - size


@dataclass(frozen=True)
class Rect:
    x: float
    y: float  # bottom
    w: float
    h: float

    @property
    def top(self) -> float:
        return self.y + self.h


def box(c: Canvas, r: Rect, label: str, content: str = "", *, number: str = "", size: float = BODY_SIZE,
        hyphenate: bool = False, max_lines: int | None = None) -> float:
    """A framed box: a small "number. label" caption, then the content wrapped inside; returns content bottom."""
    c.setLineWidth(0.6)
    c.rect(r.x, r.y, r.w, r.h)
    caption = f"{number}. {label}" if number else label
    cap_lines = wrap(caption, r.w - 6, lambda s: text_width(s, LABEL_SIZE))
    y = text_lines(c, r.x + 3, r.top - 3, cap_lines, size=LABEL_SIZE, leading=LABEL_SIZE + 1.5)
    if not content:
        return y
    lines = wrap_body(content, r.w - 8, size=size, hyphenate=hyphenate)
    room = max(int((y - 2 - r.y) // (size + 2)), 1)
    limit = min(room, max_lines) if max_lines else room
    if len(lines) > limit:
        lines = [*lines[: limit - 1], lines[limit - 1] + " …"]
    return text_lines(c, r.x + 5, y - 2, lines, size=size, leading=size + 2)


def watermark(c: Canvas, text: str, *, alpha: float = 0.18, size: float = 110) -> None:
    """Big diagonal text across the page (the COPY mark of self-printed copies)."""
    c.saveState()
    c.setFillColor(Color(0.75, 0.1, 0.1, alpha=alpha))
    c.setFont(ensure_font(), size)
    c.translate(PAGE_W / 2, PAGE_H / 2)
    c.rotate(40)
    c.drawCentredString(0, -size / 3, text)
    c.restoreState()
    c.setFillColor(black)


def image_true_size(c: Canvas, data: bytes, x: float, y: float, width_mm: float, height_mm: float) -> Rect:
    """Draw an image so that it measures ``width_mm`` × ``height_mm`` on paper; returns where it went."""
    try:
        reader = ImageReader(BytesIO(data))
        reader.getSize()
    except Exception as exc:  # Pillow raises many kinds; the caller only needs "this image is unusable"
        raise PdfError(f"image cannot be read: {exc}") from exc
    w, h = width_mm * mm, height_mm * mm
    c.drawImage(reader, x, y, width=w, height=h, mask="auto")
    return Rect(x, y, w, h)


def footer(c: Canvas, left: str, page: int, pages: int) -> None:
    c.setFont(ensure_font(), LABEL_SIZE)
    c.drawString(MARGIN, MARGIN - 14, left)
    c.drawRightString(PAGE_W - MARGIN, MARGIN - 14, f"Page {page} of {pages}")


def info_grid(c: Canvas, r: Rect, pairs: Sequence[tuple[str, str]], *, columns: int = 2,
              row_height: float = 22.0) -> float:
    """Label/value cells, ``columns`` to a row, framed; returns the y of the grid's bottom."""
    cell_w = r.w / columns
    rows = (len(pairs) + columns - 1) // columns
    c.setLineWidth(0.5)
    for i, (label, value) in enumerate(pairs):
        row, col = divmod(i, columns)
        x, top = r.x + col * cell_w, r.top - row * row_height
        c.rect(x, top - row_height, cell_w, row_height)
        text_lines(c, x + 3, top - 2, [label], size=LABEL_SIZE)
        shown = wrap_body(value, cell_w - 8)
        text_lines(c, x + 5, top - 2 - LABEL_SIZE - 2, shown[:1] if len(shown) == 1 else [shown[0] + " …"])
    return r.top - rows * row_height
