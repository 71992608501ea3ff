"""Declaration numbers, office / enterprise codes, organisation codes and resident ID numbers."""

import pytest

from gateway.domain.identifiers import (
    ORG_CODE_WEIGHTS,
    ccpit_enterprise_code_is_valid,
    ccpit_office_code_is_valid,
    customs_code_is_valid,
    customs_declaration_is_export,
    customs_declaration_no_is_valid,
    gacc_office_code_is_valid,
    org_code_check_char,
    org_code_is_valid,
    resident_id_is_valid,
)


@pytest.mark.parametrize("value", ["350120240001234567", "531620250000000001", "000000000000000000"])
def test_declaration_numbers_of_18_digits_are_valid(value):
    assert customs_declaration_no_is_valid(value)


@pytest.mark.parametrize(
    "value",
    ["35012024000123456", "3501202400012345678", "35012024000123456A", " 350120240001234567", "",
     "3501-2024-0001234567"],
)
def test_declaration_numbers_of_other_shapes_are_invalid(value):
    assert not customs_declaration_no_is_valid(value)


def test_declaration_export_flag_is_the_ninth_digit():
    assert customs_declaration_is_export("350120240001234567")  # 3501 + 2024 + 0 (export) + sequence
    assert not customs_declaration_is_export("350120241001234567")  # 1 = import
    assert not customs_declaration_is_export("35012024000123456")  # not a declaration number at all


@pytest.mark.parametrize(("value", "ok"), [("350100", True), ("35010", False), ("3501000", False), ("35010A", False)])
def test_ccpit_office_code_is_six_digits(value, ok):
    assert ccpit_office_code_is_valid(value) is ok


@pytest.mark.parametrize(("value", "ok"), [("350100001", True), ("35010000", False), ("3501000010", False),
                                           ("35010000A", False)])
def test_ccpit_enterprise_code_is_nine_digits(value, ok):
    assert ccpit_enterprise_code_is_valid(value) is ok


@pytest.mark.parametrize(("value", "ok"), [("3501", True), ("350", False), ("35010", False), ("35A1", False)])
def test_gacc_office_code_is_four_digits(value, ok):
    assert gacc_office_code_is_valid(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [("3501960001", True), ("4403W60001", True), ("350196000", False), ("35019600011", False),
     ("A501960001", False), ("3501960o01", False)],
)
def test_customs_code_is_ten_characters(value, ok):
    assert customs_code_is_valid(value) is ok


@pytest.mark.parametrize("code", ["M000100Y4", "192203821", "71526726X"])  # USCC characters 9-17 of published codes
def test_published_organisation_codes_are_valid(code):
    assert org_code_is_valid(code)


def test_organisation_check_char_covers_x_and_zero():
    bodies = (f"{n:08d}" for n in range(100000))
    x_body = next(b for b in bodies if org_code_check_char(b) == "X")
    assert org_code_is_valid(x_body + "X")
    assert org_code_check_char("00000000") == "0"  # 11 - 0 = 11 -> '0'
    assert len(ORG_CODE_WEIGHTS) == 8


@pytest.mark.parametrize("code", ["M000100Y5", "M000100Y", "M000100Y44", "m000100y4", "M000100YA", ""])
def test_bad_organisation_codes_are_invalid(code):
    assert not org_code_is_valid(code)


def test_organisation_check_char_rejects_bad_body():
    with pytest.raises(ValueError):
        org_code_check_char("M00010-Y")


def test_resident_id_check_character():
    assert resident_id_is_valid("11010519491231002X")  # the GB 11643 worked example
    assert not resident_id_is_valid("110105194912310021")
    assert not resident_id_is_valid("11010519491231002x")
    assert not resident_id_is_valid("1101051949123100")
