"""GACC certificate numbers.

Standard shape (seed 001 ch. 4): type code + 2-digit year + 9-character registrant + 4-digit serial,
where the registrant is the enterprise's 9-digit CO registration number or characters 9-17 of its
USCC. That is 16 characters for one-letter types and 17 for two-letter types; the message field
allows at most 20. The serial counts per (enterprise, type, year) from 0001.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from gateway.domain.identifiers import USCC_CHARSET, co_reg_no_is_valid, uscc_is_valid

#: Every GACC certificate type code and what it certifies.
TYPE_CODES: MappingProxyType[str, str] = MappingProxyType(
    {
        "C": "General (non-preferential) certificate of origin",
        "G": "GSP (Form A)",
        "B": "Asia-Pacific Trade Agreement (APTA)",
        "E": "China-ASEAN FTA (Form E)",
        "F": "China-Chile FTA",
        "M": "EU non-preferential agricultural products",
        "P": "China-Pakistan FTA",
        "T": "Tobacco authenticity",
        "N": "China-New Zealand FTA",
        "X": "China-Singapore FTA",
        "R": "China-Peru FTA",
        "H": "Cross-Strait ECFA",
        "L": "China-Costa Rica FTA",
        "I": "China-Iceland FTA",
        "S": "China-Switzerland FTA",
        "PR": "Processing and assembly",
        "TR": "Re-export",
        "A": "China-Australia FTA",
        "K": "China-Korea FTA",
        "AD": "Tile price undertaking (Mexico)",
        "AP": "Tile price undertaking (Pakistan)",
        "GE": "China-Georgia FTA",
        "MU": "China-Mauritius FTA",
        "CA": "China-Cambodia FTA",
        "RC": "RCEP (incl. back-to-back)",
        "NI": "China-Nicaragua FTA",
        "EC": "China-Ecuador FTA",
        "SE": "China-Serbia FTA",
        "HD": "China-Honduras FTA",
        "MV": "China-Maldives FTA",
        "CG": "China-Congo",
    }
)

MAX_LENGTH = 20
MAX_SERIAL = 9999
_CERT_NO = re.compile(rf"([A-Z]{{1,2}})([0-9]{{2}})([{USCC_CHARSET}]{{9}})([0-9]{{4}})")


@dataclass(frozen=True)
class CertNumber:
    """A parsed certificate number; ``year`` is the full year (2019 for ``19``)."""

    type: str
    year: int
    registrant: str
    serial: int

    def __str__(self) -> str:
        return f"{self.type}{self.year % 100:02d}{self.registrant}{self.serial:04d}"


def registrant_of(reg_no_or_uscc: str) -> str:
    """The 9 registrant characters: a 9-digit CO registration number, or USCC characters 9-17.

    Raises ``ValueError`` for anything else (including an 18-character code failing its check).
    """
    if co_reg_no_is_valid(reg_no_or_uscc):
        return reg_no_or_uscc
    if uscc_is_valid(reg_no_or_uscc):
        return reg_no_or_uscc[8:17]
    raise ValueError(f"{reg_no_or_uscc!r} is neither a 9-digit CO registration number nor a valid USCC")


def _two_digit_year(year: int) -> int:
    if 0 <= year <= 99:
        return year
    if 2000 <= year <= 2099:
        return year - 2000
    raise ValueError(f"year {year} is outside 2000-2099")


def format_cert_no(cert_type: str, year: int, reg_no_or_uscc: str, serial: int) -> str:
    """Build a standard certificate number; ``year`` may be 2026 or 26.

    >>> format_cert_no("E", 2019, "456500999", 1)
    'E194565009990001'
    """
    if cert_type not in TYPE_CODES:
        raise ValueError(f"unknown certificate type {cert_type!r}")
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial {serial} is outside 1-{MAX_SERIAL}")
    return str(CertNumber(cert_type, 2000 + _two_digit_year(year), registrant_of(reg_no_or_uscc), serial))


def parse_cert_no(cert_no: str) -> CertNumber:
    """Parse a standard certificate number; raises ``ValueError`` saying what is wrong."""
    if not isinstance(cert_no, str) or not cert_no:
        raise ValueError("certificate number is empty")
    if len(cert_no) > MAX_LENGTH:
        raise ValueError(f"certificate number is {len(cert_no)} characters, at most {MAX_LENGTH} allowed")
    match = _CERT_NO.fullmatch(cert_no)
    if match is None:
        raise ValueError(
            "certificate number must be type code + 2-digit year + 9-character registration number "
            "(or USCC characters 9-17) + 4-digit serial"
        )
    cert_type, yy, registrant, serial = match.groups()
    if cert_type not in TYPE_CODES:
        raise ValueError(f"certificate number starts with unknown type code {cert_type!r}")
    if serial == "0000":
        raise ValueError("certificate number serial 0000 is not allowed; serials start at 0001")
    return CertNumber(cert_type, 2000 + int(yy), registrant, int(serial))


def validate_cert_no(cert_no: str, *, cert_type: str, reg_no: str | None = None) -> list[str]:
    """Problems with ``cert_no`` for a certificate of ``cert_type`` (empty list when fine).

    ``reg_no`` (9-digit CO registration number or 18-character USCC), when given, must match the
    registrant part.
    """
    try:
        parsed = parse_cert_no(cert_no)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    if parsed.type != cert_type:
        problems.append(f"certificate number type {parsed.type!r} does not match certificate type {cert_type!r}")
    if reg_no is not None:
        try:
            expected = registrant_of(reg_no)
        except ValueError as exc:
            problems.append(str(exc))
        else:
            if parsed.registrant != expected:
                problems.append(f"certificate number registrant {parsed.registrant!r} does not match {expected!r}")
    return problems


def next_serial(existing_max: int) -> int:
    """The serial after ``existing_max`` (0 when none issued yet); raises ``ValueError`` past 9999."""
    if existing_max < 0:
        raise ValueError("existing serial cannot be negative")
    if existing_max >= MAX_SERIAL:
        raise ValueError(f"serials for this type and year are exhausted ({MAX_SERIAL})")
    return existing_max + 1
