import pytest

from gateway.domain.numbering import (
    MAX_LENGTH,
    TYPE_CODES,
    CertNumber,
    format_cert_no,
    next_serial,
    parse_cert_no,
    validate_cert_no,
)

REG_NO = "456500999"
USCC = "91350100M000100Y43"  # characters 9-17: M000100Y4

ALL_TYPES = [
    "C",
    "G",
    "B",
    "E",
    "F",
    "M",
    "P",
    "T",
    "N",
    "X",
    "R",
    "H",
    "L",
    "I",
    "S",
    "PR",
    "TR",
    "A",
    "K",
    "AD",
    "AP",
    "GE",
    "MU",
    "CA",
    "RC",
    "NI",
    "EC",
    "SE",
    "HD",
    "MV",
    "CG",
]


def test_type_codes_cover_every_gacc_type():
    assert set(TYPE_CODES) == set(ALL_TYPES)
    assert len(TYPE_CODES) == 31


def test_format_matches_the_manual_example():
    assert format_cert_no("E", 2019, REG_NO, 1) == "E194565009990001"


def test_format_accepts_two_digit_year():
    assert format_cert_no("C", 26, REG_NO, 42) == "C264565009990042"


def test_format_uses_uscc_characters_9_to_17():
    assert format_cert_no("E", 2026, USCC, 7) == "E26M000100Y40007"


@pytest.mark.parametrize("cert_type", ALL_TYPES)
def test_length_is_16_for_one_letter_and_17_for_two_letter_types(cert_type):
    number = format_cert_no(cert_type, 2026, REG_NO, 1)
    assert len(number) == 15 + len(cert_type)
    assert len(number) <= MAX_LENGTH
    assert parse_cert_no(number) == CertNumber(cert_type, 2026, REG_NO, 1)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("Z", 2026, REG_NO, 1), "unknown certificate type"),
        (("E", 2026, REG_NO, 0), "serial"),
        (("E", 2026, REG_NO, 10000), "serial"),
        (("E", 1999, REG_NO, 1), "year"),
        (("E", 2026, "45650099", 1), "neither"),
        (("E", 2026, "91350100M000100Y44", 1), "neither"),  # bad USCC check character
    ],
)
def test_format_rejects_bad_input(args, reason):
    with pytest.raises(ValueError, match=reason):
        format_cert_no(*args)


def test_parse_two_letter_type_with_uscc_registrant():
    parsed = parse_cert_no("RC26M000100Y40123")
    assert parsed == CertNumber("RC", 2026, "M000100Y4", 123)
    assert str(parsed) == "RC26M000100Y40123"


def test_parse_does_not_confuse_pr_with_p():
    assert parse_cert_no("PR264565009990001").type == "PR"
    assert parse_cert_no("P264565009990001").type == "P"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "empty"),
        ("E2645650099900011234567", "at most 20"),
        ("E26456500999001", "must be type code"),  # 15 characters
        ("e264565009990001", "must be type code"),
        ("E2645650099900O1", "must be type code"),  # letter O in the serial
        ("ZZ264565009990001", "unknown type code"),
        ("E264565009990000", "serial 0000"),
    ],
)
def test_parse_rejects_with_reason(number, reason):
    with pytest.raises(ValueError, match=reason):
        parse_cert_no(number)


def test_validate_accepts_matching_number():
    assert validate_cert_no("E264565009990001", cert_type="E", reg_no=REG_NO) == []
    assert validate_cert_no("E26M000100Y40001", cert_type="E", reg_no=USCC) == []
    assert validate_cert_no("GE264565009990001", cert_type="GE") == []


def test_validate_reports_type_mismatch():
    (problem,) = validate_cert_no("E264565009990001", cert_type="C")
    assert "does not match certificate type" in problem


def test_validate_reports_registrant_mismatch():
    (problem,) = validate_cert_no("E264565009990001", cert_type="E", reg_no=USCC)
    assert "M000100Y4" in problem


def test_validate_reports_parse_failure():
    (problem,) = validate_cert_no("E26", cert_type="E")
    assert "must be type code" in problem


def test_next_serial_counts_from_one():
    assert next_serial(0) == 1
    assert next_serial(41) == 42


@pytest.mark.parametrize("existing", [-1, 9999])
def test_next_serial_rejects_out_of_range(existing):
    with pytest.raises(ValueError):
        next_serial(existing)
