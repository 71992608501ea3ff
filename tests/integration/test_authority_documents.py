"""Documents the authority sends on its own are stored once as inbound messages of the addressed enterprise."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from adapters.memory import MemoryTransport
from gateway.db import models as m
from gateway.db.store import SqlTransaction
from gateway.demo import sample_bytes
from gateway.services.ports import EnterpriseInfo, MessageInfo
from gateway.services.receipts import ingest_receipts
from messages import envelope
from signing.xmldsig import Verifier
from tests.integration.world import ENT, World

FAMILIES = Path(__file__).resolve().parents[1] / "data" / "families"


def authority_document(world: World, name: str, *, message_id: str, receiver: str = ENT.id,
                       signer: str = "GACC", message_type: str = "GACC_VERIFICATION_RECORD",
                       sender: str = "GACC", replace: tuple[str, str] | None = None) -> bytes:
    text = (FAMILIES / name).read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    body = etree.fromstring(text.encode("utf-8"))
    head = envelope.EnvelopeHead(message_id=message_id, message_type=message_type, sender_id=sender,
                                 receiver_id=receiver, send_time=world.clock.now())
    return envelope.to_bytes(world.keys.signer(signer).sign(envelope.wrap(head, body)))


def race_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The other poller's view: its first look-up ran before the first poller committed (then it sees it)."""
    real = SqlTransaction.message_by_message_id
    calls = {"n": 0}

    def first_misses(self: SqlTransaction, message_id: str) -> MessageInfo | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(self, message_id)

    monkeypatch.setattr(SqlTransaction, "message_by_message_id", first_misses)


def quarantined(world: World) -> int:
    with world.store.transaction() as tx:
        return int(tx.s.scalar(select(func.count()).select_from(m.QuarantinedFile)))


def quarantine_reasons(world: World) -> list[str]:
    with world.store.transaction() as tx:
        return list(tx.s.scalars(select(m.QuarantinedFile.reason).order_by(m.QuarantinedFile.id)))


def test_a_verification_record_is_stored_for_its_enterprise_once(world: World) -> None:
    raw = authority_document(world, "gacc_verification/inbound_record_pending.xml", message_id="a" * 32)
    world.transport.deliver("GACC-INIT-a-1.xml", raw)
    report = world.ingest()
    assert (report.applied, report.quarantined) == (1, 0)
    view = world.view("a" * 32)
    assert view["message_type"] == "GACC_VERIFICATION_RECORD" and view["family"] == "gacc_verification"
    assert view["authority"] == "GACC" and view["state"] == "DONE"
    assert [e["to"] for e in view["events"]] == ["RECEIVED", "DONE"]
    with world.store.transaction() as tx:
        assert tx.payload(tx.message_by_message_id("a" * 32).pk, "raw") == raw  # type: ignore[union-attr]
    assert world.transport.inbox == []  # acknowledged after storing

    world.transport.deliver("GACC-INIT-a-1.xml", raw)  # fetched again (a lost ack): nothing new
    report = world.ingest()
    assert (report.applied, report.duplicates, report.quarantined) == (0, 1, 0)


def test_an_answer_document_keeps_the_number_of_the_document_it_answers(world: World) -> None:
    raw = authority_document(world, "co_status/inbound_export_status_response.xml", message_id="b" * 32,
                             message_type="EXPORT_CO_STATUS_RESPONSE")
    world.transport.deliver("r.xml", raw)
    assert world.ingest().applied == 1
    assert world.view("b" * 32)["document_no"] == "COQ-EXP-2026-0001"


def test_unknown_receiver_wrong_signer_or_reused_id_is_quarantined_not_stored(world: World) -> None:
    name = "gacc_blankform/inbound_allocation.xml"
    world.transport.deliver("x.xml", authority_document(world, name, message_id="c" * 32,
                                                        receiver="91110000100000000X"))
    world.transport.deliver("y.xml", authority_document(world, name, message_id="d" * 32, signer=ENT.id))
    # signed by GACC (the signature verifies) but naming CCPIT as its sender
    world.transport.deliver("w.xml", authority_document(world, name, message_id="9" * 32, sender="CCPIT"))
    first = authority_document(world, name, message_id="e" * 32)
    world.transport.deliver("z.xml", first)
    report = world.ingest()
    assert (report.applied, report.quarantined) == (1, 3)
    assert any(r == "document signed for GACC names sender CCPIT" for r in quarantine_reasons(world))
    world.clock.t += timedelta(days=366)  # same id, other content (the range); never a 29 February problem
    world.transport.deliver("z2.xml", authority_document(world, name, message_id="e" * 32,
                                                         replace=("2600012100", "2600012099")))
    report = world.ingest()
    assert (report.applied, report.quarantined) == (0, 1)
    assert quarantined(world) == 4
    with world.store.transaction() as tx:
        for mid in ("c", "d", "9"):
            assert tx.message_by_message_id(mid * 32) is None


