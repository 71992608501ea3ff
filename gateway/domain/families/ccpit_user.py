"""CCPIT user record 用户备案 (seed 002 l.164-214, l.835-836): rules of ``UserRecord``.

``UserRecord`` decodes to ``{"Head": {...}, "Enterprise": {...}, "SignerList": {"SignerName": [...]}}``.
The shapes of the 6-digit CCPIT office code (贸促会编码, l.210) and the 9-digit CCPIT enterprise code
(企业编码, l.212) are enforced by ccpit-types-v1.xsd. Rules here:

- the enterprise's USCC has a correct GB 32100 check character (the Single Window qualification
  belongs to that enterprise, 我的资质 l.176);
- each signer (手签员, l.178, l.214) is listed once.

Not checked by the gateway: that the signer is registered at CCPIT and not cancelled (l.836), and
that the codes are the ones CCPIT issued (l.170) — CCPIT knows, the gateway does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from gateway.domain import ccpit
from gateway.domain.identifiers import uscc_is_valid
from gateway.domain.violations import Violation

FAMILY = "ccpit_user"
ROOT = "/UserRecord"

RULES: Mapping[str, str] = MappingProxyType(
    {
        "CCPIT_USER.USCC_CHECK": "the enterprise USCC (统一社会信用代码) must have a correct GB 32100 check character",
        "CCPIT_USER.SIGNER_DUPLICATE": "each signer (手签员姓名, seed 002 l.214) is listed once",
    }
)


def check(data: Mapping[str, Any]) -> list[Violation]:
    if not isinstance(data, Mapping) or "Enterprise" not in data:
        return []
    found: list[Violation] = []
    # The qualification is recorded for the logged-in enterprise (l.176): its USCC must be real.
    uscc = ccpit.text(ccpit.child(data, "Enterprise"), "Uscc")
    if uscc and not uscc_is_valid(uscc):
        found.append(Violation("CCPIT_USER.USCC_CHECK", f"{ROOT}/Enterprise/Uscc",
                               f"Uscc {uscc} has a wrong check character (GB 32100)", "统一社会信用代码"))
    # 手签员姓名 (l.178, l.214): a name recorded twice is a mistake in the list.
    seen: set[str] = set()
    for i, name in enumerate(ccpit.texts(ccpit.child(data, "SignerList"), "SignerName"), start=1):
        key = " ".join(name.split())
        if key and key in seen:
            found.append(Violation("CCPIT_USER.SIGNER_DUPLICATE", f"{ROOT}/SignerList/SignerName[{i}]",
                                   f"signer {key!r} is listed more than once", "手签员姓名"))
        seen.add(key)
    return found
