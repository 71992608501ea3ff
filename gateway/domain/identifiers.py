"""Identifier checks: USCC (GB 32100-2015), HS codes, CO registration numbers."""

from __future__ import annotations

import re

#: GB 32100 code characters: digits and capital letters without I, O, Z, S, V (31 characters).
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
#: Position weights 3**i mod 31 for the first 17 characters.
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_SHAPE = re.compile(rf"[{USCC_CHARSET}]{{2}}[0-9]{{6}}[{USCC_CHARSET}]{{10}}")
_HS = re.compile(r"[0-9]{6}(?:[0-9]{2}){0,2}")
_REG_NO = re.compile(r"[0-9]{9}")


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC.

    Raises ``ValueError`` when ``first17`` is not 17 characters of the USCC character set.
    """
    if len(first17) != 17 or any(ch not in _USCC_VALUE for ch in first17):
        raise ValueError("a USCC body is 17 characters from 0-9 and A-Y without I, O, Z, S, V")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_is_valid(value: str) -> bool:
    """True for an 18-character unified social credit code with a correct check character.

    Shape: registration authority (1) + entity type (1) + administrative division (6 digits) +
    organisation code (9) + check character (1), all from ``USCC_CHARSET``; upper case only.
    """
    if not isinstance(value, str) or _USCC_SHAPE.fullmatch(value) is None:
        return False
    return uscc_check_char(value[:17]) == value[17]


def hs_code_is_valid(value: str) -> bool:
    """True for an HS code of 6, 8 or 10 digits (no dots or spaces)."""
    return isinstance(value, str) and _HS.fullmatch(value) is not None


def co_reg_no_is_valid(value: str) -> bool:
    """True for a 9-digit CO registration number (产地证备案号)."""
    return isinstance(value, str) and _REG_NO.fullmatch(value) is not None
