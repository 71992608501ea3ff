"""GACC certificate of origin (seed 001 ch. 4): the rules live in gateway.domain.certificate_rules."""

from gateway.domain.certificate_rules import RULES, check_certificate

FAMILY = "gacc_certificate"
check = check_certificate
__all__ = ["FAMILY", "RULES", "check"]
