"""Export declaration supplement (seed 004, seed 001 ch. 9): yes/no, ';'-separated 18-digit numbers, operations."""

from pathlib import Path

import pytest

from gateway.domain.families.gacc_supplement import RULES, check, split_declaration_nos
from messages.validate import Validator

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "families" / "gacc_supplement"
H = "/ExportDeclarationSupplement/SupplementHead"
D1, D2 = "350120260001234567", "350120260001234568"
NOS = f"{H}/DeclarationNos"


def supp(op="ADD", flag="1", nos=D1, authority="GACC", cert="E263501000010001"):
    head = {"DocumentNo": "SUP-1", "Operation": op, "AplRegNo": "350100001", "CertAuthority": authority,
            "CertNo": cert}
    if flag is not None:
        head["ExportedFlag"] = flag
    if nos is not None:
        head["DeclarationNos"] = nos
    return {"SupplementHead": head}


def ids(data):
    return [(v.rule_id, v.path) for v in check(data)]


@pytest.mark.parametrize(
    "data",
    [
        supp(),
        supp(nos=f"{D1};{D2}"),
        supp(nos=f" {D1};{D2}\n"),  # surrounding whitespace of the whole field is layout
        supp(flag="0", nos=None),
        supp(flag="0", nos=""),  # an empty element is no numbers
        supp(op="ADD_AGAIN", nos=D2),
        supp(op="DELETE", flag=None, nos=None),
        supp(authority="CCPIT", cert="C263501A0001/00012"),
    ],
)
def test_accepted(data):
    assert check(data) == []


def test_exported_yes_needs_numbers():
    assert ids(supp(nos=None)) == [("SUPPLEMENT.DECL_NOS_REQUIRED", NOS)]
    assert ids(supp(nos="  ")) == [("SUPPLEMENT.DECL_NOS_REQUIRED", NOS)]


def test_exported_no_forbids_numbers():
    assert ids(supp(flag="0")) == [("SUPPLEMENT.DECL_NOS_FORBIDDEN", NOS)]


@pytest.mark.parametrize("op", ["ADD", "ADD_AGAIN"])
def test_exported_flag_required_for_adding(op):
    assert ids(supp(op=op, flag=None, nos=None)) == [("SUPPLEMENT.EXPORTED_REQUIRED", f"{H}/ExportedFlag")]


def test_missing_flag_still_reports_bad_numbers():
    assert ids(supp(flag=None, nos="123")) == [
        ("SUPPLEMENT.EXPORTED_REQUIRED", f"{H}/ExportedFlag"),
        ("SUPPLEMENT.DECL_NO_FORMAT", NOS),
    ]


@pytest.mark.parametrize("sep", ["；", ",", "，", "、", " ", "\n", "|", "/"])
def test_only_ascii_semicolon_separates(sep):
    assert ids(supp(nos=f"{D1}{sep}{D2}")) == [("SUPPLEMENT.DECL_NO_SEPARATOR", NOS)]


@pytest.mark.parametrize(("nos", "count"), [(f"{D1};;{D2}", 1), (f";{D1}", 1), (f"{D1};", 1), (";", 2)])
def test_empty_items(nos, count):
    assert ids(supp(nos=nos)) == [("SUPPLEMENT.DECL_NO_EMPTY_ITEM", NOS)] * count


@pytest.mark.parametrize(
    "bad", ["35012026000123456", "3501202600012345678", "35012026000123456A", "3501-2026-0-1234567"]
)
def test_each_item_is_18_digits(bad):
    violations = check(supp(nos=f"{D1};{bad}"))
    assert [(v.rule_id, v.path) for v in violations] == [("SUPPLEMENT.DECL_NO_FORMAT", NOS)]
    assert "item 2" in violations[0].message
    assert violations[0].field_cn == "报关单号"


def test_import_declarations_are_not_supplemented():
    assert ids(supp(nos="350120261001234567")) == [("SUPPLEMENT.DECL_NO_NOT_EXPORT", NOS)]


def test_duplicates_reported_once_per_repeat():
    violations = check(supp(nos=f"{D1};{D2};{D1};{D1}"))
    assert [v.rule_id for v in violations] == ["SUPPLEMENT.DECL_NO_DUPLICATE"] * 2
    assert "item 3" in violations[0].message and "item 4" in violations[1].message


def test_gacc_certificate_number_is_parsed_ccpit_is_not():
    assert ids(supp(cert="E263501000010")) == [("SUPPLEMENT.CERT_NO_FORMAT", f"{H}/CertNo")]
    assert ids(supp(cert="ZZ263501000010001")) == [("SUPPLEMENT.CERT_NO_FORMAT", f"{H}/CertNo")]
    assert check(supp(authority="CCPIT", cert="E263501000010")) == []


def test_add_again_adds_numbers():
    assert ids(supp(op="ADD_AGAIN", flag="0", nos=None)) == [("SUPPLEMENT.ADD_AGAIN_NEEDS_EXPORT", f"{H}/ExportedFlag")]


def test_delete_carries_no_data():
    assert ids(supp(op="DELETE", nos=None)) == [("SUPPLEMENT.DELETE_NO_DATA", f"{H}/ExportedFlag")]
    assert ids(supp(op="DELETE", flag=None)) == [("SUPPLEMENT.DELETE_NO_DATA", NOS)]
    assert ids(supp(op="DELETE", flag=None, nos="")) == [("SUPPLEMENT.DELETE_NO_DATA", NOS)]


def test_split():
    assert split_declaration_nos("") == []
    assert split_declaration_nos(f"{D1};{D2}") == [D1, D2]


@pytest.mark.parametrize("data", [{}, {"SupplementHead": "x"}, {"SupplementHead": {"ExportedFlag": None}}, []])
def test_odd_input_never_raises(data):
    check(data)


def test_rule_ids_are_documented():
    seen = {v.rule_id for d in (supp(nos=None), supp(flag="0"), supp(nos=f"{D1};;x;{D1}"), supp(op="DELETE"))
            for v in check(d)}
    assert seen <= set(RULES)


def test_inbound_receipt_sample_is_schema_valid():
    result = Validator().validate((SAMPLES / "inbound_receipt.xml").read_bytes())
    assert result.problems == []
    assert result.entry is not None and result.entry.message_type == "EXPORT_DECLARATION_SUPPLEMENT_RECEIPT"
