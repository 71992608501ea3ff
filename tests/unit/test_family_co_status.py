"""Networked CO status queries (seed 000): the fixed criteria combinations and the origin rule."""

from pathlib import Path

import pytest

from gateway.domain.families.co_status import RULES, check
from messages.validate import Validator

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "families" / "co_status"


def status_query(origin="KOR"):
    return {"QueryHead": {"DocumentNo": "Q-1", "Uscc": "91350100M000100Y43"},
            "ImportStatusCriteria": {"AgreementCode": "19", "OriginCountryCode": origin, "CoNo": "2026-1234"}}


def info_query(origin="VNM"):
    return {"QueryHead": {"DocumentNo": "Q-2", "Uscc": "91350100M000100Y43"},
            "ImportInfoCriteria": {"AgreementCode": "02", "OriginCountryCode": origin, "CoNo": "VN-CN 26/1",
                                   "CoType": "CERTIFICATE", "FirstItemHSCode": "400122", "IssueDate": "2026-02-20"}}


def test_partner_origins_are_fine():
    assert check(status_query()) == []
    assert check(info_query()) == []
    assert check({"QueryHead": {}, "ExportStatusCriteria": {"CoNo": "E263501000010001"}}) == []


def test_import_certificate_origin_is_not_china():
    for data, path in ((status_query("CHN"), "/ImportCoStatusQuery/ImportStatusCriteria/OriginCountryCode"),
                       (info_query("CHN"), "/ImportCoInfoQuery/ImportInfoCriteria/OriginCountryCode")):
        violations = check(data)
        assert [(v.rule_id, v.path) for v in violations] == [("COSTATUS.ORIGIN_IS_CHINA", path)]
        assert violations[0].rule_id in RULES


@pytest.mark.parametrize("data", [{}, {"ImportStatusCriteria": None}, {"ImportInfoCriteria": {"OriginCountryCode": 1}}])
def test_odd_input_never_raises(data):
    assert check(data) == []


def _without(xml: bytes, element: str) -> bytes:
    start = xml.index(f"<{element}>".encode())
    end = xml.index(f"</{element}>".encode()) + len(f"</{element}>")
    return xml[:start] + xml[end:]


@pytest.mark.parametrize("missing", ["AgreementCode", "OriginCountryCode", "CoNo"])
def test_import_status_query_needs_all_three_criteria(missing):
    raw = _without((SAMPLES / "valid_import_status_query.xml").read_bytes(), missing)
    problems = Validator().validate(raw).problems
    assert problems and all(p.rule.startswith("XSD.") for p in problems)


@pytest.mark.parametrize("missing", ["AgreementCode", "OriginCountryCode", "CoNo", "CoType", "FirstItemHSCode",
                                     "IssueDate"])
def test_import_info_query_needs_all_six_criteria(missing):
    raw = _without((SAMPLES / "valid_import_info_query.xml").read_bytes(), missing)
    assert Validator().validate(raw).problems


def test_import_status_query_takes_no_other_criteria():
    raw = (SAMPLES / "valid_import_status_query.xml").read_bytes()
    extra = raw.replace(b"</CoNo>", b"</CoNo>\n    <CoType>CERTIFICATE</CoType>")
    assert Validator().validate(extra).problems


@pytest.mark.parametrize("name", ["inbound_export_status_response.xml", "inbound_import_status_response.xml",
                                  "inbound_import_info_response.xml"])
def test_inbound_responses_are_schema_valid(name):
    result = Validator().validate((SAMPLES / name).read_bytes())
    assert result.problems == []
    assert result.entry is not None and result.entry.direction == "inbound" and result.entry.authority == "GACC"
