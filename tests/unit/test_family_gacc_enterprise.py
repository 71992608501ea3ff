"""gacc_enterprise: basic info, initial values, principals and agents on plain data; states; schema; samples."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from lxml import etree

from gateway.domain.families import gacc_enterprise as fam
from gateway.domain.families.gacc_enterprise import AgentAction, AgentRecordStatus, InfoOperation, SyncStatus
from messages import XSD_DIR, generic
from messages.catalogue import lookup

SCHEMA = XSD_DIR / "gacc-enterprise-v1.xsd"
NS = "urn:cogateway:gacc:enterprise:v1"
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "families" / "gacc_enterprise"
EXPECT = re.compile(r"<!--\s*expect:\s*(?P<rule>\S+)\s+at\s+(?P<path>/\S+)\s*-->")
XMLLINT = "/usr/bin/xmllint"
needs_xmllint = pytest.mark.skipif(shutil.which(XMLLINT) is None, reason="xmllint is not installed")
ALL = sorted(SAMPLES.glob("*.xml"))
INVALID = sorted(SAMPLES.glob("invalid_*.xml"))
CLEAN = sorted(set(ALL) - set(INVALID))
OWN = "91350100M000100Y43"
OTHER = "91350200MA2Y8K3N1M"
THIRD = "91350203MA31RX5Q78"
GOOD_ID = "350102198806123021"


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def enumeration(schema: xmlschema.XMLSchema, type_name: str) -> set[str]:
    return set(getattr(schema.types[type_name], "enumeration", None) or [])


def rules(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v.rule_id, v.path) for v in fam.check(data)}


def info(mode: str = "SELF", name_en: str | None = "XIAMEN DEMO TRADING CO., LTD.", commitment: str = "1",
         id_no: str = GOOD_ID, uscc: str = OWN) -> dict[str, Any]:
    enterprise = {"Uscc": uscc, "CustomsCode": "3501960001", "AplRegNo": "350100001", "NameCn": "厦门示范贸易有限公司",
                  "AddressCn": "厦门市湖里区", "ApplyMode": mode} | ({"NameEn": name_en} if name_en else {})
    return {"Head": {"DocumentNo": "D1", "Operation": "SYNC"}, "Enterprise": enterprise,
            "Declarant": {"Name": "林晓燕", "IdNo": id_no, "Phone": "13806012345"}, "Commitment": commitment}


def principals(*lines: dict[str, str], mode: str | None = None) -> dict[str, Any]:
    ent = {"Uscc": OWN, "AplRegNo": "350100001"} | ({"ApplyMode": mode} if mode else {})
    return {"Head": {"DocumentNo": "D2", "Operation": "SAVE"}, "Enterprise": ent,
            "PrincipalList": {"Principal": list(lines)}}


def principal(uscc: str = OTHER, **fields: str) -> dict[str, str]:
    return {"Uscc": uscc, "AplRegNo": "350200417", "NameCn": "厦门海沧精密五金有限公司", **fields}


def agents(*lines: dict[str, str], mode: str | None = "SELF") -> dict[str, Any]:
    ent = {"Uscc": OWN, "AplRegNo": "350100001"} | ({"ApplyMode": mode} if mode else {})
    return {"Head": {"DocumentNo": "D3"}, "Enterprise": ent, "AgentList": {"Agent": list(lines)}}


def agent(uscc: str = OTHER, action: str = "ADD", status: str | None = None) -> dict[str, str]:
    return {"Action": action, "Uscc": uscc, "NameCn": "厦门华贸报关代理有限公司"} | (
        {"CurrentStatus": status} if status else {})


# --- states the authority reports ----------------------------------------------------------------

SYNC_CELLS = list(itertools.product(SyncStatus, InfoOperation))
SYNC_ALLOWED = {(SyncStatus.NOT_SYNCED, InfoOperation.SYNC), (SyncStatus.SYNCED, InfoOperation.CHANGE),
                (SyncStatus.FAILED, InfoOperation.SYNC), (SyncStatus.FAILED, InfoOperation.CHANGE)}


@pytest.mark.parametrize(("status", "operation"), SYNC_CELLS, ids=[f"{s.value}-{o.value}" for s, o in SYNC_CELLS])
def test_which_basic_info_operation_each_sync_status_allows(status: SyncStatus, operation: InfoOperation) -> None:
    assert fam.info_operation_allowed(status, operation) is ((status, operation) in SYNC_ALLOWED)


def test_business_needs_sync_success_and_names_follow_the_manual() -> None:
    assert [s for s in SyncStatus if fam.business_allowed(s)] == [SyncStatus.SYNCED]
    assert [s.cn for s in SyncStatus] == ["未同步", "同步中", "同步成功", "同步失败"]


AGENT_CELLS = list(itertools.product(AgentRecordStatus, AgentAction))
AGENT_ALLOWED = {(AgentRecordStatus.DRAFT, AgentAction.ADD), (AgentRecordStatus.ACCEPTED, AgentAction.DELETE),
                 (AgentRecordStatus.DELETE_PENDING, AgentAction.DELETE)}


@pytest.mark.parametrize(("status", "action"), AGENT_CELLS, ids=[f"{s.value}-{a.value}" for s, a in AGENT_CELLS])
def test_agent_line_actions_per_status(status: AgentRecordStatus, action: AgentAction) -> None:
    allowed = (status, action) in AGENT_ALLOWED
    assert (action in fam.AGENT_ACTIONS[status]) is allowed
    hit = ("AGENT.ACTION_NOT_ALLOWED", "/AgentRecords/AgentList/Agent[1]/Action") in rules(
        agents(agent(action=action.value, status=status.value)))
    assert hit is not allowed


# --- enterprise basic info -----------------------------------------------------------------------

def test_a_complete_basic_info_passes() -> None:
    assert fam.check(info()) == []


def test_commitment_is_required_to_submit() -> None:
    (v,) = fam.check(info(commitment="0"))
    assert (v.rule_id, v.path, v.field_cn) == ("ENTERPRISE.COMMITMENT_REQUIRED", "/EnterpriseInfo/Commitment",
                                               "申请人承诺")
    assert rules(info(commitment="")) == {("ENTERPRISE.COMMITMENT_REQUIRED", "/EnterpriseInfo/Commitment")}


@pytest.mark.parametrize(("mode", "needed"), [("SELF", True), ("AGENT", True), ("NONE", False)])
def test_english_name_unless_no_certificates(mode: str, needed: bool) -> None:
    hit = ("ENTERPRISE.ENGLISH_NAME_REQUIRED", "/EnterpriseInfo/Enterprise/NameEn") in rules(info(mode, name_en=None))
    assert hit is needed
    assert rules(info(mode)) == set()


def test_uscc_and_declarant_id_check_characters() -> None:
    assert rules(info(uscc="91350100M000100Y44", id_no="350102198806123022")) == {
        ("ENTERPRISE.USCC_CHECK", "/EnterpriseInfo/Enterprise/Uscc"),
        ("ENTERPRISE.DECLARANT_ID_CHECK", "/EnterpriseInfo/Declarant/IdNo")}
    assert rules(info(id_no="11010519491231002X")) == set()


# --- initial values ------------------------------------------------------------------------------

@pytest.mark.parametrize(("mode", "ok"), [("SELF", True), ("AGENT", False), ("NONE", False), (None, True)])
def test_initial_values_are_for_self_applying_enterprises(mode: str | None, ok: bool) -> None:
    ent = {"Uscc": OWN, "AplRegNo": "350100001"} | ({"ApplyMode": mode} if mode else {})
    data = {"Head": {"DocumentNo": "D4"}, "Enterprise": ent, "InitialValues": {"DeclarantIdNo": GOOD_ID}}
    assert (rules(data) == set()) is ok
    if not ok:
        (v,) = fam.check(data)
        assert (v.rule_id, v.path, v.field_cn) == ("INITIAL_VALUES.SELF_MODE_ONLY",
                                                   "/CertInitialValues/Enterprise/ApplyMode", "申领模式")


def test_initial_values_check_the_declarant_id() -> None:
    data = {"Head": {}, "Enterprise": {"Uscc": OWN}, "InitialValues": {"DeclarantIdNo": "350102198806123022"}}
    assert rules(data) == {("ENTERPRISE.DECLARANT_ID_CHECK", "/CertInitialValues/InitialValues/DeclarantIdNo")}


# --- principals ----------------------------------------------------------------------------------

P = "/PrincipalRecords/PrincipalList/Principal"


def test_valid_principals_pass() -> None:
    data = principals(principal(OrganizationCode=OTHER[8:17], ValidFrom="2026-01-01", ValidTo="2026-01-01",
                                DeclarantIdNo=GOOD_ID), principal(THIRD), mode="AGENT")
    assert fam.check(data) == []


@pytest.mark.parametrize(("mode", "ok"), [("AGENT", True), ("SELF", False), ("NONE", False), (None, True)])
def test_principals_are_kept_by_agents(mode: str | None, ok: bool) -> None:
    hit = ("PRINCIPAL.AGENT_MODE_ONLY", "/PrincipalRecords/Enterprise/ApplyMode") in rules(
        principals(principal(), mode=mode))
    assert hit is not ok


def test_principal_lines() -> None:
    data = principals(principal(OWN), principal(), principal(), principal(THIRD, OrganizationCode=OTHER[8:17]),
                      principal("91350100M000100Y44", ValidFrom="2026-02-01", ValidTo="2026-01-31",
                                DeclarantIdNo="350102198806123022"))
    assert rules(data) == {
        ("PRINCIPAL.IS_SELF", f"{P}[1]/Uscc"),
        ("PRINCIPAL.DUPLICATE", f"{P}[3]/Uscc"),
        ("PRINCIPAL.ORG_CODE_MISMATCH", f"{P}[4]/OrganizationCode"),
        ("ENTERPRISE.USCC_CHECK", f"{P}[5]/Uscc"),
        ("PRINCIPAL.VALIDITY_ORDER", f"{P}[5]/ValidTo"),
        ("ENTERPRISE.DECLARANT_ID_CHECK", f"{P}[5]/DeclarantIdNo"),
    }
    assert {v.field_cn for v in fam.check(data) if v.path.endswith("/Uscc")} == {"主体识别码"}


# --- agents --------------------------------------------------------------------------------------

A = "/AgentRecords/AgentList/Agent"


def test_valid_agents_pass() -> None:
    assert fam.check(agents(agent(), agent(THIRD, "DELETE", "ACCEPTED"))) == []
    assert fam.check(agents(agent(), mode=None)) == []


@pytest.mark.parametrize(("mode", "ok"), [("SELF", True), ("AGENT", False), ("NONE", False)])
def test_agents_are_kept_by_self_applying_principals(mode: str, ok: bool) -> None:
    hit = ("AGENT.SELF_MODE_ONLY", "/AgentRecords/Enterprise/ApplyMode") in rules(agents(agent(), mode=mode))
    assert hit is not ok


def test_agent_lines() -> None:
    data = agents(agent(OWN), agent(), agent(OTHER, "DELETE", "ACCEPTED"), agent("91350100M000100Y44"))
    assert rules(data) == {("AGENT.IS_SELF", f"{A}[1]/Uscc"), ("AGENT.DUPLICATE", f"{A}[3]/Uscc"),
                           ("ENTERPRISE.USCC_CHECK", f"{A}[4]/Uscc")}


def test_agent_action_message_says_what_is_allowed() -> None:
    (v,) = fam.check(agents(agent(action="DELETE", status="SUBMITTED")))
    assert "awaits customs" in v.message and v.field_cn == "操作"


# --- robustness ----------------------------------------------------------------------------------

def test_receipts_and_garbage_have_no_violations_and_never_raise() -> None:
    assert fam.check({"ReceiptId": "R1", "SyncStatus": "SYNCED"}) == []
    assert fam.check({}) == []
    junk: dict[str, Any] = {"Commitment": None, "Enterprise": "x", "Declarant": []}
    assert {v.rule_id for v in fam.check(junk)} == {"ENTERPRISE.COMMITMENT_REQUIRED",
                                                   "ENTERPRISE.ENGLISH_NAME_REQUIRED"}
    assert fam.check({"PrincipalList": {"Principal": [None, "x", {"Uscc": 5}]}, "Enterprise": {}}) == []
    assert fam.check({"AgentList": {"Agent": [{"Action": "BOGUS", "CurrentStatus": "BOGUS"}]}}) == []


# --- catalogue and schema ------------------------------------------------------------------------

@pytest.mark.parametrize(("root", "message_type", "direction"), [
    ("EnterpriseInfo", "GACC_ENTERPRISE_INFO", "outbound"),
    ("CertInitialValues", "GACC_CERT_INITIAL_VALUES", "outbound"),
    ("PrincipalRecords", "GACC_PRINCIPAL_RECORDS", "outbound"),
    ("AgentRecords", "GACC_AGENT_RECORDS", "outbound"),
    ("EnterpriseSyncReceipt", "GACC_ENTERPRISE_SYNC_RECEIPT", "inbound"),
    ("AgentRecordReceipt", "GACC_AGENT_RECORD_RECEIPT", "inbound"),
])
def test_catalogue_entries(root: str, message_type: str, direction: str) -> None:
    entry = lookup(f"{{{NS}}}{root}")
    assert entry is not None
    assert (entry.message_type, entry.direction, entry.authority, entry.family) == (
        message_type, direction, "GACC", "gacc_enterprise")
    assert (entry.document_key == "Head/DocumentNo") is (direction == "outbound")


def test_schema_compiles_with_lxml_and_xmlschema() -> None:
    etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert xmlschema.XMLSchema(str(SCHEMA), allow="local").validity == "valid"
    root = etree.parse(str(SCHEMA)).getroot()
    assert root.get("elementFormDefault") == "qualified" and root.get("targetNamespace") == NS


def test_enumerations_match_the_domain() -> None:
    schema = xmlschema.XMLSchema(str(SCHEMA), allow="local")
    for name, enum in (("SyncStatusCode", SyncStatus), ("InfoOperationCode", InfoOperation),
                       ("AgentRecordStatusCode", AgentRecordStatus), ("AgentActionCode", AgentAction)):
        assert enumeration(schema, name) == {e.value for e in enum}
    assert enumeration(schema, "ApplyModeCode") == {"SELF", "AGENT", "NONE"}


@pytest.mark.parametrize(("old", "new"), [
    ("<CustomsCode>3501960001</CustomsCode>", "<CustomsCode>350196001</CustomsCode>"),  # 9 characters
    ("<AplRegNo>350100001</AplRegNo>", "<AplRegNo>35010000A</AplRegNo>"),
    ("<ApplyMode>SELF</ApplyMode>", "<ApplyMode>BOTH</ApplyMode>"),
    ("<Commitment>1</Commitment>", ""),
])
def test_formats_are_the_schemas_job(old: str, new: str) -> None:
    text = (SAMPLES / "valid_enterprise_info_sync.xml").read_text(encoding="utf-8")
    assert old in text
    assert not etree.XMLSchema(etree.parse(str(SCHEMA))).validate(etree.fromstring(text.replace(old, new).encode()))


def test_sync_status_is_not_part_of_the_outbound_document() -> None:
    schema = xmlschema.XMLSchema(str(SCHEMA), allow="local")
    names = {e.local_name for e in schema.elements["EnterpriseInfo"].iter()}
    assert "SyncStatus" not in names and "Commitment" in names


# --- samples -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", INVALID, ids=_ids(INVALID))
def test_invalid_samples_break_their_rule_at_their_path(path: Path) -> None:
    match = EXPECT.fullmatch(path.read_text(encoding="utf-8").splitlines()[1])
    assert match, "the expect comment is the first line after the XML declaration"
    doc = generic.decode(etree.parse(str(path)).getroot())
    assert (match["rule"], match["path"]) in {(v.rule_id, v.path) for v in fam.check(doc.data)}
    assert match["rule"] == "ENTERPRISE.ENGLISH_NAME_REQUIRED" or match["path"] in doc.lines


@pytest.mark.parametrize("path", CLEAN, ids=_ids(CLEAN))
def test_valid_and_inbound_samples_break_no_rule(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    assert fam.check(generic.decode(root).data) == []
    entry = lookup(root.tag)
    assert entry is not None
    assert entry.direction == ("inbound" if path.name.startswith("inbound_") else "outbound")
