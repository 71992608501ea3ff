"""What the gateway does with each mock_customs fault scenario (docs/mock_customs.md, "Scenarios and faults").

Every test runs the real mock process with one scenario on, drives the gateway's own services (real
database, real SFTP or HTTP transport, the test's clock) and checks that the message ends in its correct
terminal state, that the mock reviewed it once, and what the gateway did on the way: retries, waiting
for Retry-After, deduplication, forward-only status, quarantine.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.faultbed import FaultBed

Bed = Any  # the bed_factory fixture: (transport, *scenarios, seed=, timeout=) -> FaultBed

BUSINESS = [(0, "SENT"), (1, "STORED"), (2, "APPROVED")]


def business(view: dict[str, Any]) -> list[tuple[int, str]]:
    return [(r["seq_no"], r["status_code"]) for r in view["receipts"] if r["kind"] != "import_response"]


def assert_approved_once(bed: FaultBed, mid: str, view: dict[str, Any]) -> dict[str, Any]:
    """The correct end for the approved sample: DONE / APPROVED, one row per receipt, one review at the mock."""
    assert view["state"] == "DONE", view["events"]
    assert view["document"]["status"] == "APPROVED"
    assert business(view) == BUSINESS
    assert [r["status_code"] for r in view["receipts"] if r["kind"] == "import_response"] == ["IMPORTED"]
    observed = bed.observed(mid)
    assert observed["decision"] == "APPROVED"
    assert [r["emit_count"] for r in observed["receipts"]] == [1, 1, 1]  # reviewed and answered once
    states = [e["to"] for e in view["events"]]
    assert states.count("DONE") == 1 and states[-1] == "DONE"
    return observed


def assert_mailbox_drained(bed: FaultBed) -> None:
    if bed.transport == "sftp":
        assert bed.outbound_files() == []
    else:
        assert bed.unacked_feed() == []


# ------------------------------------------------------------------------------------------- receipts


@pytest.mark.parametrize("transport", ["sftp", "http"])
def test_duplicate_receipts_are_stored_once_and_every_copy_acknowledged(bed_factory: Bed, transport: str) -> None:
    bed = bed_factory(transport, "duplicate_receipts:copies=2")
    mid = bed.accept()
    assert bed.dispatch().sent == 1
    bed.tick()
    report = bed.ingest()
    assert (report.fetched, report.applied, report.duplicates, report.quarantined) == (9, 3, 6, 0)
    assert_approved_once(bed, mid, bed.view(mid))
    assert bed.fired() == {"duplicate_receipts": 3}
    assert bed.quarantined() == []
    assert_mailbox_drained(bed)
    again = bed.ingest()
    assert (again.fetched, again.applied) == (0, 0)


@pytest.mark.parametrize(("transport", "sample", "final"), [
    ("sftp", "form_e_approved.xml", "APPROVED"),
    ("http", "form_e_returned.xml", "RETURNED"),
])
def test_out_of_order_receipts_only_move_the_message_forward(bed_factory: Bed, transport: str, sample: str,
                                                             final: str) -> None:
    bed = bed_factory(transport, "out_of_order_receipts")
    mid = bed.accept(sample)
    bed.dispatch()
    bed.tick()
    # one receipt per pass, in the order the mailbox offers them: the decision comes first
    assert bed.ingest(limit=1).applied == 1
    first = bed.view(mid)
    assert first["state"] == "DONE" and first["document"]["status"] == final
    assert [(r["seq_no"], r["status_code"]) for r in first["receipts"]][-1] == (2, final)
    assert bed.ingest(limit=1).applied == 1  # STORED, late
    assert bed.ingest(limit=1).applied == 1  # the ImportResponse, last
    view = bed.view(mid)
    assert view["state"] == "DONE" and view["document"]["status"] == final  # nothing moved back
    assert business(view) == [(0, "SENT"), (1, "STORED"), (2, final)]
    assert [e["to"] for e in view["events"]][-2:] == ["ACKNOWLEDGED", "DONE"]  # no event after DONE
    if final == "RETURNED":
        assert view["document"]["reasons"] and view["document"]["reasons"][0]["rule_id"].startswith("AUTH.")
    assert bed.fired() == {"out_of_order_receipts": 1}
    assert bed.quarantined() == []
    assert_mailbox_drained(bed)


@pytest.mark.parametrize(("transport", "mode"), [("sftp", "truncated"), ("http", "garbage")])
def test_malformed_receipts_are_quarantined_raw_and_do_not_block_the_mailbox(bed_factory: Bed, transport: str,
                                                                             mode: str) -> None:
    bed = bed_factory(transport, f"malformed_receipts:mode={mode},stage=2")
    mid = bed.accept()
    bed.dispatch()
    bed.tick()
    report = bed.ingest()
    assert (report.applied, report.quarantined) == (3, 1)  # the genuine receipts behind it still went through
    assert_approved_once(bed, mid, bed.view(mid))
    [kept] = bed.quarantined()
    assert kept.file_name.endswith(f"GACC-{mid}-2.broken.xml")
    assert kept.content_sha256 == hashlib.sha256(kept.content).hexdigest()
    if mode == "garbage":
        assert kept.content.startswith(b"\x00\xffthis is not XML")
    else:
        assert kept.content.startswith(b"<?xml") and b"</Envelope>" not in kept.content
    assert "XML" in kept.reason or "xml" in kept.reason
    assert bed.fired() == {"malformed_receipts": 1}
    assert_mailbox_drained(bed)


@pytest.mark.parametrize("transport", ["sftp", "http"])
def test_receipts_signed_with_the_wrong_key_are_quarantined_and_the_genuine_ones_applied(bed_factory: Bed,
                                                                                        transport: str) -> None:
    bed = bed_factory(transport, "wrong_key_receipts")
    mid = bed.accept()
    bed.dispatch()
    bed.tick()
    report = bed.ingest()
    assert (report.applied, report.quarantined) == (3, 3)
    assert_approved_once(bed, mid, bed.view(mid))
    kept = bed.quarantined()
    assert sorted(k.file_name.rsplit("/", 1)[-1] for k in kept) == [f"GACC-{mid}-{n}.forged.xml" for n in (1, 2, 3)]
    assert all("SignatureInvalid" in k.reason for k in kept)
    assert all(b"<ds:Signature" in k.content for k in kept)  # signed, just not by the pinned GACC key
    impostor = bed.state_dir / "scenarios" / "impostor-GACC.key"
    assert impostor.exists() and impostor.stat().st_mode & 0o077 == 0  # throwaway key in the mock's state
    assert bed.fired() == {"wrong_key_receipts": 3}
    assert_mailbox_drained(bed)


def test_delayed_receipts_keep_the_message_acknowledged_until_they_come(bed_factory: Bed) -> None:
    bed = bed_factory("sftp", "delays:seconds=1")
    mid = bed.accept()
    bed.dispatch()
    assert bed.tick()["emitted"] == [f"GACC-{mid}-1.xml"]  # only the ImportResponse is out
    bed.ingest()
    waiting = bed.view(mid)
    assert waiting["state"] == "ACKNOWLEDGED" and waiting["document"]["status"] == "SENT_TO_CUSTOMS"
    due = [r["due_at"] for r in bed.observed(mid)["receipts"]]
    assert due[1] > due[0]  # the mock holds stage 2 (and so stage 3) back
    bed.wait_emitted(mid, 3)  # the mock's own loop emits them when due
    assert bed.ingest().applied == 2
    assert_approved_once(bed, mid, bed.view(mid))
    assert bed.fired() == {"delays": 1}


# ------------------------------------------------------------------------------------------------ SFTP


def test_upload_cut_mid_transfer_is_retried_with_the_same_message_id(bed_factory: Bed) -> None:
    # count=2: the adapter's own reconnect-and-retry is cut as well, so the attempt fails and is rescheduled
    bed = bed_factory("sftp", "sftp_disconnect_mid_transfer:direction=upload,after_bytes=512,count=2")
    mid = bed.accept()
    report = bed.dispatch()
    assert (report.sent, report.retrying) == (0, 1)
    view = bed.view(mid)
    assert view["state"] == "RETRY_WAIT" and "sftp" in view["last_error"]
    inbound = bed.state_dir / "mailboxes" / "GACC" / "inbound"
    (partial,) = [p.name for p in inbound.iterdir()]  # only the partial temp file (both cuts wrote it)
    assert partial.startswith(f".{mid}.xml.") and partial.endswith(".tmp")
    assert bed.tick()["received"] == []  # never picked up
    assert bed.next_attempt_at(mid) is not None
    bed.clock.advance(600)
    assert bed.dispatch().sent == 1
    final = bed.deliver(mid)
    observed = assert_approved_once(bed, mid, final)
    assert observed["receive_count"] == 1 and observed["files"] == [f"{mid}.xml"]
    processed = (bed.state_dir / "mailboxes" / "GACC" / "processed" / f"{mid}.xml").read_bytes()
    with bed.container.store.transaction() as tx:
        assert processed == tx.payload(tx.message_by_message_id(mid).pk, "signed")  # the same signed bytes
    assert bed.fired() == {"sftp_disconnect_mid_transfer": 2}


def test_download_cut_mid_transfer_loses_nothing(bed_factory: Bed) -> None:
    bed = bed_factory("sftp", "sftp_disconnect_mid_transfer:direction=download,after_bytes=100,count=2")
    mid = bed.accept()
    bed.dispatch()
    bed.tick()
    first = bed.ingest()
    assert (first.fetched, first.applied, first.errors) == (0, 0, 1)  # cut twice: nothing half-read is used
    assert len(bed.outbound_files()) == 3
    second = bed.ingest()
    assert (second.fetched, second.applied, second.quarantined) == (3, 3, 0)
    assert_approved_once(bed, mid, bed.view(mid))
    assert bed.fired() == {"sftp_disconnect_mid_transfer": 2}
    assert_mailbox_drained(bed)


def test_a_download_cut_after_other_files_hands_over_what_was_read(bed_factory: Bed) -> None:
    # the STORED receipt's download is cut twice; the ImportResponse before it must not be held hostage
    bed = bed_factory("sftp", "sftp_disconnect_mid_transfer:direction=download,after_bytes=100,match=-2.xml,count=2")
    mid = bed.accept()
    bed.dispatch()
    bed.tick()
    first = bed.ingest()
    assert (first.fetched, first.applied, first.errors) == (1, 1, 0)
    assert bed.view(mid)["state"] == "ACKNOWLEDGED"
    assert bed.outbound_files() == [f"GACC-{mid}-2.xml", f"GACC-{mid}-3.xml"]
    second = bed.ingest()  # cut once more, then the adapter's reconnect gets everything
    assert (second.fetched, second.applied, second.errors) == (2, 2, 0)
    assert_approved_once(bed, mid, bed.view(mid))
    assert bed.fired() == {"sftp_disconnect_mid_transfer": 2}


def test_an_unreadable_receipt_does_not_block_the_mailbox(bed_factory: Bed) -> None:
    bed = bed_factory("sftp", "unreadable_receipts:match=-1.xml")  # the ImportResponse, the oldest file
    mid = bed.accept()
    bed.dispatch()
    bed.tick()
    first = bed.ingest()
    assert (first.fetched, first.applied, first.quarantined) == (2, 2, 0)  # the two behind it went through
    view = bed.view(mid)
    assert view["state"] == "DONE" and view["document"]["status"] == "APPROVED"
    assert bed.outbound_files() == [f"GACC-{mid}-1.xml"]  # refused, so still on the server
    assert bed.ingest().fetched == 0 and bed.fired() == {"unreadable_receipts": 2}
    bed.admin("POST", "/admin/scenarios", json={"scenarios": []})  # the operator fixes the permissions
    assert bed.ingest().applied == 1
    assert_approved_once(bed, mid, bed.view(mid))
    assert_mailbox_drained(bed)


def test_short_reads_are_read_to_the_end(bed_factory: Bed) -> None:
    bed = bed_factory("sftp", "partial_reads:mode=short,max_bytes=100")
    mid = bed.accept()
    bed.dispatch()
    bed.tick()
    report = bed.ingest()
    assert (report.applied, report.quarantined) == (3, 0)
    assert_approved_once(bed, mid, bed.view(mid))
    assert bed.fired() == {"partial_reads": 3}


def test_a_truncated_download_is_left_for_the_next_poll_not_quarantined(bed_factory: Bed) -> None:
    bed = bed_factory("sftp", "partial_reads:mode=truncate,max_bytes=300,count=1")
    mid = bed.accept()
    bed.dispatch()
    bed.tick()
    first = bed.ingest()
    assert (first.fetched, first.applied, first.quarantined) == (2, 2, 0)
    assert bed.outbound_files() == [f"GACC-{mid}-1.xml"]  # the one that came short is still there
    second = bed.ingest()
    assert (second.fetched, second.applied, second.quarantined) == (1, 1, 0)
    assert_approved_once(bed, mid, bed.view(mid))
    assert bed.quarantined() == []
    assert bed.fired() == {"partial_reads": 1}


@pytest.mark.parametrize("transport", ["sftp", "http"])
def test_a_slow_mailbox_times_out_and_is_read_on_the_next_poll(bed_factory: Bed, transport: str) -> None:
    bed = bed_factory(transport, "slow_mailbox:seconds=3,count=1", timeout=1.0)
    mid = bed.accept()
    bed.dispatch()
    bed.tick()
    first = bed.ingest()
    assert (first.fetched, first.applied, first.errors) == (0, 0, 1)  # timed out: a transient error
    second = bed.ingest()
    assert (second.fetched, second.applied) == (3, 3)
    assert_approved_once(bed, mid, bed.view(mid))
    assert bed.fired() == {"slow_mailbox": 1}


# ------------------------------------------------------------------------------------------------ HTTP


def test_http_500_before_storing_is_retried_until_accepted_once(bed_factory: Bed) -> None:
    bed = bed_factory("http", "http_500:endpoint=inbound,count=2")
    mid = bed.accept()
    for attempt in (1, 2):
        report = bed.dispatch()
        assert (report.sent, report.retrying) == (0, 1)
        view = bed.view(mid)
        assert view["state"] == "RETRY_WAIT" and view["attempts"] == attempt and "500" in view["last_error"]
        assert bed.dispatch().claimed == 0  # not before its time
        bed.clock.advance(600)
    assert bed.dispatch().sent == 1
    observed = assert_approved_once(bed, mid, bed.deliver(mid))
    assert observed["receive_count"] == 1
    [submission] = observed["http"]["submissions"]
    assert submission["repeats"] == 0 and submission["conflicts"] == 0
    assert bed.fired() == {"http_500": 2}


def test_http_500_after_storing_is_retried_and_the_mock_sees_one_message(bed_factory: Bed) -> None:
    bed = bed_factory("http", "http_500:endpoint=inbound,when=after,count=1")
    mid = bed.accept()
    assert bed.dispatch().retrying == 1  # stored by the mock, but the answer was lost
    bed.clock.advance(600)
    assert bed.dispatch().sent == 1  # the retry: same MessageId and bytes, answered 200 "already there"
    view = bed.deliver(mid)
    assert any("already present" in (e["reason"] or "") for e in view["events"])
    observed = assert_approved_once(bed, mid, view)
    [submission] = observed["http"]["submissions"]
    assert submission["repeats"] == 1 and submission["conflicts"] == 0  # one message, sent twice
    assert observed["receive_count"] == 2 and observed["decision"] == "APPROVED"  # counted, reviewed once


def test_http_500_on_the_receipt_feed_is_retried_on_the_next_poll(bed_factory: Bed) -> None:
    bed = bed_factory("http", "http_500:endpoint=outbound,count=1")
    mid = bed.accept()
    bed.dispatch()
    bed.tick()
    assert bed.ingest().errors == 1
    assert bed.ingest().applied == 3
    assert_approved_once(bed, mid, bed.view(mid))
    assert_mailbox_drained(bed)


def test_a_lost_answer_to_an_acknowledgement_loses_nothing(bed_factory: Bed) -> None:
    bed = bed_factory("http", "http_500:endpoint=ack,when=after,count=1")
    mid = bed.accept()
    bed.dispatch()
    bed.tick()
    first = bed.ingest()
    assert (first.applied, first.errors) == (3, 1)  # stored before acknowledging: nothing to lose
    second = bed.ingest()  # the server did record the ack: nothing is pending, nothing applied twice
    assert (second.fetched, second.applied, second.quarantined) == (0, 0, 0)
    assert_approved_once(bed, mid, bed.view(mid))
    assert [i["ack_count"] for i in bed.admin("GET", "/admin/http/outbound")["outbound"]] == [1, 1, 1]
    assert_mailbox_drained(bed)
    assert bed.fired() == {"http_500": 1}


def test_http_503_retry_after_sets_the_next_attempt_no_earlier_than_asked(bed_factory: Bed) -> None:
    bed = bed_factory("http", "http_503_retry_after:endpoint=inbound,seconds=120,count=1")
    mid = bed.accept()
    sent_at = bed.clock.now()
    assert bed.dispatch().retrying == 1
    view = bed.view(mid)
    assert view["state"] == "RETRY_WAIT" and "503" in view["last_error"]
    next_at = bed.next_attempt_at(mid)
    assert next_at is not None
    # our own backoff would be ~10 s; the server asked for 120 s and gets at least that
    assert next_at.replace(tzinfo=sent_at.tzinfo) >= sent_at + timedelta(seconds=120)
    bed.clock.advance(119)
    assert bed.dispatch().claimed == 0
    bed.clock.advance((next_at.replace(tzinfo=sent_at.tzinfo) - bed.clock.now()).total_seconds() + 1)
    assert bed.dispatch().sent == 1
    observed = assert_approved_once(bed, mid, bed.deliver(mid))
    assert observed["receive_count"] == 1
    assert bed.fired() == {"http_503_retry_after": 1}


def test_every_receipt_of_the_feed_arrives_intact_over_http(bed_factory: Bed) -> None:
    """Control: the same bed without scenarios (what the scenario tests are compared against)."""
    bed = bed_factory("http")
    mid = bed.accept()
    view = bed.deliver(mid)
    assert_approved_once(bed, mid, view)
    feed = bed.admin("GET", "/admin/http/outbound")["outbound"]
    assert [i["name"] for i in feed] == [f"GACC-{mid}-{n}.xml" for n in (1, 2, 3)]
    assert bed.fired() == {}
