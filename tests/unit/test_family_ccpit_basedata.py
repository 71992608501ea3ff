"""CCPIT base data rules (gateway.domain.families.ccpit_basedata) on plain data."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.domain.families import ccpit_basedata as cb


def record(kind: str, operation: str = "SAVE", **body: str) -> dict[str, Any]:
    return {"Head": {"DocumentNo": "B1", "Operation": operation, "EntCode": "350100001"},
            kind: {"Code": "010001", **body}}


def found(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v.rule_id, v.path) for v in cb.check(data)}


@pytest.mark.parametrize(("kind", "root"), [("Exporter", "ExporterRecord"), ("Importer", "ImporterRecord"),
                                            ("Producer", "ProducerRecord")])
def test_a_saved_party_has_a_name(kind: str, root: str) -> None:
    assert found(record(kind, NameEn="DEMO CO., LTD.")) == set()
    assert found(record(kind, NameCn="示范有限公司")) == set()
    assert found(record(kind, AddressEn="NO. 1 ROAD")) == {("CCPIT_BASEDATA.NAME_REQUIRED", f"/{root}/{kind}/NameEn")}


def test_a_delete_names_only_the_code() -> None:
    for kind in ("Exporter", "Importer", "Producer", "SpecialClause"):
        assert found(record(kind, operation="DELETE")) == set()


def test_a_saved_special_clause_has_content() -> None:
    assert found(record("SpecialClause", Content="NOT OF ISRAELI ORIGIN")) == set()
    assert found(record("SpecialClause")) == {
        ("CCPIT_BASEDATA.CONTENT_REQUIRED", "/SpecialClauseRecord/SpecialClause/Content")}


@pytest.mark.parametrize("field", ["NameEn", "AddressEn"])
def test_english_fields_have_no_chinese(field: str) -> None:
    data = record("Importer", NameCn="汉萨", **{field: "HAMBURG 德国"})
    assert found(data) == {("CCPIT_BASEDATA.ENGLISH_NO_CHINESE", f"/ImporterRecord/Importer/{field}")}


def test_english_check_also_applies_to_a_delete_that_carries_text() -> None:
    data = record("Producer", operation="DELETE", NameEn="示范工厂")
    assert found(data) == {("CCPIT_BASEDATA.ENGLISH_NO_CHINESE", "/ProducerRecord/Producer/NameEn")}


def test_chinese_fields_may_hold_anything() -> None:
    assert found(record("Exporter", NameEn="DEMO", NameCn="DEMO 示范", AddressCn="Xiamen")) == set()


def test_bad_input_never_raises() -> None:
    assert cb.check({}) == []
    assert cb.check({"Head": "x", "Exporter": "y"}) == []
    assert cb.check(42) == []  # type: ignore[arg-type]