def test_a_concurrent_poller_storing_it_first_counts_as_a_duplicate(world: World,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    raw = authority_document(world, "gacc_selfprint/inbound_layout_notice.xml", message_id="f" * 32,
                             message_type="PRINT_LAYOUT_NOTICE")
    world.transport.deliver("l.xml", raw)
    assert world.ingest().applied == 1
    race_once(monkeypatch)  # it looked before the first one committed, so it tries to insert as well
    world.transport.deliver("l.xml", raw)
    report = world.ingest()
    assert (report.applied, report.duplicates, report.quarantined) == (0, 1, 0)
    assert quarantined(world) == 0


def test_a_different_copy_a_concurrent_poller_stored_first_is_quarantined(world: World,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    name = "gacc_blankform/inbound_allocation.xml"
    first = authority_document(world, name, message_id="f" * 32, message_type="BLANK_FORM_ALLOCATION")
    world.transport.deliver("a.xml", first)
    assert world.ingest().applied == 1
    other = authority_document(world, name, message_id="f" * 32, message_type="BLANK_FORM_ALLOCATION",
                               replace=("2600012100", "2600012099"))
    race_once(monkeypatch)
    world.transport.deliver("b.xml", other)
    report = world.ingest()
    assert (report.applied, report.duplicates, report.quarantined) == (0, 0, 1)
    assert quarantine_reasons(world) == [f"authority document {'f' * 32} seen before with different content"]
    assert world.transport.inbox == []  # kept in quarantine, so it may be acknowledged


def test_a_copy_signed_again_with_a_new_send_time_is_a_duplicate(world: World) -> None:
    name = "gacc_blankform/inbound_allocation.xml"
    first = authority_document(world, name, message_id="1" * 32, message_type="BLANK_FORM_ALLOCATION")
    world.transport.deliver("a.xml", first)
    assert world.ingest().applied == 1
    world.clock.t += timedelta(minutes=5)  # the authority re-sends it: new SendTime, new signature
    again = authority_document(world, name, message_id="1" * 32, message_type="BLANK_FORM_ALLOCATION")
    assert again != first
    world.transport.deliver("a.xml", again)
    report = world.ingest()
    assert (report.applied, report.duplicates, report.quarantined) == (0, 1, 0)


def test_a_message_id_too_long_for_the_gateway_is_quarantined_saying_so(world: World) -> None:
    raw = authority_document(world, "gacc_blankform/inbound_allocation.xml", message_id="a" * 33,
                             message_type="BLANK_FORM_ALLOCATION")
    world.transport.deliver("long.xml", raw)
    report = world.ingest()
    assert (report.applied, report.quarantined) == (0, 1)
    assert quarantine_reasons(world) == [f"authority document MessageId {'a' * 33!r} is not 1-32 characters"]


@pytest.mark.parametrize(("name", "message_type", "replace", "says"), [
    ("gacc_verification/inbound_record_pending.xml", "GACC_VERIFICATION_RECORD",
     ("<Uscc>91350100M000100Y43</Uscc>", "<Uscc>91110000100000000X</Uscc>"), "names enterprise 91110000100000000X"),
    ("gacc_blankform/inbound_allocation.xml", "BLANK_FORM_ALLOCATION",
     ("<AplRegNo>350100001</AplRegNo>", "<AplRegNo>110000001</AplRegNo>"), "CO registration number 110000001"),
    ("gacc_enterprise/inbound_sync_receipt.xml", "GACC_ENTERPRISE_SYNC_RECEIPT",
     ("<Uscc>91350100M000100Y43</Uscc>", "<Uscc>91110000100000000X</Uscc>"), "names enterprise"),
])
def test_a_document_about_another_enterprise_is_quarantined(world: World, name: str, message_type: str,
                                                            replace: tuple[str, str], says: str) -> None:
    world.transport.deliver("x.xml", authority_document(world, name, message_id="2" * 32, message_type=message_type,
                                                        replace=replace))
    world.transport.deliver("y.xml", authority_document(world, name, message_id="3" * 32, message_type=message_type))
    report = world.ingest()
    assert (report.applied, report.quarantined) == (1, 1)  # the unchanged one is ENT's
    [reason] = quarantine_reasons(world)
    assert says in reason and message_type in reason
    with world.store.transaction() as tx:
        assert tx.message_by_message_id("2" * 32) is None


def test_a_notice_about_a_certificate_of_another_enterprise_is_quarantined(world: World) -> None:
    other = EnterpriseInfo("91110000100000000X", "Other", "110000001")
    with world.store.transaction() as tx:
        tx.add_enterprise(other)
    assert world.accept(sample_bytes("form_e_approved.xml")).outcome == "accepted"  # ENT's E263501000010001
    name = "gacc_selfprint/inbound_layout_notice.xml"
    cert = ("A263501000010003", "E263501000010001")
    world.transport.deliver("o.xml", authority_document(world, name, message_id="4" * 32, receiver=other.id,
                                                        message_type="PRINT_LAYOUT_NOTICE", replace=cert))
    world.transport.deliver("e.xml", authority_document(world, name, message_id="5" * 32,
                                                        message_type="PRINT_LAYOUT_NOTICE", replace=cert))
    report = world.ingest()
    assert (report.applied, report.quarantined) == (1, 1)
    assert "certificate E263501000010001" in quarantine_reasons(world)[0]
    assert world.view("5" * 32)["message_type"] == "PRINT_LAYOUT_NOTICE"


def test_a_gacc_document_signed_by_ccpit_is_quarantined(world: World) -> None:
    raw = authority_document(world, "gacc_blankform/inbound_allocation.xml", message_id="6" * 32,
                             message_type="BLANK_FORM_ALLOCATION", signer="CCPIT", sender="CCPIT")
    transport = MemoryTransport()
    transport.deliver("c.xml", raw)
    report = ingest_receipts(world.store, {"CCPIT": transport}, {"CCPIT": Verifier([world.keys.certificate("CCPIT")])},
                             world.clock)
    assert (report.applied, report.quarantined) == (0, 1)
    assert quarantine_reasons(world) == ["BLANK_FORM_ALLOCATION is sent by GACC, but this one is signed by CCPIT"]
