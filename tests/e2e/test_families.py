"""Every document family over the wire: ERP → gateway process → SFTP or HTTP → mock customs process
(GACC and CCPIT) → signed receipts → gateway state. Each family: happy paths and authority-side rejections.

One mock process and one gateway process per transport (module scope); messages of one phase are pushed
together and the mock is driven with ``POST /admin/tick`` (its own poll interval is an hour), so the matrix
costs a few round trips, not one per message. Later phases use what earlier ones established (an issued
certificate, a product registration, an allocation …), as an enterprise would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.mockproc import MockProcess
from tests.e2e.helpers import (
    ENTERPRISE_ID,
    FAMILIES_DIR,
    FINAL,
    add_enterprise,
    enterprise_pem,
    poll_until,
    seed_both_authorities,
    serving,
    start_two_authority_mock,
    two_authority_env,
)

pytestmark = pytest.mark.e2e

C_CERT = "C263501000010001"  # issued in phase 1 (gacc_certificate/valid_c.xml)


def source(family: str, name: str, *replacements: tuple[str, str]) -> str:
    text = (FAMILIES_DIR / family / f"{name}.xml").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, f"{family}/{name}: {old!r} not in the sample"
        text = text.replace(old, new)
    return text


@dataclass
class Case:
    name: str
    family: str
    phase: int
    build: Callable[[World], str]
    approved: bool
    rule: str = ""  # a rule id the rejection must carry (prefix match)


@dataclass
class Outcome:
    case: Case
    status: int
    message_id: str = ""
    view: dict[str, Any] = field(default_factory=dict)
    receipts: list[dict[str, Any]] = field(default_factory=list)
    observed: dict[str, Any] = field(default_factory=dict)

    @property
    def decision(self) -> dict[str, Any] | None:
        finals = [r for r in self.receipts if r["status_code"] in ("APPROVED", "RETURNED")]
        return finals[-1] if finals else None


@dataclass
class World:
    transport: str
    api: httpx.Client
    mock: MockProcess
    admin: httpx.Client
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    initiated: dict[str, dict[str, Any]] = field(default_factory=dict)
    serial: int = 0

    def tick(self) -> None:
        self.admin.post("/admin/tick").raise_for_status()

    def unique(self, xml: str) -> str:
        """Each case is its own document: the first DocumentNo gets a suffix (the gateway dedupes on it)."""
        self.serial += 1
        return re.sub(r"<DocumentNo>([^<]*)</DocumentNo>", rf"<DocumentNo>\1-T{self.serial:03d}</DocumentNo>",
                      xml, count=1)

    def records(self, authority: str, kind: str) -> list[dict[str, Any]]:
        params = {"authority": authority, "enterprise": ENTERPRISE_ID, "kind": kind}
        return list(self.admin.get("/admin/records", params=params).json()["records"])

    def issued_cert_no(self, case: str) -> str:
        return str(self.outcomes[case].observed["cert_no"])

    def wait(self, check: Callable[[], bool], what: Callable[[], str], timeout: float = 180) -> None:
        poll_until(check, what, timeout, between=self.tick, interval=0.05)

    def run(self, cases: list[Case]) -> None:
        pending: list[Outcome] = []
        for case in cases:
            body = self.unique(case.build(self)).encode("utf-8")
            r = self.api.post("/api/v1/messages", content=body, headers={"Content-Type": "application/xml"})
            outcome = Outcome(case, r.status_code, r.json().get("message_id", ""))
            if r.status_code != 202:
                outcome.view = r.json()
            self.outcomes[case.name] = outcome
            pending.append(outcome)

        def all_final() -> bool:
            for o in pending:
                if o.status == 202 and o.view.get("state") not in FINAL:
                    o.view = self.api.get(f"/api/v1/messages/{o.message_id}").json()
            return all(o.status != 202 or o.view["state"] in FINAL for o in pending)

        self.wait(all_final, lambda: "every message to be final: " + ", ".join(
            f"{o.case.name} {o.view.get('state')} {o.view.get('last_error') or ''}" for o in pending
            if o.status == 202 and o.view.get("state") not in FINAL))
        for o in pending:
            if o.status == 202:
                o.receipts = self.api.get(f"/api/v1/messages/{o.message_id}/receipts").json()["receipts"]
                o.observed = self.admin.get(f"/admin/messages/{o.message_id}").json()

    def initiate(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        r = self.admin.post(f"/admin/initiate/{kind}", json={"enterprise": ENTERPRISE_ID, **payload})
        assert r.status_code == 202, r.text
        self.initiated[kind] = r.json()
        return dict(r.json())

    def stored_at_gateway(self, message_id: str) -> dict[str, Any]:
        found: dict[str, Any] = {}

        def present() -> bool:
            r = self.api.get(f"/api/v1/messages/{message_id}")
            if r.status_code == 200:
                found.update(r.json())
            return r.status_code == 200

        self.wait(present, lambda: f"authority message {message_id} at the gateway")
        return found


def _ccpit_registration(world: World, area: str) -> str:
    regs = [r["key"] for r in world.records("CCPIT", "product_registration") if r["data"]["AreaCode"] == area]
    assert regs, f"no CCPIT registration for area {area}"
    return str(regs[0])


def _static(family: str, name: str, *replacements: tuple[str, str]) -> Callable[[World], str]:
    return lambda _world: source(family, name, *replacements)


GE, GP, GC, GA = "gacc_enterprise", "gacc_product", "gacc_certificate", "gacc_attachment"
GV, GB, GS, GSP, CS = "gacc_verification", "gacc_blankform", "gacc_supplement", "gacc_selfprint", "co_status"
CU, CB, CP, CR, CC = "ccpit_user", "ccpit_basedata", "ccpit_product", "ccpit_request", "ccpit_certificate"
OTHER_REG = ("<AplRegNo>350100001</AplRegNo>", "<AplRegNo>350100002</AplRegNo>")
AGENT_DELETE = re.compile(r"\s*<Agent>\s*<Action>DELETE</Action>.*?</Agent>", re.S)

CASES: list[Case] = [
    # GACC enterprise records: initial values / principals before the basic info fixes the mode (SELF)
    Case("initial_values", GE, 1, _static(GE, "valid_initial_values"), True),
    Case("initial_values_other_reg_no", GE, 1, _static(GE, "valid_initial_values", OTHER_REG), False,
         "AUTH.GACC_ENTERPRISE.APLREGNO"),
    Case("principals", GE, 1, _static(GE, "valid_principal_records"), True),
    Case("agents_add", GE, 1, lambda w: AGENT_DELETE.sub("", source(GE, "valid_agent_records")), True),
    Case("agents_delete_unknown", GE, 1, _static(GE, "valid_agent_records"), False,
         "AUTH.GACC_ENTERPRISE.AGENT_UNKNOWN"),
    Case("enterprise_sync", GE, 2, _static(GE, "valid_enterprise_info_sync"), True),
    Case("enterprise_change_other_reg_no", GE, 2,
         _static(GE, "valid_enterprise_info_change_no_certificates", OTHER_REG), False,
         "AUTH.GACC_ENTERPRISE.APLREGNO"),
    Case("principals_after_self_mode", GE, 3, _static(GE, "valid_principal_records"), False,
         "AUTH.GACC_ENTERPRISE.APPLY_MODE"),
    # product pre-review
    Case("prereview_new", GP, 1, _static(GP, "valid_new"), True),
    Case("prereview_change_unknown", GP, 1, _static(GP, "valid_change"), False,
         "AUTH.GACC_PRODUCT.PREREVIEW_UNKNOWN"),
    # CO applications
    Case("co_general", GC, 1, _static(GC, "valid_c"), True),
    Case("co_amend_of_unissued", GC, 1, _static(GC, "valid_c_amended", ("C263501000010036", "C263501000010037"),
                                                 ("<OldCertNo>C263501000010001", "<OldCertNo>C263501000019998")),
         False, "AUTH.MOD"),
    Case("co_amend_of_issued", GC, 2, _static(GC, "valid_c_amended"), True),
    # attachments
    Case("attachment_unknown_cert", GA, 1, _static(GA, "valid_supporting_invoice", (C_CERT, "C263501000019999")),
         False, "AUTH.GACC_ATTACHMENT.CERT_UNKNOWN"),
    Case("attachment", GA, 2, _static(GA, "valid_supporting_invoice"), True),
    # verification: only records customs opened (phase 2 opens HC3501202600004512)
    Case("verification_unknown_record", GV, 1, _static(GV, "valid_response"), False,
         "AUTH.GACC_VERIFICATION.RECORD_UNKNOWN"),
    Case("verification_response", GV, 2, _static(GV, "valid_response"), True),
    Case("verification_answered_twice", GV, 3, _static(GV, "valid_response"), False,
         "AUTH.GACC_VERIFICATION.RECORD_NOT_OPEN"),
    # blank forms: allocated in phase 2
    Case("writeoff_unissued_cert", GB, 1, _static(GB, "valid_write_off_serials"), False,
         "AUTH.GACC_BLANKFORM.CERT_UNKNOWN"),
    Case("void_unallocated", GB, 1, _static(GB, "valid_void"), False, "AUTH.GACC_BLANKFORM.SERIAL_NOT_ALLOCATED"),
    Case("writeoff_pages", GB, 2, _static(GB, "valid_write_off_pages", ("C263501000010007", C_CERT)), True),
    Case("void", GB, 2, _static(GB, "valid_void"), True),
    # supplement
    Case("supplement_unissued_cert", GS, 1, _static(GS, "valid_add_exported_several"), False,
         "AUTH.GACC_SUPPLEMENT.CERT_UNKNOWN"),
    Case("supplement", GS, 2, _static(GS, "valid_add_not_exported", ("C263501000010007", C_CERT)), True),
    # self-print
    Case("seal_signature", GSP, 1, _static(GSP, "valid_seal_signature_round"), True),
    Case("seal_signature_other_reg_no", GSP, 1, _static(GSP, "valid_seal_signature_rectangle", OTHER_REG), False,
         "AUTH.GACC_SELFPRINT.APLREGNO"),
    Case("agent_print_withdraw_unknown", GSP, 1, _static(GSP, "valid_agent_print_withdraw"), False,
         "AUTH.GACC_SELFPRINT.NOT_AUTHORISED"),
    Case("agent_print", GSP, 2, _static(GSP, "valid_agent_print"), True),
    Case("print_exception_unissued", GSP, 1, _static(GSP, "valid_print_exception_reprint"), False,
         "AUTH.GACC_SELFPRINT.CERT_UNKNOWN"),
    Case("print_exception", GSP, 2, _static(GSP, "valid_print_exception_reprint", ("A263501000010003", C_CERT)),
         True),
    # networked CO status (import data seeded at start)
    Case("export_status_unknown", CS, 1, _static(CS, "valid_export_status_query"), False,
         "AUTH.CO_STATUS.CO_NOT_FOUND"),
    Case("export_status", CS, 2, _static(CS, "valid_export_status_query", ("E263501000010001", C_CERT)), True),
    Case("import_status", CS, 1, _static(CS, "valid_import_status_query"), True),
    Case("import_status_unknown", CS, 1, _static(CS, "valid_import_status_query",
                                                ("2026-1234-5678901", "2026-1234-5678902")), False,
         "AUTH.CO_STATUS.IMPORT_CO_NOT_FOUND"),
    Case("import_info", CS, 1, _static(CS, "valid_import_info_query"), True),
    Case("import_info_mismatch", CS, 1, _static(CS, "valid_import_info_query", ("2026-02-20", "2026-02-21")),
         False, "AUTH.CO_STATUS.CRITERIA_MISMATCH"),
    # CCPIT
    Case("ccpit_user", CU, 1, _static(CU, "valid_user_record"), True),
    Case("ccpit_user_other_code", CU, 1, _static(CU, "valid_user_record", ("<EntCode>350100001",
                                                                           "<EntCode>350100002")), False,
         "AUTH.CCPIT_USER.ENT_CODE"),
    Case("ccpit_exporter", CB, 1, _static(CB, "valid_exporter"), True),
    Case("ccpit_importer_delete_unknown", CB, 1, _static(CB, "valid_delete_importer"), False,
         "AUTH.CCPIT_BASEDATA.CODE_UNKNOWN"),
    Case("ccpit_product_declare", CP, 1, _static(CP, "valid_declare_multi_area"), True),
    Case("ccpit_product_delete_unknown", CP, 1, _static(CP, "valid_delete"), False,
         "AUTH.CCPIT_PRODUCT.PRODUCT_UNKNOWN"),
    Case("ccpit_sync_enterprise", CR, 1, _static(CR, "valid_sync_enterprise"), True),
    Case("ccpit_void_unissued", CR, 1, _static(CR, "valid_void"), False, "AUTH.CCPIT_REQUEST.CERT_UNKNOWN"),
    Case("ccpit_sync_product", CR, 2, _static(CR, "valid_sync_product"), True),
    Case("ccpit_void", CR, 3, lambda w: source(CR, "valid_void", ("26E350100001/00005",
                                                                 w.issued_cert_no("ccpit_co_preferential"))), True),
    Case("ccpit_co_unregistered_goods", CC, 1, _static(CC, "valid_preferential_e"), False,
         "AUTH.CCPIT_CERTIFICATE.PRODUCT_NOT_REGISTERED"),
    Case("ccpit_co_draft", CC, 1, _static(CC, "valid_draft_hm"), False, "AUTH.CCPIT_CERTIFICATE.NOT_DECLARED"),
    Case("ccpit_co_preferential", CC, 2, lambda w: source(
        CC, "valid_preferential_e", ("25E350100001/00031", _ccpit_registration(w, "E")),
        ("25E350100001/00032", _ccpit_registration(w, "E"))), True),
]
FAMILIES = sorted({c.family for c in CASES})


def _before_phase_2(world: World) -> None:
    """What customs does on its own once the first certificate is issued."""
    world.initiate("verification-request", {
        "record_no": "HC3501202600004512",
        "materials": [{"FileType": "CGFP", "FileTypeName": "原材料采购发票", "Required": "1"},
                      {"FileType": "SCGY", "FileTypeName": "生产工艺流程说明", "Required": "1"},
                      {"FileType": "CBHS", "FileTypeName": "产品成本核算表", "Required": "1",
                       "PreReviewNo": "PR3501202600000123"}],
        "products": [{"PreReviewNo": "PR3501202600000123", "HSCode": "9617001900", "NameCn": "不锈钢真空保温杯",
                      "CostDetailRequired": "1"}],
        "cert_nos": [C_CERT],
    })
    world.initiate("blank-form-allocation", {"ranges": [{"form_type": "E", "start": "2600012001", "count": 100}]})
    # the page-count write-off (ApplyMode AGENT) fills from the agent's pool only
    world.initiate("blank-form-allocation", {"ranges": [{"form_type": "C", "start": "2600500001", "count": 50}],
                                             "apply_mode": "AGENT"})
    world.initiate("print-layout", {"cert_no": C_CERT})
    world.initiate("partner-status", {"cert_no": C_CERT, "partner_status": "已使用"})


@pytest.fixture(scope="module", params=["sftp", "http"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pki_dir: Path,
          pki_passphrase: str) -> Iterator[World]:
    transport = str(request.param)
    base = tmp_path_factory.mktemp(f"families-{transport}")
    mock = start_two_authority_mock(base / "mock", pki_dir, pki_passphrase)
    try:
        with httpx.Client(base_url=mock.admin_url, timeout=30) as admin:
            seed_both_authorities(admin, enterprise_pem(pki_dir, pki_passphrase))
            env = two_authority_env(mock, transport, f"sqlite:///{base / 'gateway.db'}", pki_dir, pki_passphrase)
            api_key = add_enterprise(env)
            with serving(env) as gateway, gateway.api(api_key) as api:
                w = World(transport, api, mock, admin)
                for phase in (1, 2, 3):
                    if phase == 2:
                        _before_phase_2(w)
                    w.run([c for c in CASES if c.phase == phase])
                yield w
    finally:
        mock.stop()


@pytest.mark.parametrize("family", FAMILIES)
def test_family_happy_paths_are_approved_and_rejections_carry_the_authority_rule(world: World, family: str) -> None:
    cases = [c for c in CASES if c.family == family]
    assert any(c.approved for c in cases) and any(not c.approved for c in cases)
    for case in cases:
        o = world.outcomes[case.name]
        assert o.status == 202, f"{case.name}: the gateway refused it: {o.view}"
        assert o.view["state"] == "DONE", f"{case.name}: {o.view}"
        decision = o.decision
        assert decision is not None, f"{case.name}: no decision receipt in {o.receipts}"
        steps = [(r["kind"], r["status_code"]) for r in o.receipts]
        assert ("import_response", "IMPORTED") in steps and ("business", "STORED") in steps, (case.name, steps)
        # a retry after an HTTP timeout (busy machine) is received again, never reviewed again: one decision
        assert o.observed["receive_count"] >= 1 and o.observed["message_type"] == o.view["message_type"]
        assert [r["status_code"] for r in o.receipts if r["status_code"] in ("APPROVED", "RETURNED")] == [
            decision["status_code"]], f"{case.name}: {steps}"
        if case.approved:
            assert decision["status_code"] == "APPROVED", f"{case.name}: {decision}"
            assert o.observed["decision"] == "APPROVED" and o.observed["reasons"] == []
        else:
            assert decision["status_code"] == "RETURNED", f"{case.name}: approved, expected {case.rule}"
            rules = [r["rule_id"] for r in decision["reasons"]]
            assert any(r.startswith(case.rule) for r in rules), f"{case.name}: {rules}"
            assert all(r["message"] and r["path"].startswith("/") for r in decision["reasons"])
            assert o.observed["decision"] == "RETURNED" and o.observed["reasons"] == decision["reasons"]


def test_each_family_message_reached_the_authority_it_belongs_to(world: World) -> None:
    for o in world.outcomes.values():
        expected = "CCPIT" if o.case.family.startswith("ccpit_") else "GACC"
        assert o.view["authority"] == expected and o.observed["authority"] == expected, o.case.name


def test_authority_initiated_messages_are_stored_by_the_gateway(world: World) -> None:
    expected = {"verification-request": "GACC_VERIFICATION_RECORD", "blank-form-allocation": "BLANK_FORM_ALLOCATION",
                "print-layout": "PRINT_LAYOUT_NOTICE", "partner-status": "EXPORT_CO_STATUS_RESPONSE"}
    for kind, message_type in expected.items():
        queued = world.initiated[kind]
        stored = world.stored_at_gateway(queued["envelope_message_id"])
        assert stored["message_type"] == message_type and stored["authority"] == "GACC"
        assert stored["state"] == "DONE" and stored["enterprise_id"] == ENTERPRISE_ID
    listed = world.admin.get("/admin/initiated", params={"authority": "GACC"}).json()["initiated"]
    assert {r["data"]["kind"] for r in listed} == set(expected)
    assert {r["status"] for r in listed} == {"SENT"}


def test_answers_that_are_documents_follow_the_decision_and_are_stored(world: World) -> None:
    """A pre-review number, a CCPIT registration, a status answer: documents of their own after APPROVED."""
    for case, message_type in (("prereview_new", "GACC_PRODUCT_PREREVIEW_RECEIPT"),
                               ("co_amend_of_issued", "PRINT_LAYOUT_NOTICE"),  # self-print: seal authorised
                               ("ccpit_product_declare", "CCPIT_PRODUCT_RECORD_RECEIPT"),
                               ("export_status", "EXPORT_CO_STATUS_RESPONSE"),
                               ("import_info", "IMPORT_CO_INFO_RESPONSE")):
        o = world.outcomes[case]
        documents = [r for r in o.observed["receipts"] if r["kind"] == "Document"]
        assert [d["fields"]["message_type"] for d in documents] == [message_type], case
        stored = world.stored_at_gateway(documents[0]["envelope_message_id"])
        assert stored["message_type"] == message_type
        if message_type != "PRINT_LAYOUT_NOTICE":  # a layout notice names the certificate, not the document
            assert stored["document_no"] == o.view["document_no"]  # linked to the enterprise's own document
    rejected = world.outcomes["export_status_unknown"].observed["receipts"]
    assert not [r for r in rejected if r["kind"] == "Document"]  # a returned query gets no answer document


def test_what_the_authority_learned_is_observable(world: World) -> None:
    prereviews = world.records("GACC", "prereview")
    assert [r["status"] for r in prereviews] == ["APPROVED"] and prereviews[0]["key"].startswith("PR3501")
    ccpit_cert = world.issued_cert_no("ccpit_co_preferential")
    certificates = world.admin.get("/admin/certificates", params={"authority": "CCPIT"}).json()["certificates"]
    assert [c["status"] for c in certificates if c["cert_no"] == ccpit_cert] == ["VOIDED"]  # phase 3 voided it
    serials = world.records("GACC", "blank_serial")
    assert sorted(r["key"] for r in serials if r["status"] == "WRITTEN_OFF") == [
        "2600500001", "2600500002", "2600500003"]  # three pages from the C allocation
    assert world.records("GACC", "verification")[0]["status"] == "IN_PROGRESS"


def test_the_number_ccpit_assigned_is_the_certificates_number_at_the_gateway(world: World) -> None:
    o = world.outcomes["ccpit_co_preferential"]
    assigned = world.issued_cert_no("ccpit_co_preferential")
    assert assigned and o.view["document"]["cert_no"] == assigned  # the application itself carried none
    assert o.view["document"]["status"] == "APPROVED"
    receipts = world.api.get(f"/api/v1/messages/{o.message_id}/receipts").json()["receipts"]
    assert [r["cert_no"] for r in receipts if r["status_code"] == "APPROVED"] == [assigned]
