"""Goods import from the Excel template: a filled template round-trips; every bad cell is located."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook, load_workbook

from gateway.services.excel_exports import one_month_before
from gateway.services.excel_goods import COLUMNS, goods_template, import_goods

REQUIRED = {c.field for c in COLUMNS if c.required}


def _fill(rows: list[dict[str, object]], template: bytes | None = None) -> bytes:
    wb = load_workbook(io.BytesIO(template or goods_template()))
    ws = wb.active
    assert ws is not None
    ws.delete_rows(3, ws.max_row)  # drop the example line
    fields = [c.value for c in ws[2]]
    for r in rows:
        ws.append([r.get(str(f)) for f in fields])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = {"HSCode": "8471300000", "GoodsName": "笔记本电脑", "GoodsNameE": "NOTEBOOK COMPUTERS", "PackQty": 10,
        "PackUnit": "CARTONS", "GoodsQty": 100, "GoodsUnit": "PCS", "FOBValue": 30000.5, "ICompPrpr": "12.5",
        "OriCriteria": "WO"}


def test_template_has_chinese_headers_and_element_names() -> None:
    ws = load_workbook(io.BytesIO(goods_template())).active
    assert ws is not None
    assert [c.value for c in ws[1]][:3] == ["序号", "非货物项", "HS编码"]
    assert [c.value for c in ws[2]][:3] == ["GNo", "GoodsItemFlag", "HSCode"]
    assert {c.value for c in ws[2]} >= REQUIRED


def test_the_template_example_line_imports() -> None:
    result = import_goods(goods_template())
    assert result.errors == [] and len(result.goods) == 1 and result.goods[0]["HSCode"] == "8471300000"


def test_filled_template_round_trips_to_goods_lines_numbered_in_order() -> None:
    result = import_goods(_fill([GOOD, {**GOOD, "HSCode": "847130", "GoodsItemFlag": "1"}]))
    assert result.errors == []
    first, second = result.goods
    assert first == {"GNo": "1", "GoodsItemFlag": "0", "HSCode": "8471300000", "GoodsName": "笔记本电脑",
                     "GoodsNameE": "NOTEBOOK COMPUTERS", "PackQty": "10", "PackUnit": "CARTONS", "GoodsQty": "100",
                     "GoodsUnit": "PCS", "FOBValue": "30000.5", "ICompPrpr": "12.5", "OriCriteria": "WO"}
    assert second["GNo"] == "2" and second["GoodsItemFlag"] == "1" and second["HSCode"] == "847130"


def test_each_bad_cell_is_reported_with_row_column_and_chinese_header() -> None:
    bad = {**GOOD, "HSCode": "84713", "PackQty": "ten", "ICompPrpr": 150, "GoodsName": None}
    result = import_goods(_fill([GOOD, bad]))
    assert result.goods == []  # all or nothing: a half-imported goods list would be wrong silently
    found = {(e.row, e.column, e.header_cn, e.rule) for e in result.errors}
    assert found == {(4, "C", "HS编码", "EXCEL.hs_code"), (4, "D", "货物中文名称", "EXCEL.required"),
                     (4, "F", "包装件数", "EXCEL.number"), (4, "P", "进口成份比例", "EXCEL.percent")}
    hs = next(e for e in result.errors if e.field == "HSCode")
    assert hs.as_dict()["message"].startswith("HS编码 (HSCode): '84713'")


def test_a_sheet_with_english_headers_and_no_second_header_row_is_read() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    fields = sorted(REQUIRED)
    ws.append(fields)
    ws.append([GOOD[f] for f in fields])
    buf = io.BytesIO()
    wb.save(buf)
    result = import_goods(buf.getvalue())
    assert result.errors == [] and result.goods[0]["FOBValue"] == "30000.5"


@pytest.mark.parametrize(("data", "rule"), [(b"not a workbook", "EXCEL.unreadable")])
def test_garbage_is_refused_clearly(data: bytes, rule: str) -> None:
    (error,) = import_goods(data).errors
    assert error.rule == rule


def test_a_missing_required_column_is_named() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["HS编码", "货物中文名称", "货物英文名称"])
    buf = io.BytesIO()
    wb.save(buf)
    missing = {e.header_cn for e in import_goods(buf.getvalue()).errors if e.rule == "EXCEL.missing_column"}
    assert missing == {"包装件数", "包装单位", "数量", "数量单位", "FOB值"}


def test_one_month_before_clamps_to_the_end_of_a_short_month() -> None:
    assert one_month_before(datetime(2026, 3, 31, 8, tzinfo=UTC)) == datetime(2026, 2, 28, 8, tzinfo=UTC)
    assert one_month_before(datetime(2026, 1, 15, tzinfo=UTC)) == datetime(2025, 12, 15, tzinfo=UTC)
