"""Networked certificate-of-origin status queries (seed 000).

Which criteria each query takes is structure (co-status-v1.xsd): export status by CO number only
(l.118); import status only by agreement code + origin country + CO number (l.134, l.142-144); import
information by those plus CO type, first-item HS code and issue date (l.154). The rule here: an import
certificate is issued under an agreement by the partner, so its origin country is not China (assumed).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from gateway.domain.violations import Violation

FAMILY = "co_status"

RULES: Mapping[str, str] = MappingProxyType(
    {
        "COSTATUS.ORIGIN_IS_CHINA": "an import CO's origin country under the agreement is the partner, not CHN "
                                    "(assumed)",
    }
)

_IMPORT_CRITERIA = {"ImportCoStatusQuery": "ImportStatusCriteria", "ImportCoInfoQuery": "ImportInfoCriteria"}


def check(data: Mapping[str, Any]) -> list[Violation]:
    if not isinstance(data, Mapping):
        return []
    found: list[Violation] = []
    for root, key in _IMPORT_CRITERIA.items():
        criteria = data.get(key)
        if not isinstance(criteria, Mapping):
            continue
        origin = criteria.get("OriginCountryCode")
        if isinstance(origin, str) and origin.strip() == "CHN":
            found.append(Violation("COSTATUS.ORIGIN_IS_CHINA", f"/{root}/{key}/OriginCountryCode",
                                   "OriginCountryCode CHN: an import certificate of origin is issued by the partner "
                                   "country under the agreement", "优惠贸易协定项下原产地"))
    return found
