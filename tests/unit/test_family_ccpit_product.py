"""CCPIT product registration rules (gateway.domain.families.ccpit_product) on plain data."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.domain.families import ccpit_product as cp

PP = "/ProductRecord/Product"


def record(*areas: str, apply_type: str = "DECLARE", body: bool = True, **product: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"Head": {"DocumentNo": "P1", "ApplyType": apply_type, "ProductNo": "FLASK",
                                     "EntCode": "350100001", "OfficeCode": "350100"}}
    if body:
        p = {"AreaList": {"Area": [{"AreaCode": a} for a in areas]}, "HSCode": "961700",
             "NameEn": "VACUUM FLASK", "NameCn": "保温杯", "ProcessDesc": "冲压, 焊接",
             "Producer": "厦门示范五金制品厂, 厦门市集美区",
             "MaterialList": {"Material": [{"SeqNo": "1", "Name": "不锈钢板", "OriginCountry": "CHN"},
                                           {"SeqNo": "2", "Name": "聚丙烯", "OriginCountry": "KOR"}]}}
        p.update(product)
        data["Product"] = p
    return data


def found(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v.rule_id, v.path) for v in cp.check(data)}


@pytest.mark.parametrize("areas", [("E",), ("E", "K", "A", "GE", "HM"), ("H",)])
def test_several_areas_at_once_or_ecfa_alone(areas: tuple[str, ...]) -> None:
    assert cp.check(record(*areas)) == []


@pytest.mark.parametrize(("areas", "index"), [(("H", "N"), 1), (("N", "K", "H"), 3)])
def test_ecfa_never_with_other_areas(areas: tuple[str, ...], index: int) -> None:
    assert found(record(*areas)) == {("CCPIT_PRODUCT.ECFA_ALONE", f"{PP}/AreaList/Area[{index}]/AreaCode")}


def test_ecfa_twice_is_a_duplicate_not_a_mix() -> None:
    assert found(record("H", "H")) == {("CCPIT_PRODUCT.AREA_DUPLICATE", f"{PP}/AreaList/Area[2]/AreaCode")}


def test_duplicate_area() -> None:
    assert found(record("E", "K", "E")) == {("CCPIT_PRODUCT.AREA_DUPLICATE", f"{PP}/AreaList/Area[3]/AreaCode")}


@pytest.mark.parametrize(("kind", "body", "rule"), [
    ("SAVE", False, True), ("DECLARE", False, True), ("DELETE", False, False), ("DELETE", True, False)])
def test_body_required_for_save_and_declare(kind: str, body: bool, rule: bool) -> None:
    result = found(record("E", apply_type=kind, body=body))
    assert (("CCPIT_PRODUCT.BODY_REQUIRED", PP) in result) is rule


@pytest.mark.parametrize(("producer", "ok"), [
    ("厦门示范五金制品厂", True), ("XIAMEN 示范 FACTORY", True), ("XIAMEN DEMO FACTORY, JIMEI", False)])
def test_producer_is_written_in_chinese(producer: str, ok: bool) -> None:
    assert (found(record("E", Producer=producer)) == set()) is ok


@pytest.mark.parametrize(("name", "ok"), [
    ("VACUUM FLASK 500ML", True), ("CAFÉ MUG", True), ("VACUUM FLASK 保温杯", False), ("FLASK，500ML", False)])
def test_english_name_has_no_chinese(name: str, ok: bool) -> None:
    assert (found(record("E", NameEn=name)) == set()) is ok


def test_material_numbering() -> None:
    mats = {"Material": [{"SeqNo": "1"}, {"SeqNo": "3"}]}
    assert found(record("E", MaterialList=mats)) == {
        ("CCPIT_PRODUCT.MATERIAL_SEQNO", f"{PP}/MaterialList/Material[2]/SeqNo")}


def test_single_area_and_material_decoded_as_mappings_still_work() -> None:
    data = record("H", MaterialList={"Material": {"SeqNo": "2"}})
    data["Product"]["AreaList"] = {"Area": {"AreaCode": "H"}}
    assert found(data) == {("CCPIT_PRODUCT.MATERIAL_SEQNO", f"{PP}/MaterialList/Material[1]/SeqNo")}


def test_receipts_and_bad_input_have_no_findings() -> None:
    assert cp.check({"ReceiptId": "R1", "AreaResult": [{"AreaCode": "E", "Status": "APPROVED"}]}) == []
    assert cp.check({"Head": {"ApplyType": "SAVE"}, "Product": {"AreaList": "x", "MaterialList": [1]}}) == []
    assert cp.check(None) == []  # type: ignore[arg-type]
