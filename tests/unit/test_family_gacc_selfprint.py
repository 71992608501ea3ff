"""Self-print (seed 003 part 2): seal sizes and validity, signatures, agent authorisation, print exceptions."""

from decimal import Decimal
from pathlib import Path

import pytest

from gateway.domain.families.gacc_selfprint import (
    REASON_ACTION,
    RULES,
    SELF_PRINT_TYPES,
    check,
    seal_size_violations,
)
from gateway.domain.numbering import TYPE_CODES
from messages.validate import Validator

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "families" / "gacc_selfprint"
USCC = "91350100M000100Y43"
S = "/SealSignatureAuthorisation/Seal"
A = "/AgentPrintAuthorisation/AgentAuthorisationHead"
P = "/PrintExceptionRequest/PrintExceptionHead"


def seal_auth(shape="ROUND", w="42", h="42", vf="2026-01-01", vt="2028-12-31", idno="11010519491231002X", uscc=USCC):
    return {
        "AuthorisationHead": {"DocumentNo": "SP-1", "Uscc": uscc, "AplRegNo": "350100001"},
        "Seal": {"SealName": "产地证专用章", "SealType": "COMPANY", "SealShape": shape, "OperatorName": "Chen",
                 "WidthMm": w, "HeightMm": h, "ValidFrom": vf, "ValidTo": vt, "ImageJpeg": "AAAA"},
        "Signature": {"DeclarantName": "Lin", "DeclarantIdNo": idno, "SignatureName": "Lin",
                      "WidthMm": "35", "HeightMm": "21", "ImageJpeg": "AAAA"},
    }


def agent(org="MA2Y3K8L5", validity=("2026-03-01", "2027-02-28"), uscc=USCC):
    head = {"DocumentNo": "SP-2", "Uscc": uscc, "AgentName": "Agent", "AgentOrgCode": org, "Authorised": "1"}
    if validity:
        head["ValidFrom"], head["ValidTo"] = validity
    return {"AgentAuthorisationHead": head}


def exc(cert="A263501000010003", reason="PAPER_JAM", action="REPRINT", detail=None):
    head = {"DocumentNo": "SP-3", "Uscc": USCC, "CertNo": cert, "Reason": reason, "Action": action}
    if detail is not None:
        head["ProblemDetail"] = detail
    return {"PrintExceptionHead": head}


def ids(data):
    return [(v.rule_id, v.path) for v in check(data)]


@pytest.mark.parametrize(
    ("shape", "w", "h"),
    [("ROUND", "45", "45"), ("ROUND", "38.5", "38.5"), ("RECTANGLE", "55", "40"), ("RECTANGLE", "40", "55"),
     ("OVAL", "55", "45"), ("OVAL", "45", "55")],
)
def test_seal_sizes_at_the_limits_are_fine(shape, w, h):
    assert check(seal_auth(shape=shape, w=w, h=h)) == []


@pytest.mark.parametrize(
    ("shape", "w", "h", "expected"),
    [
        ("ROUND", "45.1", "40", [("SEAL.SIZE_ROUND", f"{S}/WidthMm")]),
        ("ROUND", "40", "46", [("SEAL.SIZE_ROUND", f"{S}/HeightMm")]),
        ("ROUND", "50", "50", [("SEAL.SIZE_ROUND", f"{S}/WidthMm"), ("SEAL.SIZE_ROUND", f"{S}/HeightMm")]),
        ("RECTANGLE", "56", "30", [("SEAL.SIZE_RECTANGLE", f"{S}/WidthMm")]),
        ("RECTANGLE", "50", "41", [("SEAL.SIZE_RECTANGLE", f"{S}/HeightMm")]),
        ("RECTANGLE", "41", "50", [("SEAL.SIZE_RECTANGLE", f"{S}/WidthMm")]),  # the shorter side is the width
        ("RECTANGLE", "45", "45", [("SEAL.SIZE_RECTANGLE", f"{S}/HeightMm")]),
        ("OVAL", "45.5", "55", [("SEAL.SIZE_OVAL", f"{S}/WidthMm")]),
        ("OVAL", "40", "55.5", [("SEAL.SIZE_OVAL", f"{S}/HeightMm")]),
    ],
)
def test_seal_size_limits(shape, w, h, expected):
    assert ids(seal_auth(shape=shape, w=w, h=h)) == expected


def test_unknown_shape_has_no_limits():
    assert seal_size_violations("STAR", Decimal(99), Decimal(99), S) == []


def test_seal_validity_order():
    assert check(seal_auth(vf="2026-05-01", vt="2026-05-01")) == []
    assert ids(seal_auth(vf="2026-05-02", vt="2026-05-01")) == [("SEAL.VALIDITY_ORDER", f"{S}/ValidTo")]


def test_declarant_id_number_check_character():
    assert ids(seal_auth(idno="110105194912310021")) == [
        ("SIGNATURE.ID_NUMBER_CHECK", "/SealSignatureAuthorisation/Signature/DeclarantIdNo")
    ]


