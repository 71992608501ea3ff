"""The family handlers of mock customs, in-process: signed envelopes dropped into an authority's inbound
mailbox, ``tick()``, then the decision and findings the authority recorded. The rules the e2e matrix
(tests/e2e/test_families.py) does not reach are here, plus the wiring (which authority takes which family,
SFTP users per authority, authority-initiated requests that cannot be built)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from gateway.demo import sample_bytes
from messages import envelope
from mock_customs.app import MockConfig, build_parser, config_from_args
from mock_customs.authority import Authority
from mock_customs.handlers.base import SYNC, SYNCED, UNSYNCED
from mock_customs.http_admin import AdminApi, AdminError
from mock_customs.initiate import InitiateError, initiate
from mock_customs.registry import Registry
from signing.keystore import KeyStore

ENTERPRISE = "91350100M000100Y43"
REG_NO = "350100001"
FAMILIES = Path(__file__).resolve().parents[1] / "data" / "families"


@dataclass
class Bench:
    registry: Registry
    authorities: dict[str, Authority]
    keys: KeyStore

    def submit(self, authority: str, family: str, name: str, message_type: str,
               *replacements: tuple[str, str]) -> dict[str, object]:
        text = (FAMILIES / family / f"{name}.xml").read_text(encoding="utf-8") if family else name
        for old, new in replacements:
            assert old in text
            text = text.replace(old, new)
        mid = uuid.uuid4().hex
        head = envelope.EnvelopeHead(message_id=mid, message_type=message_type, sender_id=ENTERPRISE,
                                     receiver_id=authority, send_time=datetime.now(UTC).replace(microsecond=0))
        signed = self.keys.signer(ENTERPRISE).sign(envelope.wrap(head, etree.fromstring(text.encode())))
        (self.authorities[authority].inbound / f"{mid}.xml").write_bytes(envelope.to_bytes(signed))
        self.authorities[authority].tick()
        observed = self.registry.observation(authority, mid)
        assert observed is not None
        return observed.public()

    def sync_state(self, authority: str, status: str, *, review_required: bool = False) -> None:
        self.registry.put_record(authority, ENTERPRISE, SYNC, "sync", status,
                                 {"product_review_required": review_required}, datetime.now(UTC))


def rules(observed: dict[str, object]) -> list[str]:
    return [str(r["rule_id"]) for r in observed["reasons"]]  # type: ignore[attr-defined]


@pytest.fixture
def bench(tmp_path: Path, pki_dir: Path, pki_passphrase: str) -> Iterator[Bench]:
    keys = KeyStore(pki_dir, pki_passphrase)
    registry = Registry(tmp_path / "state")
    pem = keys.certificate(ENTERPRISE).public_bytes(Encoding.PEM).decode()
    authorities = {}
    for name in ("GACC", "CCPIT"):
        registry.register_enterprise(name, ENTERPRISE, REG_NO, pem, datetime.now(UTC))
        authorities[name] = Authority(name, tmp_path / "mailboxes" / name, registry, keys.signer(name))
    yield Bench(registry, authorities, keys)
    registry.close()


def test_each_authority_takes_only_its_own_families(bench: Bench) -> None:
    assert "CCPIT_CO_APPLICATION" in bench.authorities["CCPIT"].handlers
    assert "CCPIT_CO_APPLICATION" not in bench.authorities["GACC"].handlers
    assert "GACC_PRODUCT_PREREVIEW" not in bench.authorities["CCPIT"].handlers
    bench.sync_state("GACC", SYNCED)
    observed = bench.submit("GACC", "ccpit_user", "valid_user_record", "CCPIT_USER_RECORD")
    assert observed["decision"] == "FAILED"  # an ImportResponse 1: not a GACC message type
    assert "AUTH.ENVELOPE.MESSAGE_TYPE" in rules(observed)


def test_an_unsynced_enterprise_is_returned_until_its_basic_information_is_synced(bench: Bench) -> None:
    bench.sync_state("GACC", UNSYNCED)
    first = bench.submit("GACC", "gacc_certificate", "valid_c", "CO_APPLICATION")
    assert first["decision"] == "RETURNED" and "AUTH.GACC_CERTIFICATE.NOT_SYNCED" in rules(first)
    sync = bench.submit("GACC", "gacc_enterprise", "valid_enterprise_info_sync", "GACC_ENTERPRISE_INFO")
    assert sync["decision"] == "APPROVED"
    assert bench.registry.record("GACC", ENTERPRISE, SYNC, "sync").status == SYNCED  # type: ignore[union-attr]
    again = bench.submit("GACC", "gacc_certificate", "valid_c", "CO_APPLICATION",
                         ("ERP-CO-C-0001", "ERP-CO-C-0001-B"))
    assert again["decision"] == "APPROVED", again["reasons"]


def test_preferential_goods_need_an_approved_prereview_when_the_enterprise_is_held_to_it(bench: Bench) -> None:
    form_e = sample_bytes("form_e_approved.xml").decode("utf-8")  # approved by every other rule
    bench.sync_state("GACC", SYNCED, review_required=True)
    returned = bench.submit("GACC", "", form_e, "CO_APPLICATION")
    assert returned["decision"] == "RETURNED"
    assert [r["path"] for r in returned["reasons"]] == [  # type: ignore[attr-defined]
        f"/Certificate/CertificateList/Goods[{i}]/HSCode" for i in (1, 2)]
    assert set(rules(returned)) == {"AUTH.GACC_CERTIFICATE.PREREVIEW_REQUIRED"}
    for hs in ("0703200000", "200599"):  # the first 6 digits decide
        bench.registry.put_record("GACC", ENTERPRISE, "prereview", f"PR{hs}", "APPROVED", {"HSCode": hs},
                                  datetime.now(UTC))
    approved = bench.submit("GACC", "", form_e.replace("<DocumentNo>", "<DocumentNo>B-"), "CO_APPLICATION")
    assert approved["decision"] == "APPROVED", approved["reasons"]


def test_a_prereview_is_numbered_cancelled_and_restored_only_from_the_right_state(bench: Bench) -> None:
    bench.sync_state("GACC", SYNCED)
    new = bench.submit("GACC", "gacc_product", "valid_new", "GACC_PRODUCT_PREREVIEW")
    assert new["decision"] == "APPROVED"
    [record] = bench.registry.records("GACC", ENTERPRISE, "prereview")
    assert record.key == f"PR3501{datetime.now(UTC).year}00000001" and record.status == "APPROVED"
    twice = bench.submit("GACC", "gacc_product", "valid_new", "GACC_PRODUCT_PREREVIEW")
    assert "AUTH.GACC_PRODUCT.PRODUCT_HAS_PREREVIEW" in rules(twice)
    restore = bench.submit("GACC", "gacc_product", "valid_change", "GACC_PRODUCT_PREREVIEW",
                           ("PR3501202600000123", record.key), ("<ApplyType>CHANGE", "<ApplyType>RESTORE"))
    assert "AUTH.GACC_PRODUCT.NOT_CANCELLED" in rules(restore)


def test_a_ccpit_registration_serves_only_its_own_area(bench: Bench) -> None:
    bench.sync_state("CCPIT", SYNCED)
    bench.registry.put_record("CCPIT", ENTERPRISE, "user", "record", "ACCEPTED", {}, datetime.now(UTC))
    bench.registry.put_record("CCPIT", ENTERPRISE, "product_registration", "26K350100001/00001", "APPROVED",
                              {"AreaCode": "K"}, datetime.now(UTC))
    observed = bench.submit("CCPIT", "ccpit_certificate", "valid_preferential_e", "CCPIT_CO_APPLICATION",
                            ("25E350100001/00031", "26K350100001/00001"))
    assert observed["decision"] == "RETURNED"
    assert rules(observed)[:2] == ["AUTH.CCPIT_CERTIFICATE.REGISTRATION_AREA",
                                   "AUTH.CCPIT_CERTIFICATE.PRODUCT_NOT_REGISTERED"]


def test_a_ccpit_enterprise_without_user_record_or_sync_cannot_declare(bench: Bench) -> None:
    bench.sync_state("CCPIT", UNSYNCED)
    observed = bench.submit("CCPIT", "ccpit_certificate", "valid_general_c", "CCPIT_CO_APPLICATION")
    assert {"AUTH.CCPIT_CERTIFICATE.NO_USER_RECORD", "AUTH.CCPIT_CERTIFICATE.NOT_SYNCED"} <= set(rules(observed))
    sync = bench.submit("CCPIT", "ccpit_request", "valid_sync_enterprise", "CCPIT_SYNC_REQUEST")
    assert "AUTH.CCPIT_REQUEST.NO_USER_RECORD" in rules(sync)


def test_sftp_users_can_be_jailed_to_one_authority(tmp_path: Path) -> None:
    parser = build_parser()
    args = parser.parse_args(["--state-dir", str(tmp_path), "--pki-dir", str(tmp_path), "--pki-passphrase", "x",
                              "--user", "g:pw", "--user", "c:p@ss@CCPIT", "--user", "d:pw@home"])
    config: MockConfig = config_from_args(args)
    users = {u.name: u for u in config.users}
    assert users["g"].root is None and users["d"].password == "pw@home"  # not an authority: part of the password
    assert users["c"].root == tmp_path / "mailboxes" / "CCPIT" and users["c"].password == "p@ss"
    assert config.authorities == ("GACC", "CCPIT")  # a CCPIT user means CCPIT runs


def test_initiated_requests_that_cannot_be_built_say_which_field(bench: Bench) -> None:
    with pytest.raises(InitiateError, match="kind: one of"):
        initiate(bench.authorities, "nonsense", {"enterprise": ENTERPRISE})
    with pytest.raises(InitiateError, match="enterprise: 91110000100000000X is not registered"):
        initiate(bench.authorities, "print-layout", {"enterprise": "91110000100000000X", "cert_no": "C1"})
    with pytest.raises(InitiateError, match="cert_no: C263501000010001 is not a certificate GACC issued"):
        initiate(bench.authorities, "print-layout", {"enterprise": ENTERPRISE, "cert_no": "C263501000010001"})
    with pytest.raises(InitiateError, match="type E is not one of the 15 self-print types"):
        initiate(bench.authorities, "print-layout", {"enterprise": ENTERPRISE, "cert_no": "E263501000010001"})
    with pytest.raises(InitiateError, match=r"ranges\[1\]"):
        initiate(bench.authorities, "blank-form-allocation", {"enterprise": ENTERPRISE, "ranges": [{"start": 1}]})
    queued = initiate(bench.authorities, "verification-request", {"enterprise": ENTERPRISE})
    assert queued["record_no"].startswith("HC3501")
    record = bench.registry.record("GACC", ENTERPRISE, "initiated", queued["receipt_id"])
    assert record is not None and record.status == "QUEUED"
    emitted = bench.authorities["GACC"].tick().emitted
    assert emitted == [f"{queued['receipt_id']}.xml"]
    assert bench.registry.record("GACC", ENTERPRISE, "initiated", queued["receipt_id"]).status == "SENT"  # type: ignore[union-attr]
    assert bench.registry.record("GACC", ENTERPRISE, "verification", queued["record_no"]).status == "PENDING"  # type: ignore[union-attr]


def test_an_approved_self_print_certificate_gets_its_layout_only_once_the_seal_is_authorised(bench: Bench) -> None:
    bench.sync_state("GACC", SYNCED)
    before = bench.submit("GACC", "gacc_certificate", "valid_c", "CO_APPLICATION")
    assert before["decision"] == "APPROVED"
    assert [r["kind"] for r in before["receipts"]] == ["ImportResponse", "BusinessReceipt", "BusinessReceipt"]  # type: ignore[attr-defined]
    seal = bench.submit("GACC", "gacc_selfprint", "valid_seal_signature_round", "SEAL_SIGNATURE_AUTHORISATION")
    assert seal["decision"] == "APPROVED"
    after = bench.submit("GACC", "gacc_certificate", "valid_c_amended", "CO_APPLICATION")
    assert after["decision"] == "APPROVED", after["reasons"]
    documents = [r for r in after["receipts"] if r["kind"] == "Document"]  # type: ignore[attr-defined]
    assert [d["fields"]["message_type"] for d in documents] == ["PRINT_LAYOUT_NOTICE"]
    assert "<CertNo>C263501000010036</CertNo>" in documents[0]["fields"]["document"]
    assert bench.registry.record("GACC", ENTERPRISE, "layout", "C263501000010036").status == "RECEIVED"  # type: ignore[union-attr]


def test_admin_requests_with_bad_fields_are_refused_with_the_field_named(bench: Bench) -> None:
    api = AdminApi(bench.registry, bench.authorities, lambda: datetime.now(UTC))
    with pytest.raises(AdminError, match="kind: a non-empty string; authority: one of CCPIT, GACC"):
        api.put_record({"enterprise": "*", "kind": "", "key": "k", "status": "s", "authority": "XX"})
    pem = bench.keys.certificate(ENTERPRISE).public_bytes(Encoding.PEM).decode()
    with pytest.raises(AdminError, match="synced, product_review_required: true or false"):
        api.register_enterprise({"id": ENTERPRISE, "reg_no": REG_NO, "certificate_pem": pem, "synced": "yes"})
    with pytest.raises(AdminError, match="enterprise: 91110000100000000X is not registered with GACC"):
        api.initiate("partner-status", {"enterprise": "91110000100000000X", "cert_no": "C1"})
    registered = api.register_enterprise({"id": ENTERPRISE, "reg_no": REG_NO, "certificate_pem": pem,
                                          "synced": False})
    assert registered["synced"] is False
    assert bench.registry.record("GACC", ENTERPRISE, SYNC, "sync").status == UNSYNCED  # type: ignore[union-attr]


def test_a_print_exception_is_returned_for_a_certificate_type_that_is_not_self_printed(bench: Bench) -> None:
    bench.sync_state("GACC", SYNCED)
    # Two issued certificates and an authorised seal, so the type is the only thing that differs.
    for family, name in (("gacc_certificate", "valid_c"), ("", sample_bytes("form_e_approved.xml").decode("utf-8"))):
        assert bench.submit("GACC", family, name, "CO_APPLICATION")["decision"] == "APPROVED"
    seal = bench.submit("GACC", "gacc_selfprint", "valid_seal_signature_round", "SEAL_SIGNATURE_AUTHORISATION")
    assert seal["decision"] == "APPROVED"
    form_e = bench.submit("GACC", "gacc_selfprint", "valid_print_exception_reprint", "PRINT_EXCEPTION_REQUEST",
                          ("A263501000010003", "E263501000010001"))
    assert form_e["decision"] == "RETURNED"
    assert [(r["rule_id"], r["path"]) for r in form_e["reasons"]] == [  # type: ignore[attr-defined]
        ("AUTH.GACC_SELFPRINT.TYPE_NOT_ELIGIBLE", "/PrintExceptionRequest/PrintExceptionHead/CertNo")]
    general = bench.submit("GACC", "gacc_selfprint", "valid_print_exception_reprint", "PRINT_EXCEPTION_REQUEST",
                           ("A263501000010003", "C263501000010001"), ("SP-EXC-2026-0001", "SP-EXC-2026-0002"))
    assert general["decision"] == "APPROVED", general["reasons"]
