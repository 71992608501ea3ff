"""Identifier checks: USCC (GB 32100-2015), organisation codes (GB 11714), resident ID numbers (GB 11643),
HS codes, CO registration numbers, customs declaration numbers, customs / GACC office / CCPIT codes."""

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
_DECL_NO = re.compile(r"[0-9]{18}")
_CCPIT_OFFICE = re.compile(r"[0-9]{6}")
_CCPIT_ENTERPRISE = re.compile(r"[0-9]{9}")
_GACC_OFFICE = re.compile(r"[0-9]{4}")
_CUSTOMS_CODE = re.compile(r"[0-9]{4}[0-9A-Z]{6}")
_ORG_CODE = re.compile(r"[0-9A-Z]{8}[0-9X]")
#: GB 11714 weights for the 8 body characters of an organisation code.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")
#: GB 11643 weights for the first 17 digits of a resident identity number, and the check characters.
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK = "10X98765432"


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


def customs_declaration_no_is_valid(value: str) -> bool:
    """True for an 18-digit customs declaration number (报关单号).

    Shape (GACC numbering): 4-digit customs office that accepted it + 4-digit year + import/export flag
    (``1`` import, ``0`` export) + 9-digit sequence. Only the 18 digits are checked here; see
    ``customs_declaration_is_export`` for the flag.
    """
    return isinstance(value, str) and _DECL_NO.fullmatch(value) is not None


def customs_declaration_is_export(value: str) -> bool:
    """True for a valid declaration number whose 9th digit, the import/export flag, is ``0`` (export)."""
    return customs_declaration_no_is_valid(value) and value[8] == "0"


def ccpit_office_code_is_valid(value: str) -> bool:
    """True for a 6-digit CCPIT office code (贸促会编码, seed 002 l.210)."""
    return isinstance(value, str) and _CCPIT_OFFICE.fullmatch(value) is not None


def ccpit_enterprise_code_is_valid(value: str) -> bool:
    """True for a 9-digit CCPIT enterprise code (企业编码, seed 002 l.212)."""
    return isinstance(value, str) and _CCPIT_ENTERPRISE.fullmatch(value) is not None


def gacc_office_code_is_valid(value: str) -> bool:
    """True for a 4-digit GACC issuing office code (OrgCode, 签证机构)."""
    return isinstance(value, str) and _GACC_OFFICE.fullmatch(value) is not None


def customs_code_is_valid(value: str) -> bool:
    """True for a 10-character enterprise customs code (海关编码): 4-digit region + 6 digits or capitals."""
    return isinstance(value, str) and _CUSTOMS_CODE.fullmatch(value) is not None


def org_code_check_char(first8: str) -> str:
    """The GB 11714 check character for the 8 body characters of an organisation code.

    Raises ``ValueError`` when ``first8`` is not 8 digits or capital letters.
    """
    if len(first8) != 8 or any(not ("0" <= ch <= "9" or "A" <= ch <= "Z") for ch in first8):
        raise ValueError("an organisation code body is 8 digits or capital letters")
    total = sum(int(ch, 36) * w for ch, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def org_code_is_valid(value: str) -> bool:
    """True for a 9-character organisation code (组织机构代码, GB 11714) with a correct check character.

    It is characters 9-17 of the enterprise's USCC.
    """
    if not isinstance(value, str) or _ORG_CODE.fullmatch(value) is None:
        return False
    return org_code_check_char(value[:8]) == value[8]


def resident_id_is_valid(value: str) -> bool:
    """True for an 18-character resident identity number (GB 11643) with a correct check character."""
    if not isinstance(value, str) or _RESIDENT_ID.fullmatch(value) is None:
        return False
    total = sum(int(ch) * w for ch, w in zip(value[:17], RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK[total % 11] == value[17]
