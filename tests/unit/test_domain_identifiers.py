import pytest

from gateway.domain.identifiers import (
    USCC_CHARSET,
    USCC_WEIGHTS,
    co_reg_no_is_valid,
    hs_code_is_valid,
    uscc_check_char,
    uscc_is_valid,
)

# Published codes: the GB 32100 worked example and two well-known companies (Huawei, Tencent).
PUBLISHED = ["91350100M000100Y43", "914403001922038216", "9144030071526726XG"]


def test_charset_is_31_characters_without_i_o_z_s_v():
    assert len(USCC_CHARSET) == 31
    assert not set("IOZSV") & set(USCC_CHARSET)


def test_weights_are_the_gb32100_table():
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_uscc_examples_are_valid(code):
    assert uscc_is_valid(code)
    assert uscc_check_char(code[:17]) == code[17]


# Computed with the algorithm under test; the published codes above cross-check it.
@pytest.mark.parametrize(
    ("body", "check"),
    [("91110108MA01A2B3C", "F"), ("92440300L12345678", "R"), ("12100000400000627", "N")],
)
def test_computed_check_characters_validate(body, check):
    assert uscc_check_char(body) == check
    assert uscc_is_valid(body + check)


def test_check_character_zero_when_sum_is_multiple_of_31():
    # (31 - 0) % 31 == 0: a weighted sum divisible by 31 gives check character '0', not an index error
    body = next(f"9111000000000{n:04d}" for n in range(10000) if uscc_check_char(f"9111000000000{n:04d}") == "0")
    assert uscc_is_valid(body + "0")


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19 characters
        "91350100m000100y43",  # lower case
        "91350100I000100Y43",  # I is not a code character
        "9135A100M000100Y43",  # division code must be digits
        "",
    ],
)
def test_invalid_uscc_rejected(code):
    assert not uscc_is_valid(code)


def test_single_character_substitution_is_detected():
    code = PUBLISHED[0]
    for pos in range(17):
        for ch in "0A":
            if code[pos] != ch:
                altered = code[:pos] + ch + code[pos + 1 :]
                if altered[2:8].isdigit():
                    assert not uscc_is_valid(altered), altered


def test_uscc_check_char_rejects_bad_body():
    with pytest.raises(ValueError):
        uscc_check_char("9135010OM000100Y4")


@pytest.mark.parametrize("code", ["847130", "84713000", "8471300000"])
def test_hs_codes_of_6_8_10_digits_are_valid(code):
    assert hs_code_is_valid(code)


@pytest.mark.parametrize("code", ["84713", "8471300", "847130000", "84713000001", "8471.30", "84713a", ""])
def test_hs_codes_of_other_shapes_are_invalid(code):
    assert not hs_code_is_valid(code)


def test_co_registration_number_is_nine_digits():
    assert co_reg_no_is_valid("456500999")
    assert not co_reg_no_is_valid("45650099")
    assert not co_reg_no_is_valid("45650099A")
