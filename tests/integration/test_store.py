"""The SQL store on SQLite and on a real PostgreSQL: claims, leases, idempotency keys, receipts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from gateway.db.engine import make_engine, make_session_factory
from gateway.db.migrate import upgrade
from gateway.db.store import SqlStore
from gateway.services.ports import DuplicateMessage, EnterpriseInfo, NewMessage, ReceiptRecord, SystemClock

ENT = EnterpriseInfo("91350100M000100Y43", "Demo", "350100001")


@pytest.fixture
def store(database_url: str):  # type: ignore[no-untyped-def]
    upgrade(database_url)
    engine = make_engine(database_url)
    s = SqlStore(make_session_factory(engine), SystemClock())
    with s.transaction() as tx:
        tx.add_enterprise(ENT)
    yield s
    engine.dispose()


def _new(mid: str, key: str | None = None, due: datetime | None = None) -> NewMessage:
    return NewMessage(message_id=mid, enterprise_id=ENT.id, family="gacc_certificate",
                      message_type="CO_APPLICATION", direction="outbound", authority="GACC", state="QUEUED",
                      document_no="DOC-1", idempotency_key=key, raw_sha256="0" * 64,
                      next_attempt_at=due or datetime.now(UTC) - timedelta(seconds=1))


def _add(store: SqlStore, mid: str, key: str | None = None, due: datetime | None = None) -> int:
    with store.transaction() as tx:
        return tx.create_message(_new(mid, key, due), raw=b"<x/>", history=[(None, "QUEUED", "test")],
                                 actor="test").pk


def test_idempotency_key_is_unique_per_enterprise(store: SqlStore) -> None:
    _add(store, "a" * 32, key="CO_APPLICATION:DOC-1")
    with pytest.raises(DuplicateMessage), store.transaction() as tx:
        tx.create_message(_new("b" * 32, "CO_APPLICATION:DOC-1"), raw=b"<x/>", history=[], actor="t")
    # the failed insert left nothing behind
    with store.transaction() as tx:
        assert tx.message_by_message_id("b" * 32) is None
        assert tx.message_by_key(ENT.id, "CO_APPLICATION:DOC-1").message_id == "a" * 32  # type: ignore[union-attr]


def test_rejected_messages_without_key_do_not_collide(store: SqlStore) -> None:
    _add(store, "a" * 32, key=None)
    _add(store, "b" * 32, key=None)
    with store.transaction() as tx:
        assert tx.message_by_message_id("b" * 32) is not None


def test_claim_takes_due_rows_once_and_leases_them(store: SqlStore) -> None:
    now = datetime.now(UTC)
    _add(store, "a" * 32, key="k1")
    _add(store, "c" * 32, key="k3", due=now + timedelta(hours=1))  # not due yet
    with store.transaction() as tx:
        first = tx.claim_due(now=now, owner="w1", lease_until=now + timedelta(seconds=60), limit=10)
    with store.transaction() as tx:
        second = tx.claim_due(now=now, owner="w2", lease_until=now + timedelta(seconds=60), limit=10)
    assert [m.message_id for m in first] == ["a" * 32]
    assert first[0].attempts == 1 and first[0].state == "SENDING"
    assert second == []


def test_expired_lease_is_reclaimed_and_old_owner_loses_it(store: SqlStore) -> None:
    now = datetime.now(UTC)
    pk = _add(store, "a" * 32, key="k1")
    with store.transaction() as tx:
        tx.claim_due(now=now, owner="w1", lease_until=now + timedelta(seconds=5), limit=10)
    later = now + timedelta(seconds=6)
    with store.transaction() as tx:
        again = tx.claim_due(now=later, owner="w2", lease_until=later + timedelta(seconds=60), limit=10)
    assert [m.attempts for m in again] == [2]
    with store.transaction() as tx:
        assert tx.transition(pk, "SENT", actor="w1", reason="late", expected_owner="w1") is False
        assert tx.transition(pk, "SENT", actor="w2", reason="ok", expected_owner="w2") is True
    with store.transaction() as tx:
        view = tx.message_view(ENT.id, "a" * 32)
    assert view is not None and view["state"] == "SENT"
    assert [e["to"] for e in view["events"]] == ["QUEUED", "SENDING", "SENDING", "SENT"]
    assert "expired" in view["events"][2]["reason"]


def test_concurrent_claims_never_share_a_row(store: SqlStore) -> None:
    # PostgreSQL: SKIP LOCKED; SQLite: transactions BEGIN IMMEDIATE, so claimers take turns.
    for i in range(40):
        _add(store, f"{i:032x}", key=f"k{i}")
    now = datetime.now(UTC)
    claimed: list[list[str]] = []
    barrier = threading.Barrier(4)

    def claim(owner: str) -> None:
        barrier.wait()
        got: list[str] = []
        while True:
            with store.transaction() as tx:
                batch = tx.claim_due(now=now, owner=owner, lease_until=now + timedelta(minutes=5), limit=3)
            if not batch:
                break
            got += [m.message_id for m in batch]
        claimed.append(got)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [mid for got in claimed for mid in got]
    assert len(flat) == 40 and len(set(flat)) == 40


def test_receipts_are_unique_per_authority_receipt_id(store: SqlStore) -> None:
    pk = _add(store, "a" * 32, key="k1")
    rec = ReceiptRecord(authority="GACC", receipt_id="GACC-1", kind="business", seq_no=1, status_code="STORED",
                        status="海关入库成功", text="0001--报文收到时间:2026-11-23 08:42:35")
    now = datetime.now(UTC)
    with store.transaction() as tx:
        assert tx.add_receipt(pk, rec, received_at=now) is True
    with store.transaction() as tx:
        assert tx.add_receipt(pk, rec, received_at=now) is False
        assert tx.receipt_hash("GACC", "GACC-1") == rec.content_sha256
        assert tx.receipt_hash("CCPIT", "GACC-1") is None
    with store.transaction() as tx:
        receipts = tx.receipts_view(ENT.id, "a" * 32)
        assert receipts is not None and [r["status"] for r in receipts] == ["海关入库成功"]
        assert tx.receipts_view("OTHER", "a" * 32) is None  # another enterprise sees nothing


def test_lease_renewal_is_compare_and_set(store: SqlStore) -> None:
    now = datetime.now(UTC)
    pk = _add(store, "a" * 32, key="k1")
    with store.transaction() as tx:
        tx.claim_due(now=now, owner="w1", lease_until=now + timedelta(seconds=5), limit=1)
    later = now + timedelta(seconds=6)
    with store.transaction() as tx:
        tx.claim_due(now=later, owner="w2", lease_until=later + timedelta(seconds=60), limit=1)
    with store.transaction() as tx:
        assert tx.renew_lease(pk, "w1", later + timedelta(minutes=1)) is False
        assert tx.renew_lease(pk, "w2", later + timedelta(minutes=1)) is True


def test_expired_lease_on_the_last_attempt_dead_letters_instead_of_looping(store: SqlStore) -> None:
    now = datetime.now(UTC)
    pk = _add(store, "a" * 32, key="k1")
    with store.transaction() as tx:
        tx.claim_due(now=now, owner="w1", lease_until=now + timedelta(seconds=5), limit=1, max_attempts=1)
    later = now + timedelta(seconds=6)
    with store.transaction() as tx:
        assert tx.claim_due(now=later, owner="w2", lease_until=later, limit=1, max_attempts=1) == []
    with store.transaction() as tx:
        view = tx.message_view(ENT.id, "a" * 32)
    assert view is not None and view["state"] == "FAILED" and "expired" in view["events"][-1]["reason"]
    assert pk


def test_illegal_transitions_are_refused(store: SqlStore) -> None:
    pk = _add(store, "a" * 32, key="k1")
    with store.transaction() as tx:
        assert tx.transition(pk, "DONE", actor="t", reason="skip ahead") is False  # QUEUED -> DONE is not a move
        assert tx.transition(pk, "FAILED", actor="t", reason="ok") is True
        assert tx.transition(pk, "SENT", actor="t", reason="no") is False


def test_timestamps_come_back_aware_utc(store: SqlStore) -> None:
    from datetime import timezone

    shanghai = timezone(timedelta(hours=8))
    due = datetime(2026, 11, 23, 20, 0, tzinfo=shanghai)
    _add(store, "a" * 32, key="k1", due=due)
    with store.transaction() as tx:
        claimed = tx.claim_due(now=datetime(2026, 11, 23, 12, 0, 1, tzinfo=UTC), owner="w",
                               lease_until=datetime(2026, 11, 23, 12, 5, tzinfo=UTC), limit=1)
        assert len(claimed) == 1  # 20:00+08:00 is 12:00Z: due one second earlier
        view = tx.message_view(ENT.id, "a" * 32)
    assert view is not None and view["created_at"].endswith("Z")


def test_quarantine_keeps_one_copy_per_content(store: SqlStore) -> None:
    from sqlalchemy import func, select

    from gateway.db.models import QuarantinedFile

    now = datetime.now(UTC)
    with store.transaction() as tx:
        tx.quarantine("GACC", "r1.xml", b"<bad/>", "signature", now)
    with store.transaction() as tx:
        tx.quarantine("GACC", "r1-again.xml", b"<bad/>", "signature", now)
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(QuarantinedFile)) == 1
