"""The value object every business rule reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One broken business rule.

    ``rule_id`` is stable (safe to store, match on and show to ERP users), ``path`` points at the
    offending element (``/Certificate/CertificateList/Goods[2]/OriCriteria``, 1-based indexes),
    ``message`` is English and ``field_cn`` the manual's Chinese field name (may be empty).
    """

    rule_id: str
    path: str
    message: str
    field_cn: str = ""
