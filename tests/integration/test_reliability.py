"""Delivery guarantees on a real database (SQLite and PostgreSQL): retry classes, dead letter, resend,
edit-and-resend, receipt timeout, quarantine re-processing, retention. The transport is the in-memory fake."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.base import TransportError
from gateway.archive import FileArchive
from gateway.demo import sample_bytes
from gateway.domain.retry import ErrorClass, RetryPolicies, RetryPolicy
from gateway.services.dispatch import DispatchConfig, dispatch_due, sweep_overdue_receipts
from gateway.services.ports import EnterpriseInfo
from gateway.services.receipts import reprocess_quarantine
from gateway.services.resend import edit_and_resend, resend
from gateway.services.retention import RetentionPolicy, read_archive, run_retention
from messages import receipt
from messages.validate import get_validator
from signing.xmldsig import Verifier
from tests.integration.world import ENT, World

OTHER = EnterpriseInfo("91110000100000000X", "Other", "110000001")


def dispatch(world: World, policies: RetryPolicies, *, owner: str = "w1", timeout: float = 3600.0):  # type: ignore[no-untyped-def]
    cfg = DispatchConfig(owner=owner, retry=policies, receipt_timeout_seconds=timeout)
    return dispatch_due(world.store, world.keys, {"GACC": world.transport}, world.clock, cfg)


def events(world: World, mid: str) -> list[dict]:  # type: ignore[type-arg]
    return world.view(mid)["events"]  # type: ignore[no-any-return]


def fail_to_dead_letter(world: World, mid: str) -> None:
    for _ in range(3):
        world.transport.fail_next("send", TransportError("connection refused", transient=True))
        world.dispatch()
        world.clock.t += timedelta(minutes=10)
    assert world.view(mid)["state"] == "FAILED"


def decision(world: World, mid: str, code: str = "RETURNED") -> bytes:
    now = world.clock.now()
    status = {"RETURNED": "退证", "APPROVED": "申报正确"}[code]
    return world.authority_receipt(receipt.BusinessReceipt(f"GACC-{mid}-2", mid, "E263501000010001", 2, code,
                                                           status, status, now))


# --- retry rules ---------------------------------------------------------------------------------

def test_transient_errors_retry_with_backoff_then_dead_letter_with_their_class(world: World) -> None:
    policies = RetryPolicies(transient=RetryPolicy(base_seconds=10, cap_seconds=40, max_attempts=3))
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    waits = []
    for _ in range(3):
        world.transport.fail_next("send", TransportError("connection reset", transient=True))
        dispatch(world, policies)
        waits.append(world.view(mid))  # type: ignore[arg-type]
        world.clock.t += timedelta(seconds=41)
    assert [w["state"] for w in waits] == ["RETRY_WAIT", "RETRY_WAIT", "FAILED"]
    view = waits[-1]
    assert view["error_class"] == "transient" and view["attempts"] == 3
    assert "gave up after 3 attempts (transient)" in view["events"][-1]["reason"]


def test_backoff_delay_is_respected_before_the_next_attempt(world: World) -> None:
    policies = RetryPolicies(transient=RetryPolicy(base_seconds=20, cap_seconds=20, max_attempts=5))
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.transport.fail_next("send", TransportError("timeout", transient=True))
    dispatch(world, policies)
    world.clock.t += timedelta(seconds=9)  # full jitter keeps the delay within [10, 20] s
    assert dispatch(world, policies).claimed == 0
    world.clock.t += timedelta(seconds=12)
    assert dispatch(world, policies).sent == 1
    assert world.view(mid)["state"] == "SENT"  # type: ignore[arg-type]


def test_permanent_error_dead_letters_at_once_unless_the_authority_allows_more(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.transport.fail_next("send", TransportError("401 unauthorized", transient=False))
    assert dispatch(world, RetryPolicies()).failed == 1
    view = world.view(mid)  # type: ignore[arg-type]
    assert view["state"] == "FAILED" and view["error_class"] == "permanent"
    assert "permanent error: 401 unauthorized" in view["events"][-1]["reason"]

    lenient = RetryPolicies(by_authority={"GACC": {
        ErrorClass.TRANSIENT: RetryPolicy(), ErrorClass.PERMANENT: RetryPolicy(60, 600, max_attempts=2)}})
    mid2 = world.accept(sample_bytes("general_co_approved.xml")).message_id
    world.transport.fail_next("send", TransportError("403 forbidden", transient=False))
    assert dispatch(world, lenient).retrying == 1
    assert world.view(mid2)["state"] == "RETRY_WAIT"  # type: ignore[arg-type]


def test_per_authority_transient_cap_applies_to_that_authority(world: World) -> None:
    strict = RetryPolicies(transient=RetryPolicy(max_attempts=8), by_authority={"GACC": {
        ErrorClass.TRANSIENT: RetryPolicy(1, 1, max_attempts=1), ErrorClass.PERMANENT: RetryPolicy(max_attempts=1)}})
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.transport.fail_next("send", TransportError("timeout", transient=True))
    assert dispatch(world, strict).failed == 1
    assert world.view(mid)["state"] == "FAILED"  # type: ignore[arg-type]


def test_retry_after_longer_than_the_cap_is_capped(world: World) -> None:
    policies = RetryPolicies(transient=RetryPolicy(base_seconds=1, cap_seconds=30, max_attempts=5))
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.transport.fail_next("send", TransportError("503", transient=True, retry_after=86400))
    dispatch(world, policies)
    assert "retry in 30.0s" in events(world, mid)[-1]["reason"]  # type: ignore[arg-type]


# --- receipt timeout --------------------------------------------------------------------------------

def test_missing_receipt_raises_the_message_to_attention_and_a_late_receipt_still_counts(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    dispatch(world, RetryPolicies(), timeout=600)
    world.clock.t += timedelta(seconds=599)
    assert sweep_overdue_receipts(world.store, world.clock, actor="sweeper").overdue == 0
    world.clock.t += timedelta(seconds=2)
    assert sweep_overdue_receipts(world.store, world.clock, actor="sweeper").overdue == 1
    view = world.view(mid)  # type: ignore[arg-type]
    assert view["state"] == "ATTENTION" and view["last_error"] == "receipt timeout"
    with world.store.transaction() as tx:
        assert [r["message_id"] for r in tx.messages_in_state(["ATTENTION"])] == [mid]
    world.transport.deliver("late.xml", decision(world, mid, "APPROVED"))  # type: ignore[arg-type]
    assert world.ingest().applied == 1
    view = world.view(mid)  # type: ignore[arg-type]
    assert view["state"] == "DONE" and view["document"]["status"] == "APPROVED"


# --- dead letter and resend ---------------------------------------------------------------------------

def test_dead_letter_keeps_payloads_and_resend_sends_the_same_bytes_under_the_same_message_id(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    assert mid is not None
    fail_to_dead_letter(world, mid)
    with world.store.transaction() as tx:
        info = tx.message_for(ENT.id, mid)
        assert info is not None
        signed_before = tx.payload(info.pk, "signed")
        assert tx.payload(info.pk, "raw") == sample_bytes("form_e_approved.xml") and signed_before
    assert world.view(mid)["last_error"] == "connection refused"

    result = resend(world.store, world.clock, [mid], actor="ops:alice", enterprise_id=ENT.id)
    assert result.requeued == [mid] and not result.refused
    view = world.view(mid)
    assert view["state"] == "QUEUED" and view["attempts"] == 0
    assert view["events"][-1]["actor"] == "ops:alice" and "same MessageId" in view["events"][-1]["reason"]
    assert world.dispatch().sent == 1
    assert world.transport.sent[f"{mid}.xml"].content == signed_before  # not re-signed: identical bytes


def test_bulk_resend_reports_each_message(world: World) -> None:
    failed = []
    for name in ("form_e_approved.xml", "general_co_approved.xml"):
        failed.append(world.accept(sample_bytes(name)).message_id)
        fail_to_dead_letter(world, failed[-1])  # type: ignore[arg-type]
    queued = world.accept(sample_bytes("form_e_returned.xml")).message_id
    with world.store.transaction() as tx:
        tx.add_enterprise(OTHER)
    ids = [*failed, queued, "0" * 32, failed[0]]  # a repeat is handled once
    result = resend(world.store, world.clock, ids, actor="ops", enterprise_id=ENT.id)  # type: ignore[arg-type]
    assert result.requeued == failed
    assert result.not_found == ["0" * 32]
    assert "only ATTENTION or FAILED" in result.refused[queued]  # type: ignore[index]
    # another enterprise cannot see (let alone resend) ours
    assert resend(world.store, world.clock, failed, actor="x", enterprise_id=OTHER.id).not_found == failed  # type: ignore[arg-type]


def test_resend_is_refused_once_the_authority_answered_that_message_id(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    failed = world.authority_receipt(receipt.ImportResponse(f"GACC-{mid}-0", mid, "1", "signature invalid",
                                                            world.clock.now()))
    world.transport.deliver("f.xml", failed)
    world.ingest()
    assert world.view(mid)["state"] == "FAILED"  # type: ignore[arg-type]
    result = resend(world.store, world.clock, [mid], actor="ops")  # type: ignore[list-item]
    assert "edit-and-resend" in result.refused[mid]  # type: ignore[index]


def signed_bytes(world: World, mid: str) -> bytes:
    with world.store.transaction() as tx:
        info = tx.message_for(ENT.id, mid)
        assert info is not None
        content = tx.payload(info.pk, "signed")
    assert content
    return content


def cogw_resend(database_url: str, *args: str) -> dict:  # type: ignore[type-arg]
    r = subprocess.run([sys.executable, "-m", "gateway.cli", "resend", *args], capture_output=True, text=True,
                       env={**os.environ, "GATEWAY_DATABASE_URL": database_url}, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_the_cli_work_lists_resend_attention_and_failed_messages_and_nothing_else(world: World,
                                                                                database_url: str) -> None:
    failed = world.accept(sample_bytes("form_e_approved.xml")).message_id
    assert failed is not None
    fail_to_dead_letter(world, failed)
    waiting = world.accept(sample_bytes("general_co_approved.xml")).message_id
    assert waiting is not None
    dispatch(world, RetryPolicies(), timeout=600)
    world.clock.t += timedelta(seconds=601)
    assert sweep_overdue_receipts(world.store, world.clock, actor="sweeper").overdue == 1
    queued = world.accept(sample_bytes("form_e_returned.xml")).message_id
    sent_before = {mid: signed_bytes(world, mid) for mid in (failed, waiting)}

    assert cogw_resend(database_url, "--all-attention")["requeued"] == [waiting]
    assert [world.view(m)["state"] for m in (failed, waiting, queued)] == ["FAILED", "QUEUED", "QUEUED"]  # type: ignore[arg-type]
    assert cogw_resend(database_url, "--all-failed")["requeued"] == [failed]
    view = world.view(failed)
    assert view["state"] == "QUEUED" and view["attempts"] == 0  # a fresh attempt budget
    assert world.view(waiting)["events"][-1]["reason"].startswith("resent by cli:")  # who, in the history

    assert world.dispatch().sent == 3
    for mid, content in sent_before.items():  # same MessageId, same signed bytes: not re-signed
        assert world.transport.sent[f"{mid}.xml"].content == content
        assert world.view(mid)["state"] == "SENT"


# --- edit-and-resend ---------------------------------------------------------------------------------

def test_edit_and_resend_after_return_creates_a_linked_message_with_a_new_message_id(world: World) -> None:
    old = world.accept(sample_bytes("form_e_returned.xml")).message_id
    assert old is not None
    world.dispatch()
    assert world.accept(sample_bytes("form_e_returned.xml")).outcome == "duplicate"
    world.transport.deliver("d.xml", decision(world, old))
    world.ingest()
    assert world.view(old)["document"]["status"] == "RETURNED"
    corrected = sample_bytes("form_e_returned.xml").replace(b"<Mark>", b"<Mark>CORRECTED ", 1)
    # a plain re-declaration of the same document number still conflicts: it must say what it replaces
    assert world.accept(corrected).outcome == "conflict"

    result = edit_and_resend(world.store, get_validator(), world.clock, ENT.id, old, corrected, "erp")
    assert result.outcome == "accepted" and result.message_id != old and result.supersedes == old
    new = world.view(result.message_id)  # type: ignore[arg-type]
    assert new["supersedes"] == old and new["state"] == "QUEUED"
    old_view = world.view(old)
    assert old_view["superseded_by"] == result.message_id and old_view["state"] == "DONE"
    assert "superseded by message" in old_view["events"][-1]["reason"]
    # the document's identity moved on: the corrected bytes are a duplicate of the new message, the old
    # bytes now conflict with it
    assert world.accept(corrected).message_id == result.message_id
    assert world.accept(sample_bytes("form_e_returned.xml")).outcome == "conflict"
    # the old one is done with: no second edit of it, and no resend
    again = edit_and_resend(world.store, get_validator(), world.clock, ENT.id, old, corrected, "erp")
    assert again.outcome == "not_editable" and "superseded" in again.issues[0].message
    assert world.dispatch().sent == 1
    assert set(world.transport.sent) == {f"{old}.xml", f"{result.message_id}.xml"}


def test_edit_and_resend_is_refused_for_messages_in_flight_approved_or_not_ours(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    raw = sample_bytes("form_e_approved.xml").replace(b"<Mark>", b"<Mark>X ", 1)
    in_flight = edit_and_resend(world.store, get_validator(), world.clock, ENT.id, mid, raw, "erp")  # type: ignore[arg-type]
    assert in_flight.outcome == "not_editable" and in_flight.issues[0].rule == "RESEND.NOT_EDITABLE"
    with world.store.transaction() as tx:
        tx.add_enterprise(OTHER)
    theirs = edit_and_resend(world.store, get_validator(), world.clock, OTHER.id, mid, raw, "erp")  # type: ignore[arg-type]
    assert theirs.outcome == "not_found"
    fail_to_dead_letter(world, mid)  # type: ignore[arg-type]
    other_type = edit_and_resend(world.store, get_validator(), world.clock, ENT.id, mid,  # type: ignore[arg-type]
                                 sample_bytes("form_e_approved.xml").replace(b"Certificate", b"Nope"), "erp")
    assert other_type.outcome in {"malformed", "not_editable"}


def test_edit_and_resend_of_a_failed_message_with_invalid_content_is_rejected_and_not_linked(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    fail_to_dead_letter(world, mid)  # type: ignore[arg-type]
    bad = sample_bytes("form_e_approved.xml").replace(b"<OriCriteria>WO</OriCriteria>",
                                                      b"<OriCriteria>P</OriCriteria>", 1)
    result = edit_and_resend(world.store, get_validator(), world.clock, ENT.id, mid, bad, "erp")  # type: ignore[arg-type]
    assert result.outcome == "rejected" and result.supersedes is None
    assert world.view(mid)["superseded_by"] is None  # type: ignore[arg-type]


# --- quarantine ------------------------------------------------------------------------------------

def test_quarantined_receipt_is_reprocessed_once_its_signer_is_trusted(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    # signed with a key the gateway does not pin for GACC (say, the authority rotated its certificate)
    rotated = world.authority_receipt(receipt.ImportResponse(f"GACC-{mid}-0", mid, "0", "ok", world.clock.now()),
                                      signer=ENT.id)
    world.transport.deliver("r.xml", rotated)
    assert world.ingest().quarantined == 1
    with world.store.transaction() as tx:
        (entry,) = tx.quarantine_list()
    assert entry["status"] == "open" and "Signature" in entry["reason"]

    still = reprocess_quarantine(world.store, {"GACC": Verifier([world.keys.certificate("GACC")])}, world.clock,
                                 [entry["id"]], "ops")
    assert entry["id"] in still.still_quarantined
    trusted = {"GACC": Verifier([world.keys.certificate("GACC"), world.keys.certificate(ENT.id)])}
    done = reprocess_quarantine(world.store, trusted, world.clock, [entry["id"], 999_999], "ops")
    assert done.resolved == [entry["id"]] and done.not_found == [999_999]
    assert world.view(mid)["state"] == "ACKNOWLEDGED"  # type: ignore[arg-type]
    with world.store.transaction() as tx:
        assert tx.quarantine_list() == []
        (kept,) = tx.quarantine_list(status=None)
    assert kept["status"] == "resolved" and kept["attempts"] == 2 and kept["resolution"].startswith("applied by ops")
    assert reprocess_quarantine(world.store, trusted, world.clock, [entry["id"]], "ops").not_found == [entry["id"]]


def test_a_reemitted_receipt_in_a_new_envelope_is_a_duplicate_not_a_conflict(world: World) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    body = receipt.ImportResponse(f"GACC-{mid}-0", mid, "0", "ok", world.clock.now())
    world.transport.deliver("a.xml", world.authority_receipt(body))
    world.clock.t += timedelta(seconds=5)  # a new envelope: other SendTime, other signature
    world.transport.deliver("b.xml", world.authority_receipt(body))
    report = world.ingest()
    assert (report.applied, report.duplicates, report.quarantined) == (1, 1, 0)


# --- retention ---------------------------------------------------------------------------------------

def test_retention_archives_exactly_what_was_sent_and_received_then_purges(world: World, tmp_path: Path) -> None:
    done = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    approval = decision(world, done, "APPROVED")  # type: ignore[arg-type]
    world.transport.deliver("d.xml", approval)
    world.ingest()
    failed = world.accept(sample_bytes("general_co_approved.xml")).message_id
    fail_to_dead_letter(world, failed)  # type: ignore[arg-type]
    with world.store.transaction() as tx:
        info = tx.message_for(ENT.id, done)  # type: ignore[arg-type]
        assert info is not None
        signed = tx.payload(info.pk, "signed")
    archive = FileArchive(tmp_path / "archive")
    policy = RetentionPolicy(done_days=30, failed_days=90)

    world.clock.t += timedelta(days=29)
    assert run_retention(world.store, archive, world.clock, policy).archived == []
    world.clock.t += timedelta(days=2)
    report = run_retention(world.store, archive, world.clock, policy)
    assert report.archived == [done] and report.bytes > 0
    with world.store.transaction() as tx:
        assert tx.message_view(ENT.id, done) is None  # type: ignore[arg-type]
        meta = tx.archived(ENT.id, done)  # type: ignore[arg-type]
        assert tx.message_view(ENT.id, failed) is not None  # type: ignore[arg-type]
    assert meta is not None and meta["state"] == "DONE"
    files = read_archive(archive.get(meta["archive_name"]))
    assert files["raw.xml"] == sample_bytes("form_e_approved.xml")
    assert files["signed.xml"] == signed
    assert files[f"receipts/GACC-{done}-2.xml"] == approval
    assert b'"APPROVED"' in files["manifest.json"]

    world.clock.t += timedelta(days=60)
    assert run_retention(world.store, archive, world.clock, policy).archived == [failed]
    assert run_retention(world.store, archive, world.clock, policy).archived == []  # idempotent


def test_archive_names_cannot_escape_the_archive_directory(tmp_path: Path) -> None:
    archive = FileArchive(tmp_path)
    for name in ("../x", "a/../../x", "/etc/passwd", "a//b", ""):
        with pytest.raises(ValueError, match="invalid archive name"):
            archive.put(name, b"x")
