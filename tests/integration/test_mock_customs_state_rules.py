"""Mock customs: every message gets an answer, and state-dependent rules hold when several messages are
reviewed before any decision is announced (one tick, or a delayed decision). Regression tests for the
review of the per-family handlers."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from messages import envelope
from mock_customs.authority import Authority, StageDelays
from mock_customs.handlers.base import SYNC, SYNCED
from mock_customs.http_admin import AdminApi, AdminError
from mock_customs.wire import Intake
from tests.integration import test_mock_customs_families as families
from tests.integration.test_mock_customs_families import ENTERPRISE, FAMILIES, Bench

bench = families.bench  # the same fixture: an in-process registry with GACC and CCPIT

E_CERT = "E263501000010001"
C_CERT = "C263501000010007"


def document(family: str, name: str, *replacements: tuple[str, str]) -> str:
    text = (FAMILIES / family / f"{name}.xml").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    return text


def drop(bench: Bench, authority: str, text: str, message_type: str) -> str:
    """Put one signed envelope in the inbound mailbox without ticking."""
    mid = uuid.uuid4().hex
    head = envelope.EnvelopeHead(message_id=mid, message_type=message_type, sender_id=ENTERPRISE,
                                 receiver_id=authority, send_time=datetime.now(UTC).replace(microsecond=0))
    signed = bench.keys.signer(ENTERPRISE).sign(envelope.wrap(head, etree.fromstring(text.encode())))
    (bench.authorities[authority].inbound / f"{mid}.xml").write_bytes(envelope.to_bytes(signed))
    return mid


def observed(bench: Bench, authority: str, message_id: str) -> dict[str, Any]:
    found = bench.registry.observation(authority, message_id)
    assert found is not None
    return found.public()


def rules(o: dict[str, Any]) -> list[str]:
    return [r["rule_id"] for r in o["reasons"]]


def both_in_one_tick(bench: Bench, authority: str, message_type: str, first: str,
                     second: str) -> tuple[dict[str, Any], dict[str, Any]]:
    a = drop(bench, authority, first, message_type)
    b = drop(bench, authority, second, message_type)
    bench.authorities[authority].tick()
    return observed(bench, authority, a), observed(bench, authority, b)


def seed(bench: Bench, authority: str = "GACC") -> None:
    now = datetime.now(UTC)
    bench.registry.put_record(authority, ENTERPRISE, SYNC, "sync", SYNCED, {}, now)


def seed_blank_forms(bench: Bench, apply_mode: str | None = None) -> None:
    seed(bench)
    now = datetime.now(UTC)
    bench.registry.set_certificate("GACC", E_CERT, "m" * 32, ENTERPRISE, "APPROVED", now)
    data: dict[str, Any] = {"ranges": [{"FormType": "E", "StartSerial": "2600012001", "EndSerial": "2600012010",
                                        "Count": "10"}]}
    if apply_mode:
        data["ApplyMode"] = apply_mode
    bench.registry.put_record("GACC", ENTERPRISE, "blank_allocation", "ALLOC-1", "ALLOCATED", data, now)


# M1: a message is always answered -------------------------------------------------------------------

class Exploding:
    def plan(self, authority: Authority, intake: Intake, received_at: datetime) -> Any:
        raise KeyError("FileType")


def test_a_handler_that_crashes_still_answers_with_an_import_failure(bench: Bench, tmp_path: Path) -> None:
    gacc = Authority("GACC", tmp_path / "crash", bench.registry, bench.keys.signer("GACC"),
                     handlers={"BLANK_FORM_WRITEOFF": Exploding()})
    bench.authorities["GACC"] = gacc
    mid = drop(bench, "GACC", document("gacc_blankform", "valid_write_off_serials"), "BLANK_FORM_WRITEOFF")
    result = gacc.tick()
    assert result.emitted == [f"GACC-{mid}-1.xml"]
    o = observed(bench, "GACC", mid)
    assert o["decision"] == "FAILED" and rules(o) == ["AUTH.INTERNAL"]
    assert "BLANK_FORM_WRITEOFF" in o["reasons"][0]["message"]
    [receipt] = o["receipts"]
    assert receipt["kind"] == "ImportResponse" and receipt["fields"]["result_code"] == "1"


def test_an_import_co_seeded_with_only_its_status_is_answered_returned(bench: Bench) -> None:
    seed(bench)
    xml = document("co_status", "valid_import_info_query")
    root = etree.fromstring(xml.encode())
    ns = {"c": etree.QName(root).namespace}
    key = "|".join(root.findtext(f"c:ImportInfoCriteria/c:{n}", namespaces=ns) or ""
                   for n in ("AgreementCode", "OriginCountryCode", "CoNo"))
    bench.registry.put_record("GACC", "*", "import_co", key, "已签发 未使用", {}, datetime.now(UTC))
    mid = drop(bench, "GACC", xml, "IMPORT_CO_INFO_QUERY")
    bench.authorities["GACC"].tick()
    o = observed(bench, "GACC", mid)
    assert o["decision"] == "RETURNED" and "AUTH.CO_STATUS.IMPORT_CO_INCOMPLETE" in rules(o)
    assert [r["kind"] for r in o["receipts"]] == ["ImportResponse", "BusinessReceipt", "BusinessReceipt"]


def test_a_verification_record_seeded_without_file_types_is_a_finding(bench: Bench) -> None:
    seed(bench)
    bench.registry.put_record("GACC", ENTERPRISE, "verification", "HC3501202600004512", "PENDING",
                              {"materials": ["CGFP", {"Required": "1"}]}, datetime.now(UTC))
    mid = drop(bench, "GACC", document("gacc_verification", "valid_response"), "GACC_VERIFICATION_RESPONSE")
    bench.authorities["GACC"].tick()
    o = observed(bench, "GACC", mid)
    assert o["decision"] == "RETURNED"
    assert rules(o) == ["AUTH.GACC_VERIFICATION.RECORD_INCOMPLETE"] * 2


def test_a_partner_status_seeded_with_a_malformed_time_is_a_finding(bench: Bench) -> None:
    seed(bench)
    bench.registry.set_certificate("GACC", E_CERT, "m" * 32, ENTERPRISE, "APPROVED", datetime.now(UTC))
    bench.registry.put_record("GACC", ENTERPRISE, "partner_status", E_CERT, "REPORTED",
                              {"PartnerStatus": "已使用", "PartnerStatusTime": "yesterday"}, datetime.now(UTC))
    mid = drop(bench, "GACC", document("co_status", "valid_export_status_query"), "EXPORT_CO_STATUS_QUERY")
    bench.authorities["GACC"].tick()
    o = observed(bench, "GACC", mid)
    assert o["decision"] == "RETURNED" and rules(o) == ["AUTH.CO_STATUS.PARTNER_STATUS_INCOMPLETE"]


# M2: decisions taken but not yet announced count ---------------------------------------------------

def test_one_serial_is_written_off_once_even_by_two_messages_of_one_tick(bench: Bench) -> None:
    seed_blank_forms(bench)
    xml = document("gacc_blankform", "valid_write_off_serials")
    first, second = both_in_one_tick(bench, "GACC", "BLANK_FORM_WRITEOFF", xml,
                                     xml.replace("BF-WO-2026-0001", "BF-WO-2026-0002"))
    assert first["decision"] == "APPROVED"
    assert second["decision"] == "RETURNED"
    assert rules(second) == ["AUTH.GACC_BLANKFORM.SERIAL_USED"] * 2


def test_a_page_count_write_off_skips_serials_an_undecided_message_took(bench: Bench) -> None:
    seed_blank_forms(bench)
    gacc = bench.authorities["GACC"]
    gacc.delays = StageDelays(stored=0, decision=3600)  # the first decision is not announced for an hour
    first = drop(bench, "GACC", document("gacc_blankform", "valid_write_off_serials"), "BLANK_FORM_WRITEOFF")
    gacc.tick()
    pages = document("gacc_blankform", "valid_write_off_serials_and_pages", ("BF-WO-2026-0003", "BF-WO-2026-0004"))
    root = etree.fromstring(pages.encode())
    for serial_list in root.iter("{*}SerialList"):
        root.remove(serial_list)
    second = drop(bench, "GACC", etree.tostring(root, encoding="unicode"), "BLANK_FORM_WRITEOFF")
    gacc.tick()
    assert observed(bench, "GACC", first)["decision"] == "APPROVED"
    assert observed(bench, "GACC", second)["decision"] == "APPROVED"
    gacc.clock = lambda: datetime.now(UTC) + timedelta(hours=2)
    gacc.tick()
    written = {r.key: r.data.get("CertNo") for r in bench.registry.records("GACC", ENTERPRISE, "blank_serial")}
    assert sorted(written) == ["2600012001", "2600012002", "2600012003", "2600012004"]


def test_a_verification_record_is_answered_once_even_by_two_messages_of_one_tick(bench: Bench) -> None:
    seed(bench)
    bench.registry.put_record("GACC", ENTERPRISE, "verification", "HC3501202600004512", "PENDING",
                              {"materials": [], "products": []}, datetime.now(UTC))
    xml = document("gacc_verification", "valid_response")
    first, second = both_in_one_tick(bench, "GACC", "GACC_VERIFICATION_RESPONSE", xml,
                                     xml.replace("ERP-HC-2026-0201", "ERP-HC-2026-0202"))
    assert first["decision"] == "APPROVED"
    assert rules(second) == ["AUTH.GACC_VERIFICATION.RECORD_NOT_OPEN"]


def test_one_product_gets_one_prereview_even_from_two_messages_of_one_tick(bench: Bench) -> None:
    seed(bench)
    xml = document("gacc_product", "valid_new")
    first, second = both_in_one_tick(bench, "GACC", "GACC_PRODUCT_PREREVIEW", xml, xml)
    assert first["decision"] == "APPROVED"
    assert rules(second) == ["AUTH.GACC_PRODUCT.PRODUCT_HAS_PREREVIEW"]


def test_an_agent_is_added_once_even_by_two_messages_of_one_tick(bench: Bench) -> None:
    seed(bench)
    bench.registry.put_record("GACC", ENTERPRISE, "agent", "91440300MA5F0QWE8T", "ACCEPTED", {}, datetime.now(UTC))
    xml = document("gacc_enterprise", "valid_agent_records")
    first, second = both_in_one_tick(bench, "GACC", "GACC_AGENT_RECORDS", xml, xml)
    assert first["decision"] == "APPROVED"
    assert rules(second) == ["AUTH.GACC_ENTERPRISE.AGENT_EXISTS", "AUTH.GACC_ENTERPRISE.AGENT_UNKNOWN"]


def test_a_supplement_is_added_once_even_by_two_messages_of_one_tick(bench: Bench) -> None:
    seed(bench)
    bench.registry.set_certificate("GACC", C_CERT, "m" * 32, ENTERPRISE, "APPROVED", datetime.now(UTC))
    xml = document("gacc_supplement", "valid_add_not_exported")
    first, second = both_in_one_tick(bench, "GACC", "EXPORT_DECLARATION_SUPPLEMENT", xml, xml)
    assert first["decision"] == "APPROVED"
    assert rules(second) == ["AUTH.GACC_SUPPLEMENT.ALREADY_SUPPLEMENTED"]


def test_a_ccpit_certificate_is_voided_once_even_by_two_messages_of_one_tick(bench: Bench) -> None:
    seed(bench, "CCPIT")
    bench.registry.set_certificate("CCPIT", "26E350100001/00005", "m" * 32, ENTERPRISE, "APPROVED",
                                   datetime.now(UTC))
    xml = document("ccpit_request", "valid_void")
    first, second = both_in_one_tick(bench, "CCPIT", "CCPIT_CO_VOID", xml, xml)
    assert first["decision"] == "APPROVED"
    assert rules(second) == ["AUTH.CCPIT_REQUEST.CERT_NOT_ISSUED"]
    assert bench.registry.certificate_status("CCPIT", "26E350100001/00005") == ("VOIDED", ENTERPRISE)


# M3: the mock re-checks the document's own rules -----------------------------------------------------

@pytest.mark.parametrize(("name", "message_type", "rule"), [
    ("invalid_blankform_serials_or_pages", "BLANK_FORM_WRITEOFF", "AUTH.GACC_BLANKFORM.SERIALS_OR_PAGES"),
    ("invalid_blankform_serial_duplicate", "BLANK_FORM_VOID", "AUTH.GACC_BLANKFORM.SERIAL_DUPLICATE"),
    ("invalid_blankform_form_type_mismatch", "BLANK_FORM_WRITEOFF", "AUTH.GACC_BLANKFORM.FORM_TYPE_MISMATCH"),
    ("invalid_blankform_page_count_mismatch", "BLANK_FORM_WRITEOFF", "AUTH.GACC_BLANKFORM.PAGE_COUNT_MISMATCH"),
])
def test_a_blank_form_document_breaking_its_own_rules_is_returned(bench: Bench, name: str, message_type: str,
                                                                  rule: str) -> None:
    seed_blank_forms(bench)
    bench.registry.put_record("GACC", ENTERPRISE, "blank_allocation", "ALLOC-2", "ALLOCATED", {"ranges": [
        {"FormType": "C", "StartSerial": "2600012001", "EndSerial": "2600012002", "Count": "2"}]},
        datetime.now(UTC))
    mid = drop(bench, "GACC", document("gacc_blankform", name), message_type)
    bench.authorities["GACC"].tick()
    o = observed(bench, "GACC", mid)
    assert o["decision"] == "RETURNED" and rule in rules(o), rules(o)
    assert not bench.registry.records("GACC", ENTERPRISE, "blank_serial")  # nothing written off or voided


def test_a_page_count_fills_from_the_pool_of_the_apply_mode(bench: Bench) -> None:
    seed_blank_forms(bench, apply_mode="SELF")
    bench.registry.set_certificate("GACC", C_CERT, "m" * 32, ENTERPRISE, "APPROVED", datetime.now(UTC))
    bench.registry.put_record("GACC", ENTERPRISE, "blank_allocation", "ALLOC-C", "ALLOCATED", {"ranges": [
        {"FormType": "C", "StartSerial": "2600500001", "EndSerial": "2600500005", "Count": "5"}]},
        datetime.now(UTC))  # no ApplyMode recorded: the exporter's own (SELF)
    xml = document("gacc_blankform", "valid_write_off_pages")  # ApplyMode AGENT, 3 pages of C
    refused = bench.submit("GACC", "", xml, "BLANK_FORM_WRITEOFF")
    assert refused["decision"] == "RETURNED" and rules(refused) == ["AUTH.GACC_BLANKFORM.NOT_ENOUGH_FORMS"]
    bench.registry.put_record("GACC", ENTERPRISE, "blank_allocation", "ALLOC-A", "ALLOCATED", {"ranges": [
        {"FormType": "C", "StartSerial": "2600600001", "EndSerial": "2600600005", "Count": "5"}],
        "ApplyMode": "AGENT"}, datetime.now(UTC))
    approved = bench.submit("GACC", "", xml.replace("BF-WO-2026-0002", "BF-WO-2026-0012"), "BLANK_FORM_WRITEOFF")
    assert approved["decision"] == "APPROVED"
    assert [r.key for r in bench.registry.records("GACC", ENTERPRISE, "blank_serial")] == [
        "2600600001", "2600600002", "2600600003"]


def test_a_ccpit_declaration_of_ecfa_with_another_area_is_returned(bench: Bench) -> None:
    seed(bench, "CCPIT")
    bench.registry.put_record("CCPIT", ENTERPRISE, "user", "record", "ACCEPTED", {}, datetime.now(UTC))
    xml = document("ccpit_product", "invalid_ccpit_product_ecfa_alone", ("<ApplyType>SAVE", "<ApplyType>DECLARE"))
    o = bench.submit("CCPIT", "", xml, "CCPIT_PRODUCT_RECORD")
    assert o["decision"] == "RETURNED" and rules(o) == ["AUTH.CCPIT_PRODUCT.ECFA_ALONE"]
    assert o["reasons"][0]["path"] == "/ProductRecord/Product/AreaList/Area[1]/AreaCode"
    assert bench.registry.records("CCPIT", ENTERPRISE, "product_registration") == []


def test_being_synced_is_not_a_ccpit_user_record(bench: Bench) -> None:
    seed(bench, "CCPIT")
    o = bench.submit("CCPIT", "ccpit_product", "valid_declare_multi_area", "CCPIT_PRODUCT_RECORD")
    assert o["decision"] == "RETURNED" and rules(o) == ["AUTH.CCPIT_PRODUCT.NO_USER_RECORD"]


# M6: nothing tells an enterprise that another one holds a certificate --------------------------------

def test_another_enterprises_certificate_reads_like_an_unknown_one(bench: Bench) -> None:
    seed(bench)
    other = "91110000100000000X"
    for cert_no in (E_CERT, C_CERT):
        bench.registry.set_certificate("GACC", cert_no, "m" * 32, other, "APPROVED", datetime.now(UTC))
    status = bench.submit("GACC", "co_status", "valid_export_status_query", "EXPORT_CO_STATUS_QUERY")
    assert rules(status) == ["AUTH.CO_STATUS.CO_NOT_FOUND"]
    supplement = bench.submit("GACC", "gacc_supplement", "valid_add_not_exported", "EXPORT_DECLARATION_SUPPLEMENT")
    assert rules(supplement) == ["AUTH.GACC_SUPPLEMENT.CERT_UNKNOWN"]
    for o in (status, supplement):
        assert all("another enterprise" not in r["message"] and other not in r["message"] for r in o["reasons"])


# M4 / M5: the admin API -----------------------------------------------------------------------------

@pytest.mark.parametrize(("payload", "field"), [
    ({"materials": ["CGFP"]}, "materials[1]"),
    ({"materials": [{"FileTypeName": "x"}]}, "materials[1]"),
    ({"products": [{"HSCode": "1"}]}, "products[1]"),
    ({"record_no": "not a record no"}, "record_no"),
    ({"cert_nos": [7]}, "cert_nos[1]"),
])
def test_initiating_with_bad_fields_is_refused_naming_the_field(bench: Bench, payload: dict[str, Any],
                                                                field: str) -> None:
    api = AdminApi(bench.registry, bench.authorities, lambda: datetime.now(UTC))
    with pytest.raises(AdminError, match="^" + re.escape(field) + ":"):
        api.initiate("verification-request", {"enterprise": ENTERPRISE, **payload})
    assert bench.registry.records("GACC", ENTERPRISE, "verification") == []  # nothing recorded


def test_re_registering_an_enterprise_keeps_what_the_authority_knows(bench: Bench) -> None:
    api = AdminApi(bench.registry, bench.authorities, lambda: datetime.now(UTC))
    bench.registry.put_record("GACC", ENTERPRISE, SYNC, "sync", "UNSYNCED", {"product_review_required": True},
                              datetime.now(UTC))
    pem = bench.keys.certificate(ENTERPRISE).public_bytes(Encoding.PEM).decode()
    api.register_enterprise({"id": ENTERPRISE, "reg_no": "350100001", "certificate_pem": pem})
    kept = bench.registry.record("GACC", ENTERPRISE, SYNC, "sync")
    assert kept is not None and kept.status == "UNSYNCED" and kept.data == {"product_review_required": True}
    api.register_enterprise({"id": ENTERPRISE, "reg_no": "350100001", "certificate_pem": pem, "synced": True})
    changed = bench.registry.record("GACC", ENTERPRISE, SYNC, "sync")
    assert changed is not None and changed.status == SYNCED and changed.data == {"product_review_required": True}
