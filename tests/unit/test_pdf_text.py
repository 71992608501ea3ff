"""CJK-aware wrapping and the hyphen-on-wrap option, measured in characters (each one unit wide)."""

from __future__ import annotations

from gateway.pdf.text import is_cjk, wrap


def chars(s: str) -> float:
    return float(len(s))


def test_chinese_breaks_between_any_two_characters() -> None:
    assert wrap("台湾永丰贸易股份有限公司", 5, chars) == ["台湾永丰贸", "易股份有限", "公司"]


def test_latin_words_move_whole_to_the_next_line_by_default() -> None:
    lines = wrap("FRESH GARLIC NORMAL WHITE", 10, chars)
    assert lines == ["FRESH", "GARLIC", "NORMAL", "WHITE"]
    assert all(len(line) <= 10 for line in lines)


def test_hyphen_option_fills_the_line_and_marks_the_split() -> None:
    lines = wrap("FRESH GARLIC NORMAL WHITE", 10, chars, hyphenate=True)
    assert lines == ["FRESH GAR-", "LIC NORMAL", "WHITE"]
    assert "".join(line[:-1] if line.endswith("-") else line + " " for line in lines).strip() == \
        "FRESH GARLIC NORMAL WHITE"


def test_hyphen_split_keeps_at_least_three_letters_before_and_two_after() -> None:
    assert wrap("ABCDEFGH XYZAB", 11, chars, hyphenate=True) == ["ABCDEFGH", "XYZAB"]  # 'X-' would be too short
    assert wrap("AB CDEFG", 6, chars, hyphenate=True) == ["AB", "CDEFG"]  # 'CDE-' + 'FG' fits only 5: no room


def test_a_word_longer_than_the_line_is_split_anyway() -> None:
    assert wrap("ABCDEFGHIJKL", 5, chars) == ["ABCDE", "FGHIJ", "KL"]
    assert wrap("ABCDEFGHIJKL", 5, chars, hyphenate=True) == ["ABCD-", "EFGH-", "IJKL"]


def test_closing_punctuation_never_starts_a_line() -> None:
    assert wrap("一二三四，五六", 4, chars) == ["一二三四，", "五六"]


def test_mixed_chinese_and_latin_and_explicit_newlines() -> None:
    assert wrap("绿茶 GREEN TEA\n\n第二行", 6, chars) == ["绿茶", "GREEN", "TEA", "", "第二行"]
    assert wrap("", 10, chars) == [""]


def test_cjk_detection() -> None:
    assert is_cjk("茶") and is_cjk("，") and is_cjk("한") and not is_cjk("A") and not is_cjk("é")
