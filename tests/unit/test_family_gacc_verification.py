"""gacc_verification: the response's rules on plain data, record states, schema and samples."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from lxml import etree

from gateway.domain import product_review as pr
from gateway.domain.families import gacc_verification as fam
from gateway.domain.families.gacc_verification import NotProcessable, VerificationStatus
from messages import XSD_DIR, generic
from messages.catalogue import lookup

SCHEMA = XSD_DIR / "gacc-verification-v1.xsd"
NS = "urn:cogateway:gacc:verification:v1"
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "families" / "gacc_verification"
EXPECT = re.compile(r"<!--\s*expect:\s*(?P<rule>\S+)\s+at\s+(?P<path>/\S+)\s*-->")
XMLLINT = "/usr/bin/xmllint"
needs_xmllint = pytest.mark.skipif(shutil.which(XMLLINT) is None, reason="xmllint is not installed")
ALL = sorted(SAMPLES.glob("*.xml"))
INVALID = sorted(SAMPLES.glob("invalid_*.xml"))
CLEAN = sorted(set(ALL) - set(INVALID))
R = "/VerificationResponse"


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def product(key: str = "PR1", **fields: Any) -> dict[str, Any]:
    return {
        "PreReviewNo": key, "HSCode": "961700", "NameCn": "保温杯", "NameEn": "FLASK", "Unit": "个",
        "Currency": "CNY", "ExWorksPrice": "100", "FOBPrice": "110", "ContainsImported": "1",
        "DetailList": {"Detail": [{"SeqNo": "1", "UnitPrice": "10", "Usage": "2", "OriginatingValue": "15",
                                   "NonOriginatingValue": "5"}]},
        **fields,
    }


def response(status: str | None = "PENDING", required: list[tuple[str, str]] | None = None,
             attached: list[tuple[str, str, str]] | None = None,
             products: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A response as the generic codec decodes it; required = (type, product), attached = (type, name, product)."""
    head = {"DocumentNo": "D1", "RecordNo": "HC1"} | ({"CurrentStatus": status} if status else {})
    data: dict[str, Any] = {"Head": head, "Enterprise": {"Uscc": "91350100M000100Y43", "AplRegNo": "350100001",
                                                         "NameCn": "厦门示范贸易有限公司"}}
    required = [("CGFP", ""), ("CBHS", "PR1")] if required is None else required
    attached = [("CGFP", "a.pdf", ""), ("CBHS", "b.xlsx", "PR1")] if attached is None else attached
    if required:
        data["RequiredAttachmentList"] = {"RequiredAttachment": [
            {"FileType": t} | ({"PreReviewNo": p} if p else {}) for t, p in required]}
    if attached:
        data["AttachmentList"] = {"Attachment": [
            {"FileType": t, "FileName": n} | ({"PreReviewNo": p} if p else {}) for t, n, p in attached]}
    products = [product()] if products is None else products
    if products:
        data["ProductList"] = {"Product": products}
    return data


def enumeration(schema: xmlschema.XMLSchema, type_name: str) -> set[str]:
    return set(getattr(schema.types[type_name], "enumeration", None) or [])


def rules(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v.rule_id, v.path) for v in fam.check(data)}


# --- record states -------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["PENDING", "RETURNED", VerificationStatus.PENDING])
def test_submitting_a_processable_record_makes_it_in_progress(status: str) -> None:
    assert fam.after_submit(status) is VerificationStatus.IN_PROGRESS


@pytest.mark.parametrize("status", ["IN_PROGRESS", "DONE", ""])
def test_other_states_cannot_be_processed(status: str) -> None:
    with pytest.raises(NotProcessable):
        fam.after_submit(status)


def test_status_names_follow_the_manual() -> None:
    assert [s.cn for s in VerificationStatus] == ["待核查", "退回核查", "核查中"]
    assert {s.cn for s in fam.PROCESSABLE} == {"待核查", "退回核查"}


# --- rules on plain data -------------------------------------------------------------------------

def test_a_complete_response_passes() -> None:
    assert fam.check(response()) == []


def test_rules_include_the_shared_cost_rules() -> None:
    assert set(pr.COST_RULES) <= set(fam.RULES)
    assert fam.FAMILY == "gacc_verification"


def test_uscc_check_on_the_response_and_the_inbound_record() -> None:
    data = response()
    data["Enterprise"]["Uscc"] = "91350100M000100Y44"
    assert rules(data) == {("VERIFICATION.USCC_CHECK", f"{R}/Enterprise/Uscc")}
    record = {"Record": {"RecordNo": "HC1", "Status": "PENDING"}, "Enterprise": {"Uscc": "91350100M000100Y44"}}
    assert rules(record) == {("VERIFICATION.USCC_CHECK", "/VerificationRecord/Enterprise/Uscc")}


@pytest.mark.parametrize(("status", "ok"), [("PENDING", True), ("RETURNED", True), ("IN_PROGRESS", False),
                                            (None, True)])
def test_only_pending_or_returned_records_are_answered(status: str | None, ok: bool) -> None:
    hit = ("VERIFICATION.STATUS_NOT_PROCESSABLE", f"{R}/Head/CurrentStatus") in rules(response(status))
    assert hit is not ok


def test_every_required_attachment_type_needs_a_file() -> None:
    data = response(required=[("CGFP", ""), ("SCGY", ""), ("CBHS", "PR1")], attached=[("CGFP", "a.pdf", "")])
    assert rules(data) == {
        ("VERIFICATION.REQUIRED_ATTACHMENT_MISSING", f"{R}/RequiredAttachmentList/RequiredAttachment[2]"),
        ("VERIFICATION.REQUIRED_ATTACHMENT_MISSING", f"{R}/RequiredAttachmentList/RequiredAttachment[3]"),
    }


