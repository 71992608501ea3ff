"""The commercial invoice printed from the certificate data (seed 001 ch. 4 打印发票)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from gateway.pdf import fields as f
from gateway.pdf import paged
from gateway.pdf.kit import MARGIN, PAGE_H, PAGE_W, Rect, box, field, info_grid, text_lines
from gateway.pdf.table import Column


def document(data: Mapping[str, Any]) -> paged.PagedDocument:
    h = f.head(data)
    curr = field(h, "Curr") or "USD"

    def first_header(c: Canvas) -> float:
        top = PAGE_H - MARGIN
        width = PAGE_W - 2 * MARGIN
        text_lines(c, MARGIN, top, ["COMMERCIAL INVOICE"], size=15, align="center", width=width)
        text_lines(c, MARGIN, top - 20, ["商业发票"], size=9, align="center", width=width)
        half = width / 2
        box(c, Rect(MARGIN, top - 100, half, 70), "Seller / Exporter", field(h, "Exporter"))
        box(c, Rect(MARGIN + half, top - 100, half, 70), "Buyer / Consignee", field(h, "Consignee"))
        pairs = [
            ("Invoice No.", field(h, "InvNo")), ("Invoice date", field(h, "InvDate")),
            ("Certificate of origin No.", field(h, "CertNo")), ("Price terms", f.joined(field(h, "PriceTerms"), curr)),
            ("From", field(h, "LoadPort")), ("To", field(h, "UnloadPort")),
        ]
        return info_grid(c, Rect(MARGIN, 0, width, top - 100), pairs, columns=2) - 8

    def closing(c: Canvas, r: Rect) -> None:
        total = field(h, "TotalAmt") or field(h, "FOBValue")
        text_lines(c, r.x, r.top, [f"TOTAL: {curr} {f.amount(total)}"], size=10, align="right", width=r.w)
        seller = (field(h, "Exporter").splitlines() or [""])[0]
        text_lines(c, r.x, r.top - 40, [f"For and on behalf of {seller}"], size=8)
        c.line(r.x, r.top - 80, r.x + 200, r.top - 80)
        text_lines(c, r.x, r.top - 83, ["Authorised signature"], size=6.5)

    return paged.PagedDocument(
        title="COMMERCIAL INVOICE",
        running_title="COMMERCIAL INVOICE",
        first_header=first_header,
        closing=closing,
        columns=(
            Column("", "Marks and numbers", 1.1, f.marks),
            Column("", "Description of goods", 3.0, lambda g, _h: f.packages_and_description(g), hyphenate=True),
            Column("", "HS code", 1.0, f.hs_code),
            Column("", "Quantity", 1.0, lambda g, _h: f.quantity(g)),
            Column("", f"Unit price ({curr})", 1.0, lambda g, _h: field(g, "InvPrice"), align="right"),
            Column("", f"Amount ({curr})", 1.2, lambda g, _h: f.amount(field(g, "InvValue")), align="right"),
        ),
    )


def render(data: Mapping[str, Any], *, hyphenate: bool = False) -> bytes:
    return paged.render_data(document, data, hyphenate=hyphenate)
