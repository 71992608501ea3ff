"""A goods table that continues over as many pages as it needs, its header repeated on every page.

Rows are measured in body lines (``kit.LEADING``): every cell is wrapped to its column and a row is as
tall as its tallest cell. Pages are filled greedily; a row that does not fit on what is left of a page
starts the next one, and only a row taller than a whole page is split. So the number of pages is a
plain function of the rows: for one-line rows it is ``ceil(rows / lines_per_page)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from gateway.pdf.fonts import text_width
from gateway.pdf.kit import BODY_SIZE, LABEL_SIZE, LEADING, Rect, text_lines, wrap_body
from gateway.pdf.text import wrap

Row = list[list[str]]  # per column, its wrapped lines
Cell = Callable[[Mapping[str, Any], Mapping[str, Any]], str]  # (goods line, head) -> text


@dataclass(frozen=True)
class Column:
    number: str
    label: str
    width: float  # share of the table width; shares are normalised
    value: Cell
    align: str = "left"
    hyphenate: bool = False  # the goods description honours the "hyphen on wrap" option


END_MARK = "*" * 24  # closes the goods list so nothing can be added below it by hand


def widths(columns: Sequence[Column], total: float) -> list[float]:
    share = sum(col.width for col in columns)
    return [total * col.width / share for col in columns]


def build_rows(columns: Sequence[Column], goods: Sequence[Mapping[str, Any]], head: Mapping[str, Any],
               total_width: float, *, hyphenate: bool, end_mark: bool = True) -> list[Row]:
    col_w = widths(columns, total_width)
    rows: list[Row] = []
    for line in goods:
        rows.append([wrap_body(col.value(line, head), w - 6, hyphenate=hyphenate and col.hyphenate)
                     for col, w in zip(columns, col_w, strict=True)])
    if end_mark:
        rows.append([[END_MARK] if i == _main_column(columns) else [] for i in range(len(columns))])
    return rows


def _main_column(columns: Sequence[Column]) -> int:
    return next((i for i, col in enumerate(columns) if col.hyphenate), 0)


def height(row: Row) -> int:
    return max(1, *(len(cell) for cell in row)) if row else 1


def paginate(rows: Sequence[Row], lines_per_page: int, first_page: int | None = None) -> list[list[Row]]:
    """Rows per page; ``first_page`` lines on page 1 when it has less room (documents with a long header)."""
    pages: list[list[Row]] = [[]]
    room = first_page if first_page is not None else lines_per_page
    used = 0
    for row in rows:
        need = height(row)
        if used + need > room and used:
            pages.append([])
            used, room = 0, lines_per_page
        while need > room:  # taller than a page: split it line-wise
            pages[-1].append([cell[:room] for cell in row])
            pages.append([])
            row = [cell[room:] for cell in row]
            need, room = height(row), lines_per_page
        pages[-1].append(row)
        used += need
    return pages


@dataclass(frozen=True)
class TableArea:
    rect: Rect  # header + body
    header_height: float

    @property
    def lines_per_page(self) -> int:
        return int((self.rect.h - self.header_height - 4) // LEADING)

    def with_top(self, top: float) -> TableArea:
        return TableArea(Rect(self.rect.x, self.rect.y, self.rect.w, top - self.rect.y), self.header_height)


def draw(c: Canvas, area: TableArea, columns: Sequence[Column], rows: Sequence[Row]) -> None:
    r = area.rect
    col_w = widths(columns, r.w)
    c.setLineWidth(0.6)
    c.rect(r.x, r.y, r.w, r.h)
    header_y = r.top - area.header_height
    c.line(r.x, header_y, r.x + r.w, header_y)
    x = r.x
    for i, (col, w) in enumerate(zip(columns, col_w, strict=True)):
        if i:
            c.line(x, r.y, x, r.top)
        caption = f"{col.number}. {col.label}" if col.number else col.label
        text_lines(c, x + 2, r.top - 2, wrap(caption, w - 4, lambda s: text_width(s, LABEL_SIZE)),
                   size=LABEL_SIZE, leading=LABEL_SIZE + 1.3)
        x += w
    y = header_y - 3
    for row in rows:
        x = r.x
        for col, w, cell in zip(columns, col_w, row, strict=True):
            text_lines(c, x + 3, y, cell, size=BODY_SIZE, leading=LEADING, align=col.align, width=w - 6)
            x += w
        y -= height(row) * LEADING
