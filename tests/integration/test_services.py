"""Intake, dispatch and receipt ingestion against a real database (SQLite and PostgreSQL), the real
validator and real signatures; the transport is the in-memory fake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from lxml import etree

from adapters.base import OutboundFile, SendResult, TransportError
from adapters.memory import MemoryTransport
from gateway.demo import sample_bytes
from gateway.services.ports import EnterpriseInfo
from gateway.services.receipts import ingest_receipts
from messages import envelope, receipt
from signing.xmldsig import Verifier
from tests.integration.world import ENT, World


def test_same_document_twice_is_one_message_and_changed_content_conflicts(world: World) -> None:
    first = world.accept(sample_bytes("form_e_approved.xml"))
    again = world.accept(sample_bytes("form_e_approved.xml"))
    assert first.outcome == "accepted" and first.state == "QUEUED"
    assert again.outcome == "duplicate" and again.message_id == first.message_id
    changed = sample_bytes("form_e_approved.xml").replace(b"</Mark>", b" v2</Mark>", 1)
    assert changed != sample_bytes("form_e_approved.xml")
    conflict = world.accept(changed)
    assert conflict.outcome == "conflict" and conflict.message_id == first.message_id


def test_xsd_invalid_input_is_kept_as_rejected_with_located_errors(world: World) -> None:
    result = world.accept(sample_bytes("general_co_xsd_invalid.xml"))
    assert result.outcome == "rejected" and result.state == "REJECTED"
    hs = [i for i in result.issues if i.path.endswith("/HSCode")]
    assert hs and hs[0].rule.startswith("XSD.") and hs[0].line
    view = world.view(result.message_id)  # type: ignore[arg-type]
    assert view["state"] == "REJECTED" and len(view["errors"]) == len(result.issues)
    assert world.dispatch().claimed == 0  # nothing is sent


def test_business_rule_violation_names_rule_path_line_and_chinese_field(world: World) -> None:
    raw = sample_bytes("form_e_approved.xml").replace(b"<OriCriteria>WO</OriCriteria>",
                                                      b"<OriCriteria>P</OriCriteria>", 1)
    result = world.accept(raw)
    assert result.outcome == "rejected"
    issue = next(i for i in result.issues if i.rule == "ORIGIN.E.ALLOWED")
    assert issue.path == "/Certificate/CertificateList/Goods[1]/OriCriteria"
    assert issue.line and b"<OriCriteria>P<" in raw.splitlines()[issue.line - 1]
    assert issue.field_cn == "原产地标准"


def test_an_enterprise_cannot_declare_under_another_registration_number(world: World) -> None:
    raw = sample_bytes("form_e_approved.xml").replace(b"<AplRegNo>350100001<", b"<AplRegNo>999999999<")
    result = world.accept(raw)
    assert result.outcome == "rejected"
    assert "INTAKE.APLREGNO_NOT_YOURS" in {i.rule for i in result.issues}


def test_dispatch_signs_once_and_uploads_under_the_message_id(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    report = world.dispatch()
    assert (report.claimed, report.sent) == (1, 1)
    sent = world.transport.sent[f"{mid}.xml"]
    verified = Verifier([world.keys.certificate(ENT.id)]).verify(sent.content)
    head, body = envelope.unwrap(verified)
    assert head.message_id == mid and head.sender_id == ENT.id and head.receiver_id == "GACC"
    assert etree.QName(body).localname == "Certificate"
    view = world.view(mid)  # type: ignore[arg-type]
    assert view["state"] == "SENT" and view["document"]["status"] == "SENT_TO_CUSTOMS"
    assert world.dispatch().claimed == 0


def test_transient_failure_waits_then_resends_identical_bytes(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.transport.fail_next("send", TransportError("connection reset", transient=True))
    report = world.dispatch()
    assert report.retrying == 1
    view = world.view(mid)  # type: ignore[arg-type]
    assert view["state"] == "RETRY_WAIT" and "connection reset" in view["last_error"]
    with world.store.transaction() as tx:
        first_signed = tx.payload(tx.message_by_message_id(mid).pk, "signed")  # type: ignore[union-attr, arg-type]
    assert world.dispatch().claimed == 0  # not due yet
    world.clock.t += timedelta(seconds=11)
    assert world.dispatch().sent == 1
    assert world.transport.sent[f"{mid}.xml"].content == first_signed


def test_permanent_failure_and_exhausted_retries_end_failed(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.transport.fail_next("send", TransportError("permission denied", transient=False))
    assert world.dispatch().failed == 1
    assert world.view(mid)["state"] == "FAILED"  # type: ignore[arg-type]

    mid2 = world.accept(sample_bytes("general_co_approved.xml")).message_id
    for _ in range(3):
        world.transport.fail_next("send", TransportError("timeout", transient=True))
        world.dispatch()
        world.clock.t += timedelta(minutes=10)
    view = world.view(mid2)  # type: ignore[arg-type]
    assert view["state"] == "FAILED" and view["attempts"] == 3
    assert "gave up after 3 attempts" in view["events"][-1]["reason"]


def _receipts(world: World, mid: str) -> dict[str, bytes]:
    now = world.clock.now()
    return {
        "import": world.authority_receipt(receipt.ImportResponse(f"GACC-{mid}-0", mid, "0", "accepted", now)),
        "stored": world.authority_receipt(receipt.BusinessReceipt(
            f"GACC-{mid}-1", mid, "E263501000010001", 1, "STORED", "海关入库成功",
            "0001--报文收到时间:2026-11-23 18:00:00", now)),
        "approved": world.authority_receipt(receipt.BusinessReceipt(
            f"GACC-{mid}-2", mid, "E263501000010001", 2, "APPROVED", "审核通过", "审核通过, 可以领证", now)),
    }


def test_receipts_move_message_and_document_and_are_applied_once(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    r = _receipts(world, mid)  # type: ignore[arg-type]
    world.transport.deliver("a.xml", r["import"])
    world.transport.deliver("b.xml", r["stored"])
    assert world.ingest().applied == 2
    view = world.view(mid)  # type: ignore[arg-type]
    assert view["state"] == "ACKNOWLEDGED" and view["document"]["status"] == "STORED"
    world.transport.deliver("c.xml", r["approved"])
    world.transport.deliver("c-again.xml", r["approved"])  # the authority sent it twice
    report = world.ingest()
    assert (report.applied, report.duplicates) == (1, 1)
    view = world.view(mid)  # type: ignore[arg-type]
    assert view["state"] == "DONE" and view["document"]["status"] == "APPROVED"
    assert world.transport.inbox == []  # everything acknowledged after it was stored


def test_the_certificate_number_an_approval_carries_is_shown_with_the_receipt(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    now = world.clock.now()
    assigned = "26E350100001/00031"  # CCPIT numbers the certificate when it approves it
    world.transport.deliver("a.xml", world.authority_receipt(receipt.BusinessReceipt(
        f"GACC-{mid}-2", mid, assigned, 2, "APPROVED", "审核通过", "审核通过, 可以领证", now)))
    world.transport.deliver("b.xml", world.authority_receipt(receipt.ImportResponse(f"GACC-{mid}-0", mid, "0",
                                                                                     "accepted", now)))
    assert world.ingest().applied == 2
    with world.store.transaction() as tx:
        timeline = tx.receipts_view(ENT.id, mid)  # type: ignore[arg-type]
    assert timeline is not None
    assert {r["kind"]: r["cert_no"] for r in timeline} == {"local": None, "import_response": None, "business": assigned}


def test_late_stored_receipt_does_not_undo_approval(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    r = _receipts(world, mid)  # type: ignore[arg-type]
    world.transport.deliver("c.xml", r["approved"])
    world.ingest()
    world.transport.deliver("b.xml", r["stored"])
    world.ingest()
    view = world.view(mid)  # type: ignore[arg-type]
    assert view["state"] == "DONE" and view["document"]["status"] == "APPROVED"


def test_unverifiable_or_uncorrelated_receipts_go_to_quarantine_and_are_acked(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    r = _receipts(world, mid)  # type: ignore[arg-type]
    tampered = r["approved"].replace("审核通过".encode(), "退证".encode(), 1)
    world.transport.deliver("t.xml", tampered)
    wrong_key = world.authority_receipt(receipt.BusinessReceipt(
        f"GACC-{mid}-9", mid, "X", 2, "APPROVED", "审核通过", "", world.clock.now()), signer=ENT.id)
    world.transport.deliver("w.xml", wrong_key)
    orphan = world.authority_receipt(receipt.ImportResponse("GACC-orphan", "f" * 32, "0", "ok", world.clock.now()))
    world.transport.deliver("o.xml", orphan)
    report = world.ingest()
    assert (report.applied, report.quarantined) == (0, 3)
    assert world.view(mid)["document"]["status"] == "SENT_TO_CUSTOMS"  # type: ignore[arg-type]
    assert world.transport.inbox == []


def test_failed_ack_is_harmless_the_file_comes_back_as_a_duplicate(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    world.transport.deliver("a.xml", _receipts(world, mid)["import"])  # type: ignore[arg-type]
    world.transport.fail_next("ack", TransportError("connection dropped", transient=True))
    first = world.ingest()
    assert (first.applied, first.errors) == (1, 1) and world.transport.inbox == ["a.xml"]
    second = world.ingest()
    assert (second.applied, second.duplicates) == (0, 1) and world.transport.inbox == []


class _SendHook(MemoryTransport):
    """Runs `hook` inside send(), after the file has landed: the moment a crash or a race would hit."""

    def __init__(self, hook: Callable[[], None]) -> None:
        super().__init__()
        self.hook = hook

    def send(self, item: OutboundFile) -> SendResult:
        result = super().send(item)
        self.hook()
        return result


def test_outcome_arriving_before_sent_is_recorded_wins_and_is_not_undone(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    inbox = MemoryTransport()

    def receipts_race_the_worker() -> None:
        for body in _receipts(world, mid).values():  # type: ignore[arg-type]
            inbox.deliver(f"{len(inbox.inbox)}.xml", body)
        verifiers = {"GACC": Verifier([world.keys.certificate("GACC")])}
        ingest_receipts(world.store, {"GACC": inbox}, verifiers, world.clock)

    world.transport = _SendHook(receipts_race_the_worker)
    world.dispatch()
    view = world.view(mid)  # type: ignore[arg-type]
    assert view["state"] == "DONE" and view["document"]["status"] == "APPROVED"
    assert "SENT" not in [e["to"] for e in view["events"]]  # the late SENT was refused, not recorded


def test_import_failure_fails_the_message_and_marks_the_document(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    failed = receipt.ImportResponse(f"GACC-{mid}-0", mid, "1", "报文导入失败", world.clock.now(),  # type: ignore[arg-type]
                                    (receipt.Reason("AUTH.SIGNATURE.INVALID", "/Envelope/Signature", "bad"),))
    world.transport.deliver("f.xml", world.authority_receipt(failed))
    world.ingest()
    view = world.view(mid)  # type: ignore[arg-type]
    assert view["state"] == "FAILED" and view["last_error"] == "报文导入失败"
    assert view["document"]["status"] == "IMPORT_FAILED"
    assert view["document"]["reasons"][0]["rule_id"] == "AUTH.SIGNATURE.INVALID"


def test_a_bad_receipt_is_quarantined_and_does_not_block_the_next_one(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    now = world.clock.now()
    unknown_status = world.authority_receipt(receipt.BusinessReceipt(
        f"GACC-{mid}-1", mid, "E263501000010001", 1, "CANCELLED", "?", "", now))
    world.transport.deliver("a-bad.xml", unknown_status)
    world.transport.deliver("b-good.xml", _receipts(world, mid)["import"])  # type: ignore[arg-type]
    report = world.ingest()
    assert (report.quarantined, report.applied) == (1, 1)
    assert world.transport.inbox == []
    assert world.view(mid)["state"] == "ACKNOWLEDGED"  # type: ignore[arg-type]


def test_known_receipt_id_with_different_content_is_quarantined_not_dropped(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    r = _receipts(world, mid)  # type: ignore[arg-type]
    world.transport.deliver("a.xml", r["approved"])
    world.ingest()
    now = world.clock.now()
    same_id_other_outcome = world.authority_receipt(receipt.BusinessReceipt(
        f"GACC-{mid}-2", mid, "E263501000010001", 2, "RETURNED", "退证", "退证", now))
    world.transport.deliver("b.xml", same_id_other_outcome)
    report = world.ingest()
    assert (report.quarantined, report.duplicates, report.applied) == (1, 0, 0)
    view = world.view(mid)  # type: ignore[arg-type]
    assert view["document"]["status"] == "APPROVED" and view["document"]["reasons"] == []


def test_a_message_that_cannot_be_signed_fails_without_stranding_the_batch(world: World) -> None:
    good = world.accept(sample_bytes("form_e_approved.xml")).message_id
    with world.store.transaction() as tx:
        tx.add_enterprise(EnterpriseInfo("NOKEY0000000000001", "No key Co", "350100009"))
    from gateway.services.intake import accept_message
    from messages.validate import get_validator

    raw = sample_bytes("general_co_approved.xml").replace(b"350100001", b"350100009")
    nokey = accept_message(world.store, get_validator(), world.clock, enterprise_id="NOKEY0000000000001", raw=raw)
    assert nokey.outcome == "accepted", nokey.issues
    report = world.dispatch()
    assert (report.sent, report.failed) == (1, 1)
    assert f"{good}.xml" in world.transport.sent
    with world.store.transaction() as tx:
        view = tx.message_view("NOKEY0000000000001", nokey.message_id)  # type: ignore[arg-type]
    assert view is not None and view["state"] == "FAILED" and "KeyStoreError" in view["last_error"]


def test_no_upload_after_the_lease_was_lost(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    real_keys = world.keys

    class SlowSigner:
        """Signing takes longer than the lease; meanwhile another worker reclaims the message."""

        def signer(self, party_id: str) -> object:
            later = world.clock.now() + timedelta(minutes=5)
            with world.store.transaction() as tx:
                tx.claim_due(now=later, owner="w2", lease_until=later + timedelta(minutes=1), limit=5)
            return real_keys.signer(party_id)

    world.keys = SlowSigner()  # type: ignore[assignment]
    world.dispatch()
    assert world.transport.sent == {}  # w1 no longer owns it, so w1 does not upload
    events = world.view(mid)["events"]  # type: ignore[arg-type]
    assert events[-1]["actor"] == "w2" and events[-1]["to"] == "SENDING"


def test_retry_after_from_the_server_is_honoured(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.transport.fail_next("send", TransportError("503 maintenance", transient=True, retry_after=120.0))
    world.dispatch()  # our own backoff would retry after ≤ 10 s
    world.clock.t += timedelta(seconds=60)
    assert world.dispatch().claimed == 0
    world.clock.t += timedelta(seconds=61)
    assert world.dispatch().sent == 1
    waits = [e["reason"] for e in world.view(mid)["events"] if e["to"] == "RETRY_WAIT"]  # type: ignore[arg-type]
    assert len(waits) == 1 and "retry in 120.0s" in waits[0]
