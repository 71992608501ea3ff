"""CCPIT request rules (gateway.domain.families.ccpit_request) on plain data."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.domain.families import ccpit_request as cr


def void(cert_type: str, cert_no: str, ent_code: str = "350100001") -> dict[str, Any]:
    return {"Head": {"DocumentNo": "V1", "EntCode": ent_code, "OfficeCode": "350100"},
            "Void": {"CertType": cert_type, "CertNo": cert_no, "Reason": "order cancelled"}}


def rules(data: dict[str, Any]) -> set[str]:
    return {v.rule_id for v in cr.check(data)}


@pytest.mark.parametrize(("cert_type", "cert_no", "expected"), [
    ("E", "26E350100001/00005", set()),
    ("HM", "26HM350100001/00005", set()),
    ("H", "26HM350100001/00005", {"CCPIT_REQUEST.CERT_NO_TYPE"}),
    ("K", "26E350100001/00005", {"CCPIT_REQUEST.CERT_NO_TYPE"}),
    ("E", "26E350100077/00005", {"CCPIT_REQUEST.CERT_NO_ENTERPRISE"}),
    ("C", "26E350100077/00005", {"CCPIT_REQUEST.CERT_NO_TYPE", "CCPIT_REQUEST.CERT_NO_ENTERPRISE"}),
])
def test_void_number_matches_type_and_enterprise(cert_type: str, cert_no: str, expected: set[str]) -> None:
    assert rules(void(cert_type, cert_no)) == expected


def test_path_and_field_name() -> None:
    [v] = cr.check(void("K", "26E350100001/00005"))
    assert (v.path, v.field_cn) == ("/VoidRequest/Void/CertNo", "证书编号")


def test_sync_requests_results_and_bad_input_have_no_findings() -> None:
    assert cr.check({"Head": {"DocumentNo": "S1"}, "Sync": {"SyncType": "PRODUCT"}}) == []
    assert cr.check({"ReceiptId": "R", "SyncType": "ENTERPRISE", "SyncStatus": "DONE"}) == []
    assert cr.check({"Void": {"CertNo": "garbage"}}) == []
    assert cr.check({"Void": "x"}) == []
