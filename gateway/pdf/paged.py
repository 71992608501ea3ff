"""Documents with a long header on page 1 and a short one on the pages after it (application form,
invoice): the goods table runs from under the header to a closing block kept free on every page."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from gateway.pdf import table
from gateway.pdf.kit import MARGIN, PAGE_W, Rect, footer, new_canvas, text_lines, watermark

Header = Callable[[Canvas], float]  # draws the page-1 header, returns the y where the table starts
Closing = Callable[[Canvas, Rect], None]  # draws into the block under the table on the last page


@dataclass(frozen=True)
class PagedDocument:
    title: str
    columns: Sequence[table.Column]
    first_header: Header
    running_title: str  # the short header of the continuation pages
    closing: Closing
    closing_height: float = 120.0
    header_height: float = 30.0
    end_mark: bool = True

    def first_table_top(self) -> float:
        probe = Canvas(BytesIO())
        return self.first_header(probe)

    def geometry(self) -> tuple[table.TableArea, table.TableArea]:
        bottom = MARGIN + self.closing_height
        width = PAGE_W - 2 * MARGIN
        rest = table.TableArea(Rect(MARGIN, bottom, width, RUNNING_TOP - bottom), self.header_height)
        return rest.with_top(self.first_table_top()), rest


RUNNING_TOP = 842.0 - MARGIN - 40.0


def render(doc: PagedDocument, goods: Sequence[Mapping[str, Any]], head: Mapping[str, Any], *,
           cert_no: str, hyphenate: bool = False, copy: bool = False) -> bytes:
    first, rest = doc.geometry()
    rows = table.build_rows(doc.columns, goods, head, rest.rect.w, hyphenate=hyphenate, end_mark=doc.end_mark)
    pages = table.paginate(rows, rest.lines_per_page, first.lines_per_page)
    buffer = BytesIO()
    c = new_canvas(buffer, title=f"{doc.title} {cert_no}", subject=f"certificate {cert_no}")
    for number, page_rows in enumerate(pages, start=1):
        if copy:
            watermark(c, "COPY")
        if number == 1:
            doc.first_header(c)
            area = first
        else:
            text_lines(c, MARGIN, 842.0 - MARGIN, [f"{doc.running_title}  {cert_no}"], size=10)
            text_lines(c, MARGIN, 842.0 - MARGIN - 14, [f"(continued, page {number})"], size=7)
            area = rest
        table.draw(c, area, doc.columns, page_rows)
        if number == len(pages):
            doc.closing(c, Rect(MARGIN, MARGIN, PAGE_W - 2 * MARGIN, doc.closing_height - 6))
        footer(c, cert_no, number, len(pages))
        c.showPage()
    c.save()
    return buffer.getvalue()


def render_data(make: Callable[[Mapping[str, Any]], PagedDocument], data: Mapping[str, Any], *,
                hyphenate: bool = False) -> bytes:
    """Render the document ``make`` builds for certificate ``data`` (its goods lines and number)."""
    head = data.get("head") if isinstance(data.get("head"), Mapping) else {}
    goods = [g for g in data.get("goods") or [] if isinstance(g, Mapping)]
    cert_no = str(head.get("CertNo") or "").strip()  # type: ignore[union-attr]
    return render(make(data), goods, head, cert_no=cert_no, hyphenate=hyphenate)  # type: ignore[arg-type]
