"""GACC certificate of origin (seed 001 ch. 4-5, message type CO_APPLICATION).

The rules live in gateway.domain.certificate_rules (common: numbering, amendment / reissue, goods
lines, special-field scope) and gateway.domain.certificate_types (per certificate type). ``RULES``
lists what a schema-valid document can break; ``check`` may also report the schema-guard ids of
``certificate_rules.SCHEMA_GUARD_RULES`` for plain data that skipped the XSD.
"""

from collections.abc import Mapping

from gateway.domain.certificate_rules import RULES as _RULES
from gateway.domain.certificate_rules import check_certificate

FAMILY = "gacc_certificate"
RULES: Mapping[str, str] = _RULES
check = check_certificate
__all__ = ["FAMILY", "RULES", "check"]
