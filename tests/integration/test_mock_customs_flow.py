"""Mock customs end to end, in-process: real SFTP, real HTTP admin, real signatures and schemas.

The mock runs on ephemeral ports in threads (poll interval one hour: only ``POST /admin/tick`` drives
it, so every test is deterministic). Envelopes are uploaded with a plain paramiko client, temp name
then rename, exactly as the gateway's adapter does.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import paramiko
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from mock_customs.app import MockConfig, MockCustoms
from mock_customs.authority import StageDelays
from mock_customs.review import CHINA_TZ
from mock_customs.sftp_server import SftpUser

PASSPHRASE = "test-passphrase"
ENTERPRISE = "91310000MA1FL0XX2K"
OTHER = "91440300MA5ABCDE1X"
STRANGER = "91110000MA00STRAN1"
REG_NO = "310012345"
OTHER_REG_NO = "440012345"
SAMPLE_ENTERPRISE = "91320594MA1MXB7Y3E"  # the enterprise of tests/data/certificate_*.xml
SAMPLE_REG_NO = "123456789"
DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass
class Harness:
    mock: MockCustoms
    keystore: Any
    sftp: paramiko.SFTPClient
    http: httpx.Client
    root: Path

    def tick(self) -> dict[str, Any]:
        response = self.http.post("/admin/tick")
        response.raise_for_status()
        return dict(response.json())

    def upload(self, content: bytes, name: str) -> None:
        self.sftp.putfo(io.BytesIO(content), f"/inbound/.{name}.tmp")
        self.sftp.posix_rename(f"/inbound/.{name}.tmp", f"/inbound/{name}")

    def receipts(self, message_id: str) -> list[tuple[str, bytes]]:
        names = sorted(n for n in self.sftp.listdir("/outbound") if message_id in n)
        out = []
        for name in names:
            buf = io.BytesIO()
            self.sftp.getfo(f"/outbound/{name}", buf)
            out.append((name, buf.getvalue()))
        return out

    def observed(self, message_id: str) -> dict[str, Any]:
        response = self.http.get(f"/admin/messages/{message_id}")
        response.raise_for_status()
        return dict(response.json())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from signing.pki import init_pki

    directory = tmp_path_factory.mktemp("pki")
    init_pki(directory, PASSPHRASE, [ENTERPRISE, OTHER, STRANGER, SAMPLE_ENTERPRISE])
    return directory


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def running(tmp_path: Path, pki: Path, delays: StageDelays | None = None,
           clock: Clock | None = None, duplicate_policy: str = "ignore") -> Iterator[Harness]:
    from signing.keystore import KeyStore

    config = MockConfig(
        state_dir=tmp_path / "state", pki_dir=pki, pki_passphrase=PASSPHRASE,
        users=[SftpUser("gateway", password="pw")], delays=delays or StageDelays(), poll_interval=3600,
        duplicate_policy=duplicate_policy,
    )
    mock = MockCustoms(config, clock=clock) if clock else MockCustoms(config)
    mock.start()
    transport = paramiko.Transport(("127.0.0.1", mock.sftp_port))
    keystore = KeyStore(pki, PASSPHRASE)
    try:
        transport.connect(username="gateway", password="pw")
        assert transport.get_remote_server_key().get_base64() == mock.host_public_key.split()[1]
        sftp = paramiko.SFTPClient.from_transport(transport)
        assert sftp is not None
        with httpx.Client(base_url=mock.admin_url, timeout=30) as http:
            harness = Harness(mock, keystore, sftp, http, config.mailbox("GACC"))
            for enterprise, reg_no in ((ENTERPRISE, REG_NO), (OTHER, OTHER_REG_NO),
                                       (SAMPLE_ENTERPRISE, SAMPLE_REG_NO)):
                pem = keystore.certificate(enterprise).public_bytes(Encoding.PEM).decode()
                r = http.post("/admin/enterprises", json={"id": enterprise, "reg_no": reg_no,
                                                          "certificate_pem": pem})
                assert r.status_code == 201, r.text
            yield harness
            sftp.close()
    finally:
        transport.close()
        mock.stop()


@pytest.fixture
def harness(tmp_path: Path, pki: Path) -> Iterator[Harness]:
    with running(tmp_path, pki) as h:
        yield h


# ---------------------------------------------------------------------------------------- builders

def year() -> str:
    return f"{datetime.now(CHINA_TZ).year % 100:02d}"


def form_e_data(serial: int = 1, **goods: str) -> dict[str, Any]:
    today = datetime.now(CHINA_TZ).strftime("%Y-%m-%d")
    line = {
        "GoodsItemFlag": "0", "GNo": "1", "HSCode": "610910", "GoodsName": "COTTON T-SHIRTS",
        "GoodsNameE": "COTTON T-SHIRTS",
        "PackQty": "100", "PackUnit": "CTN", "GoodsQty": "1000", "GoodsUnit": "PCS",
        "InvPrice": "1", "InvValue": "1000", "FOBValue": "1000",
        "ICompPrpr": "35", "OriCriteria": "PSR", "OriCriteriaSub": "2",
    }
    line.update(goods)
    return {
        "head": {
            "DocumentNo": f"ERP-{uuid.uuid4().hex[:12]}", "CertNo": f"E{year()}{REG_NO}{serial:04d}",
            "ApplyType": "1", "CertStatus": "0", "CertType": "E", "AplRegNo": REG_NO, "EntUscc": ENTERPRISE,
            "OrgCode": "3100", "FetchPlace": "SHANGHAI", "InvNo": f"INV-{serial}", "InvDate": today,
            "DestCountryCode": "IDN", "Exporter": "SHANGHAI EXAMPLE TEXTILE CO., LTD.",
            "Consignee": "PT CONTOH INDONESIA, JAKARTA", "Mark": "N/M", "LoadPort": "SHANGHAI",
            "UnloadPort": "JAKARTA", "TransMeans": "2", "TransDetails": "FROM SHANGHAI TO JAKARTA BY SEA",
            "IntendExpDate": today, "TradeModeCode": "1", "FOBValue": "1000", "TotalAmt": "1000",
            "PriceTerms": "FOB", "Curr": "USD", "ProducerSertFlag": "0", "ExhibitFlag": "0",
            "ThirdPartyInvFlag": "0",
        },
        "goods": [line], "mod": None, "nonparty": [], "invoices": [], "promises": [],
    }


def envelope(body: Any, *, sender: str = ENTERPRISE, message_id: str | None = None,
             receiver: str = "GACC") -> etree._Element:
    from messages.envelope import EnvelopeHead, wrap

    head = EnvelopeHead(
        message_id=message_id or uuid.uuid4().hex, message_type="CO_APPLICATION", sender_id=sender,
        receiver_id=receiver, send_time=datetime.now(UTC).replace(microsecond=0), version="1.0",
    )
    return wrap(head, body)


def signed_application(h: Harness, data: dict[str, Any], *, sender: str = ENTERPRISE,
                       signer_id: str | None = None, message_id: str | None = None) -> tuple[str, bytes]:
    from messages.certificate import encode

    mid = message_id or uuid.uuid4().hex
    root = h.keystore.signer(signer_id or sender).sign(envelope(encode(data), sender=sender, message_id=mid))
    return mid, etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def read_receipt(h: Harness, content: bytes) -> Any:
    """Verify against the GACC authority certificate (only) and decode."""
    from messages.envelope import unwrap
    from messages.receipt import from_xml
    from signing.xmldsig import Verifier

    verified = Verifier([h.keystore.certificate("GACC")]).verify(content)
    head, body = unwrap(verified)
    assert head.sender_id == "GACC" and head.message_type == "CO_RECEIPT"
    return from_xml(body)


def timeline(h: Harness, message_id: str) -> list[Any]:
    return [read_receipt(h, content) for _, content in h.receipts(message_id)]


def stages(h: Harness, message_id: str) -> list[str]:
    """Tick, then the stage suffixes of the receipts in outbound (``1.xml`` …)."""
    h.tick()
    return [n.rsplit("-", 1)[1] for n, _ in h.receipts(message_id)]


def reason_ids(receipt: Any) -> list[str]:
    return [r.rule_id for r in (receipt.reasons or [])]


# ------------------------------------------------------------------------------------------- tests

def test_valid_form_e_gets_accepted_stored_and_approved_all_signed_by_gacc(harness: Harness) -> None:
    mid, content = signed_application(harness, form_e_data())
    harness.upload(content, f"{mid}.xml")
    result = harness.tick()
    assert result["GACC"]["received"] == [f"{mid}.xml"]
    names = [n for n, _ in harness.receipts(mid)]
    assert names == [f"GACC-{mid}-1.xml", f"GACC-{mid}-2.xml", f"GACC-{mid}-3.xml"]
    accepted, stored, decided = timeline(harness, mid)
    assert type(accepted).__name__ == "ImportResponse"
    assert (accepted.receipt_id, accepted.message_id, str(accepted.result_code)) == (f"GACC-{mid}-1", mid, "0")
    assert (stored.seq_no, stored.status_code, stored.status) == (1, "STORED", "海关入库成功")
    assert stored.text.startswith("0001--报文收到时间:20")
    datetime.strptime(stored.text.split("报文收到时间:")[1], "%Y-%m-%d %H:%M:%S")
    assert (decided.seq_no, decided.status_code, decided.status) == (2, "APPROVED", "申报正确")
    assert decided.text == "审核通过, 可以领证" and decided.cert_no == f"E{year()}{REG_NO}0001"
    observed = harness.observed(mid)
    assert observed["receive_count"] == 1 and observed["decision"] == "APPROVED"
    assert [r["emitted_at"] is not None for r in observed["receipts"]] == [True, True, True]
    # the raw file is kept, the inbound mailbox is empty
    assert harness.sftp.listdir("/inbound") == []
    assert (harness.root / "processed" / f"{mid}.xml").read_bytes() == content


def test_receipts_do_not_verify_against_an_enterprise_certificate(harness: Harness) -> None:
    from signing.errors import SignatureInvalid
    from signing.xmldsig import Verifier

    mid, content = signed_application(harness, form_e_data())
    harness.upload(content, f"{mid}.xml")
    harness.tick()
    _, receipt = harness.receipts(mid)[0]
    with pytest.raises(SignatureInvalid):
        Verifier([harness.keystore.certificate(ENTERPRISE)]).verify(receipt)


def test_bad_origin_criterion_is_returned_with_rule_and_path(harness: Harness) -> None:
    mid, content = signed_application(harness, form_e_data(OriCriteria="WP"))
    harness.upload(content, f"{mid}.xml")
    harness.tick()
    accepted, stored, decided = timeline(harness, mid)
    assert str(accepted.result_code) == "0" and stored.status_code == "STORED"
    assert (decided.status_code, decided.status, decided.text) == ("RETURNED", "退证", "退证")
    [reason] = decided.reasons
    assert reason.rule_id == "AUTH.ORIGIN.E.ALLOWED"
    assert reason.path == "/Certificate/CertificateList/Goods[1]/OriCriteria"
    assert "原产地标准" in reason.message
    assert harness.observed(mid)["decision"] == "RETURNED"


def test_form_e_import_content_rule_is_returned(harness: Harness) -> None:
    mid, content = signed_application(harness, form_e_data(OriCriteria="PSR", OriCriteriaSub="", ICompPrpr="0"))
    harness.upload(content, f"{mid}.xml")
    harness.tick()
    decided = timeline(harness, mid)[-1]
    assert decided.status_code == "RETURNED"
    assert sorted(reason_ids(decided)) == ["AUTH.ORIGIN.E.PSR.RATIO", "AUTH.ORIGIN.E.PSR.SUB"]


def test_unsigned_envelope_fails_at_import(harness: Harness) -> None:
    from messages.certificate import encode

    mid = uuid.uuid4().hex
    content = etree.tostring(envelope(encode(form_e_data()), message_id=mid), xml_declaration=True,
                             encoding="UTF-8")
    harness.upload(content, f"{mid}.xml")
    harness.tick()
    [failed] = timeline(harness, mid)  # nothing follows a failed import
    assert str(failed.result_code) == "1"
    assert "AUTH.SIGNATURE.INVALID" in reason_ids(failed)
    assert harness.observed(mid)["decision"] == "FAILED"


def test_tampered_envelope_fails_at_import(harness: Harness) -> None:
    mid, content = signed_application(harness, form_e_data())
    tampered = content.replace(b"COTTON T-SHIRTS", b"SILK T-SHIRTS!!", 1)
    assert tampered != content
    harness.upload(tampered, f"{mid}.xml")
    harness.tick()
    [failed] = timeline(harness, mid)
    assert str(failed.result_code) == "1" and reason_ids(failed) == ["AUTH.SIGNATURE.INVALID"]


def test_signature_must_match_the_registered_certificate_not_any_trusted_one(harness: Harness) -> None:
    # OTHER is registered and holds a valid CA-issued certificate, but claims to be ENTERPRISE
    mid, content = signed_application(harness, form_e_data(), sender=ENTERPRISE, signer_id=OTHER)
    harness.upload(content, f"{mid}.xml")
    harness.tick()
    [failed] = timeline(harness, mid)
    assert str(failed.result_code) == "1" and reason_ids(failed) == ["AUTH.SIGNATURE.INVALID"]


def test_unregistered_sender_fails_at_import(harness: Harness) -> None:
    mid, content = signed_application(harness, form_e_data(), sender=STRANGER)
    harness.upload(content, f"{mid}.xml")
    harness.tick()
    [failed] = timeline(harness, mid)
    assert str(failed.result_code) == "1"
    assert reason_ids(failed) == ["AUTH.SENDER.UNREGISTERED"]
    assert failed.reasons[0].path == "/Envelope/Head/SenderId"


def test_schema_invalid_body_fails_at_import_with_xsd_reasons(harness: Harness) -> None:
    mid, content = signed_application(harness, form_e_data(HSCode="6109"))  # 4 digits: not an HS code
    harness.upload(content, f"{mid}.xml")
    harness.tick()
    [failed] = timeline(harness, mid)
    assert str(failed.result_code) == "1"
    assert reason_ids(failed) and all(r.startswith("AUTH.XSD.") for r in reason_ids(failed))
    assert any("HSCode" in r.path for r in failed.reasons)


def test_malformed_xml_named_by_message_id_fails_at_import(harness: Harness) -> None:
    mid = uuid.uuid4().hex
    harness.upload(b"<Envelope><unclosed></Envelope>", f"{mid}.xml")
    harness.tick()
    [failed] = timeline(harness, mid)
    assert str(failed.result_code) == "1" and reason_ids(failed) == ["AUTH.XML.MALFORMED"]


def test_duplicate_message_id_is_counted_twice_but_reviewed_once(harness: Harness) -> None:
    mid, content = signed_application(harness, form_e_data())
    harness.upload(content, f"{mid}.xml")
    harness.tick()
    first = [n for n, _ in harness.receipts(mid)]
    harness.upload(content, f"{mid}.xml")  # the gateway retried after a crash
    result = harness.tick()
    assert result["GACC"]["duplicates"] == [mid] and result["GACC"]["emitted"] == []
    assert [n for n, _ in harness.receipts(mid)] == first
    observed = harness.observed(mid)
    assert observed["receive_count"] == 2 and observed["duplicates"] == 1
    assert observed["decision"] == "APPROVED" and len(observed["receipts"]) == 3
    assert sorted(p.name for p in (harness.root / "processed").iterdir()) == [f"{mid}.2.xml", f"{mid}.xml"]


def test_certificate_number_is_unique_while_pending_or_approved(harness: Harness) -> None:
    first, content = signed_application(harness, form_e_data(serial=7))
    harness.upload(content, f"{first}.xml")
    second, content2 = signed_application(harness, form_e_data(serial=7))
    harness.upload(content2, f"{second}.xml")
    harness.tick()
    assert timeline(harness, first)[-1].status_code == "APPROVED"
    decided = timeline(harness, second)[-1]
    assert decided.status_code == "RETURNED" and reason_ids(decided) == ["AUTH.CERTNO.DUPLICATE"]


def test_temp_names_are_never_picked_up(harness: Harness) -> None:
    mid, content = signed_application(harness, form_e_data())
    harness.sftp.putfo(io.BytesIO(content), f"/inbound/.{mid}.xml.tmp")
    result = harness.tick()
    assert result["GACC"]["received"] == []
    assert harness.sftp.listdir("/inbound") == [f".{mid}.xml.tmp"]
    assert harness.http.get(f"/admin/messages/{mid}").status_code == 404
    assert harness.receipts(mid) == []


def test_paths_outside_the_mailbox_jail_are_refused(harness: Harness) -> None:
    with pytest.raises(PermissionError):
        harness.sftp.putfo(io.BytesIO(b"x"), "/../mock_customs.sqlite3")
    with pytest.raises(PermissionError):
        harness.sftp.listdir("/inbound/../..")
    with pytest.raises(PermissionError):
        harness.sftp.stat("../../ssh_host_ed25519_key")


def test_admin_endpoints(harness: Harness) -> None:
    assert harness.http.get("/healthz").json() == {"status": "ok", "authorities": ["GACC"]}
    listed = harness.http.get("/admin/enterprises").json()["enterprises"]
    assert {e["id"] for e in listed} == {ENTERPRISE, OTHER, SAMPLE_ENTERPRISE}
    bad = harness.http.post("/admin/enterprises", json={"id": "X", "reg_no": "12", "certificate_pem": "no"})
    assert bad.status_code == 422 and "reg_no" in bad.json()["error"]
    assert harness.http.get("/admin/messages").json() == {"messages": []}
    assert harness.http.get(f"/admin/messages/{'f' * 32}").status_code == 404
    assert harness.http.get("/admin/nothing").status_code == 404


@pytest.mark.parametrize(
    ("sample", "import_code", "decision", "rules"),
    [
        ("certificate_E_valid.xml", "0", "APPROVED", []),
        ("certificate_C_valid.xml", "0", "APPROVED", []),
        ("certificate_E_bad_origin.xml", "0", "RETURNED", ["AUTH.ORIGIN.E.ALLOWED"]),
        ("certificate_invalid_xsd.xml", "1", None, None),
    ],
)
def test_shared_sample_documents_get_the_authoritys_verdict(
    harness: Harness, sample: str, import_code: str, decision: str | None, rules: list[str] | None
) -> None:
    from messages.safexml import parse

    body = parse((DATA / sample).read_bytes())
    cert_no = body.find("{*}CertificateHead/{*}CertNo")
    assert cert_no is not None and cert_no.text
    cert_no.text = cert_no.text[: -15] + year() + cert_no.text[-13:]  # this year's number
    mid = uuid.uuid4().hex
    signer = harness.keystore.signer(SAMPLE_ENTERPRISE)
    signed = signer.sign(envelope(body, sender=SAMPLE_ENTERPRISE, message_id=mid))
    harness.upload(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"), f"{mid}.xml")
    harness.tick()
    receipts = timeline(harness, mid)
    assert str(receipts[0].result_code) == import_code
    if decision is None:
        assert len(receipts) == 1 and all(r.startswith("AUTH.XSD.") for r in reason_ids(receipts[0]))
        assert {r.path for r in receipts[0].reasons} >= {"/Certificate/CertificateList/Goods[2]/HSCode"}
    else:
        assert receipts[-1].status_code == decision and reason_ids(receipts[-1]) == rules


def test_stage_delays_are_kept_by_the_emission_queue(tmp_path: Path, pki: Path) -> None:
    clock = Clock()
    with running(tmp_path, pki, StageDelays(stored=30, decision=120), clock) as h:
        mid, content = signed_application(h, form_e_data())
        h.upload(content, f"{mid}.xml")

        assert stages(h, mid) == ["1.xml"]
        clock.now += timedelta(seconds=29)
        assert stages(h, mid) == ["1.xml"]
        clock.now += timedelta(seconds=1)
        assert stages(h, mid) == ["1.xml", "2.xml"]
        clock.now += timedelta(seconds=119)
        assert stages(h, mid) == ["1.xml", "2.xml"]
        clock.now += timedelta(seconds=1)
        assert stages(h, mid) == ["1.xml", "2.xml", "3.xml"]
        assert [type(r).__name__ for r in timeline(h, mid)] == ["ImportResponse", "BusinessReceipt",
                                                                "BusinessReceipt"]
        due = [r["due_at"] for r in h.observed(mid)["receipts"]]
        assert [datetime.fromisoformat(d) - datetime.fromisoformat(due[0]) for d in due] == [
            timedelta(0), timedelta(seconds=30), timedelta(seconds=150)]


def test_the_emission_queue_survives_a_restart(tmp_path: Path, pki: Path) -> None:
    clock = Clock()
    with running(tmp_path, pki, StageDelays(stored=10, decision=10), clock) as h:
        mid, content = signed_application(h, form_e_data())
        h.upload(content, f"{mid}.xml")
        assert h.tick()["GACC"]["emitted"] == [f"GACC-{mid}-1.xml"]
        host_key = h.mock.host_public_key
    clock.now += timedelta(seconds=60)
    with running(tmp_path, pki, StageDelays(stored=10, decision=10), clock) as h:
        assert h.mock.host_public_key == host_key  # the pinned host key did not change
        assert h.tick()["GACC"]["emitted"] == []  # start() caught up before serving
        assert [n for n, _ in h.receipts(mid)] == [f"GACC-{mid}-{stage}.xml" for stage in (1, 2, 3)]
        assert [r.seq_no for r in timeline(h, mid)[1:]] == [1, 2]


def test_reemit_policy_writes_the_same_receipts_again_for_a_duplicate(tmp_path: Path, pki: Path) -> None:
    with running(tmp_path, pki, duplicate_policy="reemit") as h:
        mid, content = signed_application(h, form_e_data())
        h.upload(content, f"{mid}.xml")
        h.tick()
        first = h.receipts(mid)
        for name, _ in first:
            h.sftp.remove(f"/outbound/{name}")  # the gateway fetched and acked them
        h.upload(content, f"{mid}.xml")
        result = h.tick()
        assert result["GACC"]["duplicates"] == [mid]
        again = h.receipts(mid)
        assert [n for n, _ in again] == [n for n, _ in first]
        assert [read_receipt(h, c) for _, c in again] == [read_receipt(h, c) for _, c in first]
        assert h.observed(mid)["receive_count"] == 2


def test_the_loop_emits_delayed_receipts_when_they_fall_due(tmp_path: Path, pki: Path) -> None:
    import time

    with running(tmp_path, pki, StageDelays(stored=0.2, decision=0.3)) as h:  # poll interval: one hour
        mid, content = signed_application(h, form_e_data())
        h.upload(content, f"{mid}.xml")
        assert h.tick()["GACC"]["emitted"] == [f"GACC-{mid}-1.xml"]
        deadline = time.monotonic() + 15
        emitted: list[bool] = []
        while time.monotonic() < deadline:  # bounded poll of the admin view, as a client would
            emitted = [r["emitted_at"] is not None for r in h.observed(mid)["receipts"]]
            if all(emitted):
                break
            time.sleep(0.05)
        assert emitted == [True, True, True]
        assert [type(r).__name__ for r in timeline(h, mid)] == ["ImportResponse", "BusinessReceipt",
                                                                "BusinessReceipt"]
