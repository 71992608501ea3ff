"""Goods lines from Excel (seed 001 §货物信息 Excel 导入): download the template, fill it, upload it.

Each row is checked the way the certificate schema checks a `Goods` element, so lines that pass here
pass the XSD too; every problem names its row, column letter and Chinese header. Nothing is stored:
the lines go back to the caller (ERP or UI) to put into a certificate.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

MAX_ROWS = 2000  # one certificate's goods; a larger sheet is a mistake (or a zip bomb)
SHEET = "货物信息"


@dataclass(frozen=True)
class Column:
    field: str  # the Goods element name
    header_cn: str
    required: bool
    kind: str  # text | amount | percent | hs | flag | int
    max_len: int = 0
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("GNo", "序号", False, "int", example="1"),
    Column("GoodsItemFlag", "非货物项", False, "flag", example="0"),
    Column("HSCode", "HS编码", True, "hs", example="8471300000"),
    Column("GoodsName", "货物中文名称", True, "text", 255, "笔记本电脑"),
    Column("GoodsNameE", "货物英文名称", True, "text", 1000, "NOTEBOOK COMPUTERS"),
    Column("PackQty", "包装件数", True, "amount", example="10"),
    Column("PackUnit", "包装单位", True, "text", 50, "CARTONS"),
    Column("GoodsQty", "数量", True, "amount", example="100"),
    Column("GoodsUnit", "数量单位", True, "text", 50, "PCS"),
    Column("GrossWt", "毛重", False, "amount", example="250"),
    Column("NetWt", "净重", False, "amount", example="230"),
    Column("WtUnit", "重量单位", False, "text", 50, "KG"),
    Column("InvPrice", "单价", False, "amount", example="300"),
    Column("InvValue", "发票金额", False, "amount", example="30000"),
    Column("FOBValue", "FOB值", True, "amount", example="30000"),
    Column("ICompPrpr", "进口成份比例", False, "percent", example="20"),
    Column("OriCriteria", "原产地标准", False, "text", 10, "WO"),
    Column("OriCriteriaSub", "原产地子标准", False, "text", 10),
    Column("OriCriteriaRef", "原产地标准辅助项", False, "text", 50),
    Column("Producer", "生产商描述", False, "text", 1000),
    Column("InvNo", "发票号", False, "text", 50),
)
_BY_HEADER = {c.header_cn: c for c in COLUMNS} | {c.field: c for c in COLUMNS}
HS_CODE = re.compile(r"[0-9]{6}([0-9]{2}([0-9]{2})?)?")


@dataclass(frozen=True)
class CellError:
    row: int
    column: str  # letter, as Excel shows it
    header_cn: str
    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "header_cn": self.header_cn, "field": self.field,
                "rule": self.rule, "message": self.message}


@dataclass(frozen=True)
class GoodsImport:
    goods: list[dict[str, str]]
    errors: list[CellError]


def goods_template() -> bytes:
    """Row 1 the Chinese headers (required ones bold, yellow as in the Single Window), row 2 the XML
    element names, row 3 an example line to overwrite."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for i, col in enumerate(COLUMNS, start=1):
        head = ws.cell(row=1, column=i, value=col.header_cn)
        head.font = Font(bold=col.required)
        if col.required:
            head.fill = required_fill
        ws.cell(row=2, column=i, value=col.field).font = Font(italic=True, color="808080")
        ws.cell(row=3, column=i, value=col.example or None)
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(col.field) + 4)
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def import_goods(data: bytes) -> GoodsImport:
    """Read the first sheet; header row = the first row whose cells name our columns (Chinese or XML)."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return GoodsImport([], [CellError(0, "", "", "", "EXCEL.unreadable",
                                          f"not an .xlsx workbook: {exc}")])
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True, max_row=MAX_ROWS + 10)
        return _read_rows(list(rows))
    finally:
        wb.close()


def _read_rows(rows: list[tuple[Any, ...]]) -> GoodsImport:
    header_at = next((i for i, r in enumerate(rows[:10]) if _columns_of(r)), None)
    if header_at is None:
        names = "、".join(c.header_cn for c in COLUMNS if c.required)
        return GoodsImport([], [CellError(1, "", "", "", "EXCEL.no_header",
                                          f"no header row found: the first row must name the columns ({names} …); "
                                          "download the template from /api/v1/templates/goods.xlsx")])
    columns = _columns_of(rows[header_at])
    errors = [CellError(header_at + 1, "", c.header_cn, c.field, "EXCEL.missing_column",
                        f"required column {c.header_cn} ({c.field}) is missing")
              for c in COLUMNS if c.required and c not in columns.values()]
    if errors:
        return GoodsImport([], errors)
    start = header_at + 1
    if start < len(rows) and _columns_of(rows[start]):
        start += 1  # the template's second header row (element names)
    body = rows[start:]
    if len(body) > MAX_ROWS:
        return GoodsImport([], [CellError(start + MAX_ROWS + 1, "", "", "", "EXCEL.too_many_rows",
                                          f"at most {MAX_ROWS} goods lines per import")])
    goods: list[dict[str, str]] = []
    for offset, row in enumerate(body):
        excel_row = start + offset + 1
        if all(_text(v) == "" for v in row):
            continue
        line: dict[str, str] = {}
        for index, col in columns.items():
            value = _text(row[index] if index < len(row) else None)
            problem = _check(col, value)
            if problem:
                rule, message = problem
                errors.append(CellError(excel_row, get_column_letter(index + 1), col.header_cn, col.field, rule,
                                        f"{col.header_cn} ({col.field}): {message}"))
            elif value:
                line[col.field] = value
        line.setdefault("GoodsItemFlag", "0")
        line.setdefault("GNo", str(len(goods) + 1))
        goods.append(line)
    if not goods and not errors:
        errors.append(CellError(start + 1, "", "", "", "EXCEL.empty", "the sheet has no goods lines"))
    return GoodsImport(goods if not errors else [], errors)


def _columns_of(row: tuple[Any, ...]) -> dict[int, Column]:
    found = {i: _BY_HEADER[_text(v)] for i, v in enumerate(row) if _text(v) in _BY_HEADER}
    return found if len(found) >= 3 else {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps 10 as 10.0
    if isinstance(value, Decimal | int | float):
        return format(Decimal(str(value)), "f")
    return str(value).strip()


def _check(col: Column, value: str) -> tuple[str, str] | None:
    if value == "":
        return ("EXCEL.required", "required") if col.required else None
    if col.kind == "hs" and not HS_CODE.fullmatch(value):
        return "EXCEL.hs_code", f"{value!r} is not a 6-, 8- or 10-digit HS code"
    if col.kind == "flag" and value not in ("0", "1"):
        return "EXCEL.flag", f"{value!r} must be 0 or 1"
    if col.kind == "int" and not (value.isdigit() and 0 < int(value) < 1000):
        return "EXCEL.number", f"{value!r} must be a whole number from 1 to 999"
    if col.kind in ("amount", "percent"):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return "EXCEL.number", f"{value!r} is not a number"
        if not number.is_finite() or number < 0:
            return "EXCEL.number", f"{value!r} must be zero or more"
        exponent = number.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if decimals > 5:
            return "EXCEL.decimals", f"{value!r} has more than 5 decimal places"
        if col.kind == "percent" and number > 100:
            return "EXCEL.percent", f"{value!r} must be between 0 and 100"
        if len(number.as_tuple().digits) > 19:
            return "EXCEL.number", f"{value!r} has more than 19 digits"
    if col.kind == "text" and col.max_len and len(value) > col.max_len:
        return "EXCEL.too_long", f"{len(value)} characters; at most {col.max_len}"
    return None
