"""CCPIT requests (seed 002): rules of ``VoidRequest``; ``SyncRequest`` and the inbound ``SyncResult`` have none.

``VoidRequest`` decodes to ``{"Head": {...}, "Void": {"CertType", "CertNo", "Reason"}}``. Voiding (作废)
appears in the slides only as the list of voided certificates (作废原产地证查询, l.149, l.500-536); the
request, its reason (required by the schema) and the number checks are *assumed*:

- the certificate number is of the stated certificate type;
- the certificate number carries the requesting enterprise's code (an enterprise voids its own
  certificates).
Whether the certificate exists and may still be voided is CCPIT's decision.

``SyncRequest`` (数据同步, l.763-775) asks CCPIT for the enterprise's registration (同步企业信息) or its
registered products (同步商品备案信息); its form is all the schema's.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from gateway.domain import ccpit
from gateway.domain.violations import Violation

FAMILY = "ccpit_request"
VOID = "/VoidRequest/Void"

RULES: Mapping[str, str] = MappingProxyType(
    {
        "CCPIT_REQUEST.CERT_NO_TYPE": "the certificate to void (CertNo) is of the stated type (CertType)",
        "CCPIT_REQUEST.CERT_NO_ENTERPRISE": "the certificate to void carries the requesting enterprise's code "
                                            "(Head/EntCode)",
    }
)


def check(data: Mapping[str, Any]) -> list[Violation]:
    if not isinstance(data, Mapping) or "Void" not in data:
        return []
    void = ccpit.child(data, "Void")
    cert_no = ccpit.text(void, "CertNo")
    if not cert_no:
        return []
    type_problem, ent_problem = ccpit.cert_no_problems(
        cert_no, cert_type=ccpit.text(void, "CertType"), ent_code=ccpit.text(ccpit.child(data, "Head"), "EntCode"))
    found: list[Violation] = []
    if type_problem:
        found.append(Violation("CCPIT_REQUEST.CERT_NO_TYPE", f"{VOID}/CertNo", type_problem, "证书编号"))
    if ent_problem:
        found.append(Violation("CCPIT_REQUEST.CERT_NO_ENTERPRISE", f"{VOID}/CertNo", ent_problem, "证书编号"))
    return found