def test_a_product_attachment_must_name_its_product() -> None:
    # the cost sheet is there, but for another product (or for none)
    for product_no in ("PR2", ""):
        attached = [("CGFP", "a.pdf", ""), ("CBHS", "b.xlsx", product_no)]
        assert rules(response(attached=attached)) == {
            ("VERIFICATION.REQUIRED_ATTACHMENT_MISSING", f"{R}/RequiredAttachmentList/RequiredAttachment[2]")}


def test_several_files_of_one_type_are_fine_but_not_two_with_one_name() -> None:
    many = [("CGFP", "a.pdf", ""), ("CGFP", "a2.pdf", ""), ("CBHS", "b.xlsx", "PR1")]
    assert rules(response(attached=many)) == set()
    same = [("CGFP", "a.pdf", ""), ("CGFP", "a.pdf", ""), ("CBHS", "b.xlsx", "PR1")]
    (v,) = fam.check(response(attached=same))
    assert (v.rule_id, v.path, v.field_cn) == ("VERIFICATION.ATTACHMENT_NAME_DUPLICATE",
                                               f"{R}/AttachmentList/Attachment[2]/FileName", "文件名称")


def test_no_requirements_and_no_attachments_is_fine() -> None:
    assert rules(response(required=[], attached=[], products=[])) == set()


def test_a_product_is_given_once() -> None:
    assert rules(response(products=[product(), product()])) == {
        ("VERIFICATION.PRODUCT_DUPLICATE", f"{R}/ProductList/Product[2]/PreReviewNo")}


def test_cost_rules_apply_to_each_product_with_its_path() -> None:
    bad = product("PR2", FOBPrice="90", ContainsImported="0")
    found = rules(response(products=[product(), bad]))
    assert found == {("PRODUCT.FOB_GE_EXWORKS", f"{R}/ProductList/Product[2]/FOBPrice"),
                     ("PRODUCT.NOT_IMPORTED_NONORIG_ZERO", f"{R}/ProductList/Product[2]/ContainsImported")}


def test_receipts_and_garbage_have_no_violations_and_never_raise() -> None:
    assert fam.check({"ReceiptId": "R1", "RecordNo": "HC1", "StatusCode": "IN_PROGRESS"}) == []
    assert fam.check({}) == []
    junk: dict[str, Any] = {"Head": {"CurrentStatus": 7}, "Enterprise": [], "RequiredAttachmentList": "x",
                            "AttachmentList": {"Attachment": "nope"}, "ProductList": {"Product": [None, "x"]}}
    assert isinstance(fam.check(junk), list)


# --- catalogue and schema ------------------------------------------------------------------------

@pytest.mark.parametrize(("root", "message_type", "direction"), [
    ("VerificationRecord", "GACC_VERIFICATION_RECORD", "inbound"),
    ("VerificationResponse", "GACC_VERIFICATION_RESPONSE", "outbound"),
    ("VerificationReceipt", "GACC_VERIFICATION_RECEIPT", "inbound"),
    ("VerificationFile", "GACC_VERIFICATION_FILE", "outbound"),
])
def test_catalogue_entries(root: str, message_type: str, direction: str) -> None:
    entry = lookup(f"{{{NS}}}{root}")
    assert entry is not None
    assert (entry.message_type, entry.direction, entry.authority, entry.family) == (
        message_type, direction, "GACC", "gacc_verification")
    assert bool(entry.document_key) is (direction == "outbound")


def test_schema_compiles_with_lxml_and_xmlschema() -> None:
    etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert xmlschema.XMLSchema(str(SCHEMA), allow="local").validity == "valid"
    root = etree.parse(str(SCHEMA)).getroot()
    assert root.get("elementFormDefault") == "qualified" and root.get("targetNamespace") == NS


def test_status_enumerations_match_the_domain() -> None:
    schema = xmlschema.XMLSchema(str(SCHEMA), allow="local")
    assert enumeration(schema, "VerificationStatusCode") == {s.value for s in VerificationStatus}
    assert enumeration(schema, "ProcessableStatusCode") == {s.value for s in fam.PROCESSABLE}


def test_an_inbound_record_in_progress_is_not_schema_valid() -> None:
    text = (SAMPLES / "inbound_record_pending.xml").read_text(encoding="utf-8")
    bad = text.replace("<Status>PENDING</Status>", "<Status>IN_PROGRESS</Status>")
    assert not etree.XMLSchema(etree.parse(str(SCHEMA))).validate(etree.fromstring(bad.encode()))


# --- samples -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", INVALID, ids=_ids(INVALID))
def test_invalid_samples_break_their_rule_at_their_path(path: Path) -> None:
    match = EXPECT.fullmatch(path.read_text(encoding="utf-8").splitlines()[1])
    assert match, "the expect comment is the first line after the XML declaration"
    doc = generic.decode(etree.parse(str(path)).getroot())
    assert (match["rule"], match["path"]) in {(v.rule_id, v.path) for v in fam.check(doc.data)}
    assert match["path"] in doc.lines


@pytest.mark.parametrize("path", CLEAN, ids=_ids(CLEAN))
def test_valid_and_inbound_samples_break_no_rule(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    assert fam.check(generic.decode(root).data) == []
    entry = lookup(root.tag)
    assert entry is not None
    assert entry.direction == ("inbound" if path.name.startswith("inbound_") else "outbound")