def test_uscc_check_character():
    assert ids(seal_auth(uscc="91350100M000100Y44")) == [
        ("SELFPRINT.USCC_CHECK", "/SealSignatureAuthorisation/AuthorisationHead/Uscc")
    ]
    assert ids(agent(uscc="91350100M000100Y44")) == [("SELFPRINT.USCC_CHECK", f"{A}/Uscc")]


def test_agent_authorisation():
    assert check(agent()) == []
    assert check(agent(validity=None)) == []
    assert ids(agent(org="MA2Y3K8L6")) == [("AGENTPRINT.ORG_CODE_CHECK", f"{A}/AgentOrgCode")]
    assert ids(agent(org="M000100Y4")) == [("AGENTPRINT.NOT_SELF", f"{A}/AgentOrgCode")]
    assert ids(agent(validity=("2026-03-01", "2026-02-28"))) == [("AGENTPRINT.VALIDITY_ORDER", f"{A}/ValidTo")]


def test_fifteen_self_print_types_all_real_gacc_types():
    assert len(SELF_PRINT_TYPES) == 15
    assert set(SELF_PRINT_TYPES) <= set(TYPE_CODES)
    assert not {"E", "RC", "G"} & set(SELF_PRINT_TYPES)


@pytest.mark.parametrize("cert_type", sorted(SELF_PRINT_TYPES))
def test_every_eligible_type_may_request(cert_type):
    assert check(exc(cert=f"{cert_type}263501000010003")) == []


@pytest.mark.parametrize("cert_type", sorted(set(TYPE_CODES) - set(SELF_PRINT_TYPES)))
def test_other_types_are_not_eligible(cert_type):
    assert ids(exc(cert=f"{cert_type}263501000010003")) == [("PRINTEXC.TYPE_NOT_ELIGIBLE", f"{P}/CertNo")]


def test_certificate_number_format():
    assert ids(exc(cert="A2635010000100")) == [("PRINTEXC.CERT_NO_FORMAT", f"{P}/CertNo")]


@pytest.mark.parametrize(("reason", "action"), sorted(REASON_ACTION.items()))
def test_reason_decides_the_action(reason, action):
    detail = "box 7 truncated" if action == "NEW_LAYOUT" else None
    assert check(exc(reason=reason, action=action, detail=detail)) == []
    other = "REPRINT" if action == "NEW_LAYOUT" else "NEW_LAYOUT"
    assert ("PRINTEXC.ACTION_MISMATCH", f"{P}/Action") in ids(exc(reason=reason, action=other, detail=detail))


def test_hardware_reasons_reprint_content_reasons_need_a_new_layout():
    assert {r for r, a in REASON_ACTION.items() if a == "REPRINT"} == {
        "POWER_LOSS", "NO_PAPER", "PAPER_JAM", "LOW_TONER", "DEVICE_FAULT"}
    assert {r for r, a in REASON_ACTION.items() if a == "NEW_LAYOUT"} == {"CONTENT_MISSING", "CONTENT_WRONG"}


@pytest.mark.parametrize("detail", [None, "", "   "])
def test_content_problems_need_details(detail):
    assert ids(exc(reason="CONTENT_WRONG", action="NEW_LAYOUT", detail=detail)) == [
        ("PRINTEXC.DETAIL_REQUIRED", f"{P}/ProblemDetail")
    ]


@pytest.mark.parametrize("data", [{}, {"Seal": {}}, {"AuthorisationHead": None},
                                  {"AgentAuthorisationHead": {"Uscc": 5}}, {"PrintExceptionHead": {}}, []])
def test_odd_input_never_raises(data):
    check(data)


def test_violations_use_documented_ids_and_chinese_names():
    data = [seal_auth(shape="OVAL", w="60", h="60", vf="2027-01-01", vt="2026-01-01", idno="110105194912310021"),
            agent(org="M000100Y4"), exc(reason="CONTENT_MISSING", action="REPRINT")]
    for d in data:
        for v in check(d):
            assert v.rule_id in RULES
            assert v.field_cn


@pytest.mark.parametrize("name", ["inbound_authorisation_receipt.xml", "inbound_layout_notice.xml"])
def test_inbound_samples_are_schema_valid(name):
    result = Validator().validate((SAMPLES / name).read_bytes())
    assert result.problems == []
    assert result.entry is not None and result.entry.direction == "inbound"


def test_seal_name_longer_than_25_characters_is_a_schema_error():
    raw = (SAMPLES / "valid_seal_signature_round.xml").read_bytes()
    long_name = ("厦" * 26).encode()
    bad = raw.replace("厦门示范贸易有限公司产地证专用章".encode(), long_name)
    assert bad != raw
    problems = Validator().validate(bad).problems
    assert [p.path for p in problems] == [f"{S}/SealName"]
