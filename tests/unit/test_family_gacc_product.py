"""gacc_product: the pre-review application's rules on plain data, its schema and its samples."""

from __future__ import annotations

import copy
import itertools
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from lxml import etree

from gateway.domain import product_review as pr
from gateway.domain.families import gacc_product as fam
from messages import XSD_DIR, generic
from messages.catalogue import lookup

SCHEMA = XSD_DIR / "gacc-product-v1.xsd"
NS = "urn:cogateway:gacc:product:v1"
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "families" / "gacc_product"
EXPECT = re.compile(r"<!--\s*expect:\s*(?P<rule>\S+)\s+at\s+(?P<path>/\S+)\s*-->")
XMLLINT = "/usr/bin/xmllint"
needs_xmllint = pytest.mark.skipif(shutil.which(XMLLINT) is None, reason="xmllint is not installed")
ALL = sorted(SAMPLES.glob("*.xml"))
INVALID = sorted(SAMPLES.glob("invalid_*.xml"))
CLEAN = sorted(set(ALL) - set(INVALID))


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def application(**head: str) -> dict[str, Any]:
    """A valid NEW application as the generic codec decodes it; ``head`` overrides Head fields."""
    return {
        "Head": {"DocumentNo": "D1", "ApplyType": "NEW", "ProductNo": "P1", **head},
        "Enterprise": {"Uscc": "91350100M000100Y43", "AplRegNo": "350100001", "NameCn": "厦门示范贸易有限公司"},
        "Product": {
            "HSCode": "9617001900", "NameCn": "保温杯", "NameEn": "VACUUM FLASK", "Unit": "个", "Currency": "CNY",
            "ExWorksPrice": "38.50", "FOBPrice": "41.20", "ContainsImported": "1",
            "NonOrigExWorksPct": "2.65", "NonOrigFobPct": "2.48",
            "DetailList": {"Detail": [
                {"SeqNo": "1", "HSCode": "722020", "MaterialName": "不锈钢板", "OriginCountry": "CHN",
                 "UnitPrice": "18.60", "Usage": "0.42", "OriginatingValue": "7.812", "NonOriginatingValue": "0"},
                {"SeqNo": "2", "HSCode": "390210", "MaterialName": "聚丙烯", "OriginCountry": "KOR",
                 "UnitPrice": "12.00", "Usage": "0.085", "OriginatingValue": "0", "NonOriginatingValue": "1.02"},
            ]},
        },
    }


def enumeration(schema: xmlschema.XMLSchema, type_name: str) -> set[str]:
    return set(getattr(schema.types[type_name], "enumeration", None) or [])


def rules(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v.rule_id, v.path) for v in fam.check(data)}


# --- rules on plain data -------------------------------------------------------------------------

def test_a_valid_new_application_has_no_violations() -> None:
    assert fam.check(application()) == []


def test_rules_cover_the_cost_rules_and_are_described() -> None:
    assert set(pr.COST_RULES) <= set(fam.RULES)
    assert all(text for text in fam.RULES.values())
    assert fam.FAMILY == "gacc_product"


def test_uscc_check_character() -> None:
    data = application()
    data["Enterprise"]["Uscc"] = "91350100M000100Y44"
    (v,) = fam.check(data)
    assert (v.rule_id, v.path, v.field_cn) == (
        "PRODUCT.USCC_CHECK", "/ProductPreReview/Enterprise/Uscc", "统一社会信用代码")


MATRIX = list(itertools.product(pr.ApplyType, pr.Status, pr.Audit))


@pytest.mark.parametrize(("kind", "status", "audit"), MATRIX,
                         ids=[f"{k.value}-{s.value}-{a.value}" for k, s, a in MATRIX])
def test_application_type_must_be_allowed_from_the_stated_state(kind: pr.ApplyType, status: pr.Status,
                                                                audit: pr.Audit) -> None:
    data = application(ApplyType=kind.value, CurrentStatus=status.value, CurrentAuditStatus=audit.value,
                       PreReviewNo="PR1")
    hit = ("PRODUCT.OPERATION_NOT_ALLOWED", "/ProductPreReview/Head/ApplyType") in rules(data)
    assert hit is (pr.application_path(kind, status, audit) is None)


def test_operation_messages_say_what_is_allowed() -> None:
    pending = fam.check(application(ApplyType="CHANGE", PreReviewNo="PR1", CurrentStatus="NORMAL",
                                    CurrentAuditStatus="SUBMITTED"))
    assert [v.rule_id for v in pending] == ["PRODUCT.OPERATION_NOT_ALLOWED"]
    assert "awaits review" in pending[0].message and pending[0].field_cn == "申请类型"
    (wrong,) = fam.check(application(ApplyType="RESTORE", PreReviewNo="PR1", CurrentStatus="NORMAL",
                                     CurrentAuditStatus="APPROVED"))
    assert "CHANGE, CANCEL, DELETE" in wrong.message


def test_a_new_record_without_a_stated_state_is_allowed_and_other_types_are_left_to_the_authority() -> None:
    assert rules(application()) == set()
    data = application(ApplyType="CANCEL", PreReviewNo="PR1")
    del data["Product"]
    assert rules(data) == set()


def test_half_a_state_is_reported() -> None:
    (v,) = fam.check(application(CurrentStatus="NEW"))
    assert v.rule_id == "PRODUCT.OPERATION_NOT_ALLOWED" and "both" in v.message


