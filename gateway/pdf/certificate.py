"""The page engine every certificate layout shares.

A layout (``CertificateLayout``) names its title, its numbered boxes and its goods columns; this
module places them on an A4 page, continues the goods table over further pages (every page is the
complete form with its header boxes, as the self-printed certificates are: each page gets the seal),
and adds the self-print marks: ORIGINAL / COPY, the enterprise seal and the declarant signature at
their true size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from gateway.pdf import fields as f
from gateway.pdf import table
from gateway.pdf.fonts import ensure_font
from gateway.pdf.kit import (
    MARGIN,
    PAGE_H,
    PAGE_W,
    Rect,
    box,
    footer,
    image_true_size,
    new_canvas,
    text_lines,
    watermark,
    wrap_body,
)
from gateway.pdf.kit import field as text_of

Data = Mapping[str, Any]
Text = Callable[[Data], str]


@dataclass(frozen=True)
class Stamp:
    """A seal or signature image and the size it has on paper (seed 003: seals up to 55 × 45 mm)."""

    image: bytes
    width_mm: float
    height_mm: float


@dataclass(frozen=True)
class PrintOptions:
    hyphenate: bool = False  # seed 001 ch. 4 连词符转换: a word split at a line end gets "-"
    mark: str = ""  # "" (plain print), "original" or "copy" (self-print)
    seal: Stamp | None = None
    signature: Stamp | None = None
    issue_date: str = ""  # printed with the place in the declaration / certification boxes
    certified_by: str = ""  # the certifying authority's line on a self-printed original


@dataclass(frozen=True)
class Part:
    number: str
    label: str
    value: Text = field(default=lambda _d: "")


@dataclass(frozen=True)
class CertificateLayout:
    key: str
    titles: tuple[str, ...]
    left: tuple[Part, ...]  # stacked down the left half of the header
    right: Part  # under the title block
    columns: tuple[table.Column, ...]
    declaration: Part
    certification: Part
    issued_in: str = "THE PEOPLE'S REPUBLIC OF CHINA"
    chinese: bool = False

    @property
    def lines_per_page(self) -> int:
        return AREA.lines_per_page


#: Boxes 1-3 of the "combined declaration and certificate" forms (Form A, Form E).
CONSIGNMENT_BOXES = (
    Part("1", "Goods consigned from (Exporter's business name, address, country)",
         lambda d: text_of(d.get("head") or {}, "Exporter")),
    Part("2", "Goods consigned to (Consignee's name, address, country)",
         lambda d: text_of(d.get("head") or {}, "Consignee")),
    Part("3", "Means of transport and route (as far as known)", lambda d: f.transport(f.head(d))),
)

# Page geometry (points): header boxes, the goods table, the declaration and certification boxes.
TOP = PAGE_H - MARGIN
HEADER_BOTTOM = 574.0
BOTTOM_BOXES = 206.0
SPLIT_X = MARGIN + 300.0
WIDTH = PAGE_W - 2 * MARGIN
AREA = table.TableArea(Rect(MARGIN, BOTTOM_BOXES, WIDTH, HEADER_BOTTOM - BOTTOM_BOXES), header_height=42.0)


def render(layout: CertificateLayout, data: Data, options: PrintOptions | None = None) -> bytes:
    options = options or PrintOptions()
    h = f.head(data)
    rows = table.build_rows(layout.columns, f.goods(data), h, AREA.rect.w, hyphenate=options.hyphenate)
    pages = table.paginate(rows, AREA.lines_per_page)
    buffer = BytesIO()
    cert_no = text_of(h, "CertNo")
    c = new_canvas(buffer, title=f"{layout.titles[0]} {cert_no}", subject=f"certificate {cert_no}")
    for number, page_rows in enumerate(pages, start=1):
        _page(c, layout, data, options, page_rows, number, len(pages))
        c.showPage()
    c.save()
    return buffer.getvalue()


def _page(c: Canvas, layout: CertificateLayout, data: Data, options: PrintOptions, rows: Sequence[table.Row],
          page: int, pages: int) -> None:
    h = f.head(data)
    if options.mark == "copy":
        watermark(c, "COPY")
    _header(c, layout, data, options)
    table.draw(c, AREA, layout.columns, rows)
    _bottom(c, layout, data, options)
    kind = {"original": "ORIGINAL", "copy": "COPY"}.get(options.mark, "")
    footer(c, f"{text_of(h, 'CertNo')}  {kind}".strip(), page, pages)


def _header(c: Canvas, layout: CertificateLayout, data: Data, options: PrintOptions) -> None:
    h = f.head(data)
    n = len(layout.left)
    each = (TOP - HEADER_BOTTOM) / n
    for i, part in enumerate(layout.left):
        r = Rect(MARGIN, TOP - (i + 1) * each, SPLIT_X - MARGIN, each)
        box(c, r, part.label, part.value(data), number=part.number)
    right_w = PAGE_W - MARGIN - SPLIT_X
    title_h = 172.0
    title = Rect(SPLIT_X, TOP - title_h, right_w, title_h)
    c.rect(title.x, title.y, title.w, title.h)
    no_label = "证书编号" if layout.chinese else "Certificate No."
    y = text_lines(c, title.x + 5, title.top - 4, [f"{no_label}  {text_of(h, 'CertNo')}"], size=9.5)
    if options.mark:
        label = {"original": "ORIGINAL", "copy": "COPY"}[options.mark]
        c.setFont(ensure_font(), 11)
        c.drawRightString(title.x + title.w - 6, title.top - 14, label)
    y -= 8
    for line in layout.titles:
        wrapped = wrap_body(line, title.w - 10, size=10)
        y = text_lines(c, title.x, y, wrapped, size=10, leading=12, align="center", width=title.w) - 2
    if layout.issued_in:
        issued = f"Issued in {layout.issued_in}" if not layout.chinese else layout.issued_in
        text_lines(c, title.x, y - 4, wrap_body(issued, title.w - 10, size=7.5), size=7.5, leading=9,
                   align="center", width=title.w)
    right = Rect(SPLIT_X, HEADER_BOTTOM, right_w, title.y - HEADER_BOTTOM)
    box(c, right, layout.right.label, layout.right.value(data), number=layout.right.number)


def _bottom(c: Canvas, layout: CertificateLayout, data: Data, options: PrintOptions) -> None:
    half = WIDTH / 2
    left = Rect(MARGIN, MARGIN, half, BOTTOM_BOXES - MARGIN)
    right = Rect(MARGIN + half, MARGIN, half, BOTTOM_BOXES - MARGIN)
    h = f.head(data)
    place = text_of(h, "FetchPlace") or text_of(h, "LoadPort")
    place_date = f.joined(place, options.issue_date, sep=", ")
    box(c, left, layout.declaration.label, layout.declaration.value(data), number=layout.declaration.number,
        size=7.5)
    box(c, right, layout.certification.label, layout.certification.value(data),
        number=layout.certification.number, size=7.5)
    sign_label = ("地点和日期，签字和印章" if layout.chinese else
                  "Place and date, signature and stamp of authorised signatory")
    certify_label = ("地点和日期，签字和证明机构印章" if layout.chinese else
                     "Place and date, signature and stamp of certifying authority")
    for r, label in ((left, sign_label), (right, certify_label)):
        c.setLineWidth(0.4)
        c.line(r.x + 8, r.y + 22, r.x + r.w - 8, r.y + 22)
        text_lines(c, r.x + 8, r.y + 19, [label], size=6.5)
        text_lines(c, r.x + 8, r.y + 36, [place_date], size=8)
    if options.seal is not None:
        s = options.seal
        image_true_size(c, s.image, left.x + 12, left.y + 26, s.width_mm, s.height_mm)
    if options.signature is not None:
        s = options.signature
        x = left.x + left.w - 12 - s.width_mm * mm
        image_true_size(c, s.image, x, left.y + 26, s.width_mm, s.height_mm)
    if options.mark == "original" and options.certified_by:
        text_lines(c, right.x + 8, right.y + 60, wrap_body(options.certified_by, right.w - 16, size=7.5), size=7.5)