@pytest.mark.parametrize(("kind", "needed"), [("NEW", False), ("CHANGE", True), ("CANCEL", True),
                                              ("RESTORE", True), ("DELETE", False)])
def test_pre_review_key_for_change_cancel_restore(kind: str, needed: bool) -> None:
    hit = ("PRODUCT.PREREVIEW_NO_REQUIRED", "/ProductPreReview/Head/PreReviewNo") in rules(application(ApplyType=kind))
    assert hit is needed


@pytest.mark.parametrize(("kind", "needed"), [("NEW", True), ("CHANGE", True), ("CANCEL", False),
                                              ("RESTORE", False), ("DELETE", False)])
def test_product_body_for_new_and_change(kind: str, needed: bool) -> None:
    data = application(ApplyType=kind, PreReviewNo="PR1")
    del data["Product"]
    assert (("PRODUCT.BODY_REQUIRED", "/ProductPreReview/Product") in rules(data)) is needed


def test_cost_rules_run_on_the_product_with_document_paths() -> None:
    data = application()
    data["Product"]["FOBPrice"] = "30"
    data["Product"]["DetailList"]["Detail"][1]["NonOriginatingValue"] = "2.02"
    found = rules(data)
    assert ("PRODUCT.FOB_GE_EXWORKS", "/ProductPreReview/Product/FOBPrice") in found
    assert ("PRODUCT.LINE_VALUE", "/ProductPreReview/Product/DetailList/Detail[2]") in found
    assert ("PRODUCT.NONORIG_PCT_EXWORKS", "/ProductPreReview/Product/NonOrigExWorksPct") in found


def test_receipts_and_garbage_have_no_violations_and_never_raise() -> None:
    assert fam.check({"ReceiptId": "R1", "DocumentNo": "D1", "Status": "审核通过"}) == []
    assert fam.check({}) == []
    junk: dict[str, Any] = {"Head": {"ApplyType": "BOGUS", "CurrentStatus": "X", "CurrentAuditStatus": 3},
                            "Enterprise": "nope", "Product": {"DetailList": {"Detail": ["x", None]}}}
    assert isinstance(fam.check(junk), list)
    weird = copy.deepcopy(application(ApplyType="CHANGE", CurrentStatus="BOGUS", CurrentAuditStatus="DRAFT"))
    assert "PRODUCT.OPERATION_NOT_ALLOWED" in {v.rule_id for v in fam.check(weird)}


# --- catalogue and schema ------------------------------------------------------------------------

def test_catalogue_entries() -> None:
    out = lookup(f"{{{NS}}}ProductPreReview")
    inbound = lookup(f"{{{NS}}}ProductPreReviewReceipt")
    assert out is not None and inbound is not None
    assert (out.message_type, out.direction, out.authority, out.family, out.document_key) == (
        "GACC_PRODUCT_PREREVIEW", "outbound", "GACC", "gacc_product", "Head/DocumentNo")
    assert (inbound.message_type, inbound.direction) == ("GACC_PRODUCT_PREREVIEW_RECEIPT", "inbound")


def test_schema_compiles_with_lxml_and_xmlschema() -> None:
    etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert xmlschema.XMLSchema(str(SCHEMA), allow="local").validity == "valid"
    root = etree.parse(str(SCHEMA)).getroot()
    assert root.get("elementFormDefault") == "qualified" and root.get("targetNamespace") == NS


def test_state_enumerations_match_the_domain() -> None:
    schema = xmlschema.XMLSchema(str(SCHEMA), allow="local")
    for name, enum in (("ApplyTypeCode", pr.ApplyType), ("RecordStatusCode", pr.Status),
                       ("AuditStatusCode", pr.Audit)):
        assert enumeration(schema, name) == {e.value for e in enum}


def test_current_state_is_both_or_neither() -> None:
    text = (SAMPLES / "valid_change.xml").read_text(encoding="utf-8")
    half = text.replace("    <CurrentAuditStatus>APPROVED</CurrentAuditStatus>\n", "")
    assert not etree.XMLSchema(etree.parse(str(SCHEMA))).validate(etree.fromstring(half.encode()))


# --- samples -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", INVALID, ids=_ids(INVALID))
def test_invalid_samples_break_their_rule_at_their_path(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    match = EXPECT.fullmatch(lines[1])
    assert match, "the expect comment is the first line after the XML declaration"
    doc = generic.decode(etree.parse(str(path)).getroot())
    found = {(v.rule_id, v.path) for v in fam.check(doc.data)}
    assert (match["rule"], match["path"]) in found, found
    absent = {"PRODUCT.BODY_REQUIRED", "PRODUCT.PREREVIEW_NO_REQUIRED"}  # point where the missing element goes
    assert match["rule"] in absent or match["path"] in doc.lines


@pytest.mark.parametrize("path", CLEAN, ids=_ids(CLEAN))
def test_valid_and_inbound_samples_break_no_rule(path: Path) -> None:
    doc = generic.decode(etree.parse(str(path)).getroot())
    assert fam.check(doc.data) == []
    entry = lookup(etree.parse(str(path)).getroot().tag)
    assert entry is not None
    assert entry.direction == ("inbound" if path.name.startswith("inbound_") else "outbound")
