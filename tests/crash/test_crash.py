"""Crash test: thousands of messages through real `cogw worker` processes that are SIGKILLed at random
(seeded) moments and restarted, against a real mock customs process misbehaving through its own named
fault scenarios (tests/crash/faults.toml): GACC over SFTP, CCPIT over HTTP.

Proves the delivery promise end to end: every message ends in a terminal state, none is lost, the
authority reviews no MessageId twice, no receipt is applied twice, every mailbox is drained, only broken
or forged copies are quarantined, and receipts are ingested by one process (the leader) at a time.
PostgreSQL with three workers, SQLite with one. Size, seed and bound: CRASH_MESSAGES (2000), CRASH_SEED,
CRASH_BOUND_SECONDS (per database). The figures of a run are appended as one JSON line to CRASH_FIGURES
when set (docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from gateway.db import models as m
from gateway.db.engine import make_engine, make_session_factory
from gateway.db.migrate import upgrade
from gateway.db.store import SqlStore
from gateway.services.intake import accept_message
from gateway.services.ports import EnterpriseInfo, SystemClock
from messages.validate import get_validator
from signing.keystore import KeyStore
from tests.crash.stack import Mock, Workers, documents, gateway_env, start_mock

ENT = EnterpriseInfo("91350100M000100Y43", "Demo", "350100001")
MESSAGES = int(os.environ.get("CRASH_MESSAGES", "2000"))
SEED = int(os.environ.get("CRASH_SEED", "20261123"))
BOUND = float(os.environ.get("CRASH_BOUND_SECONDS", "420"))
KILL_EVERY = [float(x) for x in os.environ.get("CRASH_KILL_EVERY", "5,12").split(",")]  # seconds, min,max
pytestmark = [pytest.mark.e2e, pytest.mark.crash, pytest.mark.timeout(int(BOUND * 1.5 + 120))]
SETTLED = ("DONE", "FAILED", "REJECTED")
DECISIONS = ("APPROVED", "RETURNED")


def test_every_message_settles_exactly_once_while_workers_are_killed_under_mock_faults(
        database_url: str, tmp_path: Path, pki_dir: Path, pki_passphrase: str) -> None:
    sqlite = database_url.startswith("sqlite")
    n_workers = 1 if sqlite else 3
    rng = random.Random(SEED)
    load_before = os.getloadavg()
    started = time.monotonic()
    mock = start_mock(tmp_path / "mock", pki_dir, pki_passphrase, SEED)
    workers: Workers | None = None
    engine = None
    try:
        pem = KeyStore(pki_dir, pki_passphrase).certificate(ENT.id).public_bytes(Encoding.PEM).decode()
        for authority in ("GACC", "CCPIT"):
            httpx.post(f"{mock.url}/admin/enterprises", json={"id": ENT.id, "reg_no": ENT.reg_no,
                                                              "certificate_pem": pem, "authority": authority},
                       timeout=30).raise_for_status()
        upgrade(database_url)
        engine = make_engine(database_url)
        store = SqlStore(make_session_factory(engine), SystemClock())
        with store.transaction() as tx:
            tx.add_enterprise(ENT)
        # Intake first, through the real intake service (as a bulk ERP push would): on SQLite, writers
        # beside the worker would only measure lock waits.
        expected: dict[str, tuple[str, str]] = {}  # MessageId -> (authority, decision)
        intake_errors: list[str] = []
        validator, clock = get_validator(), SystemClock()
        for doc in documents(MESSAGES):
            r = accept_message(store, validator, clock, enterprise_id=ENT.id, raw=doc.raw, actor="crash-test")
            if r.outcome != "accepted" or r.message_id is None:
                intake_errors.append(f"{r.outcome}: {[i.message for i in r.issues][:2]}")
            else:
                expected[r.message_id] = (doc.authority, doc.outcome)
        assert not intake_errors, intake_errors[:3]
        intake_seconds = time.monotonic() - started
        workers = Workers(gateway_env(mock, database_url, pki_dir, pki_passphrase, tmp_path / "archive"),
                          n_workers, rng)
        workers.start()

        # Kill a worker at seeded random moments until every message has settled and both mailboxes are
        # drained (duplicate and broken copies are fetched too), or the bound is reached.
        deadline = started + BOUND
        pause = threading.Event()
        unsettled, drained, counts = MESSAGES, False, {}
        while time.monotonic() < deadline:
            pause.wait(rng.uniform(*KILL_EVERY))  # the fault schedule, not synchronisation
            with store.transaction() as tx:
                counts = tx.count_by_state()
            unsettled = MESSAGES - sum(counts.get(s, 0) for s in SETTLED)
            drained = unsettled == 0 and mock.drained()
            if drained:
                break
            if KILL_EVERY[0] > 0:
                workers.kill_one()
        elapsed = time.monotonic() - started
        assert unsettled == 0, (f"{unsettled} of {MESSAGES} messages unsettled after {elapsed:.0f}s: {counts}; "
                                f"{_diagnose(store, mock)}")
        assert drained, f"mailboxes not drained: sftp {mock.sftp_outbound()[:5]}, http {mock.unacked_feed()[:5]}"
        kills, ready_seconds = workers.kills, workers.ready_seconds
        workers.stop()
        workers = None
        load_after = os.getloadavg()

        # What happened, written before it is judged (a failing run's figures help most).
        sessions = make_session_factory(engine)
        with sessions() as s:
            rows = s.execute(select(m.Message.message_id, m.Message.authority, m.Message.state,
                                    m.Message.attempts)).all()
            certificates = dict(s.execute(select(m.Message.message_id, m.Certificate.status)
                                          .join(m.Certificate, m.Certificate.message_pk == m.Message.id)).all())
            receipts = s.execute(select(m.Message.message_id, m.Receipt.kind, m.Receipt.status_code)
                                 .join(m.Receipt, m.Receipt.message_pk == m.Message.id)).all()
            events = s.execute(select(m.MessageEvent.actor, m.MessageEvent.reason)
                               .order_by(m.MessageEvent.at, m.MessageEvent.id)).all()
            quarantined = [name for (name,) in s.execute(select(m.QuarantinedFile.file_name))]
        kinds = Counter((mid, kind) for mid, kind, _code in receipts)
        fired = mock.fired()
        observed = {o["message_id"]: o for o in mock.admin("/admin/messages")["messages"]}
        ingesters = [actor for actor, _reason in events if actor.startswith("receipts@")]
        leaders = [a for i, a in enumerate(ingesters) if i == 0 or ingesters[i - 1] != a]
        figures = {
            "database": "sqlite" if sqlite else "postgresql", "workers": n_workers, "messages": MESSAGES,
            "by_authority": dict(Counter(a for a, _o in expected.values())), "seed": SEED,
            "seconds": round(elapsed, 1), "intake_seconds": round(intake_seconds, 1), "sigkills": kills,
            "worker_start_seconds_mean": round(sum(ready_seconds) / len(ready_seconds), 1), "leaders": len(leaders),
            "lease_reclaims": sum(1 for _a, reason in events if "expired; reclaimed" in reason),
            "retries": sum(1 for _a, reason in events if reason.startswith("attempt ") and " failed (" in reason),
            "uploads_already_present": sum(1 for _a, reason in events if "(already present)" in reason),
            "faults_fired": fired, "quarantined": len(quarantined),
            "repeat_uploads_seen_by_mock": dict(Counter(observed[mid]["authority"] for mid in expected
                                                        if mid in observed
                                                        for _ in range(observed[mid]["duplicates"]))),
            "attempts_max": max(n for _m, _a, _s, n in rows),
            "sent_overtaken_by_receipt": sum(1 for mid in expected if kinds[(mid, "local")] == 0),
            "decisions": dict(Counter(o for _a, o in expected.values())),
            "load_average": [round(x, 1) for x in (*load_before[:1], *load_after)],
        }
        print(json.dumps(figures))
        if os.environ.get("CRASH_FIGURES"):
            with open(os.environ["CRASH_FIGURES"], "a", encoding="utf-8") as f:
                f.write(json.dumps(figures) + "\n")

        # Nothing lost: every accepted message is DONE with the authority's decision.
        assert len(rows) == len(expected) == MESSAGES
        wrong = [mid for mid, a, st, _n in rows if st != "DONE" or a != expected[mid][0]]
        assert not wrong, "\n".join(_history(store, mock, mid) for mid in wrong[:3])
        decided = {(mid, code) for mid, kind, code in receipts if kind == "business" and code in DECISIONS}
        wrong_decisions = [mid for mid, (authority, outcome) in expected.items() if (mid, outcome) not in decided
                           or (authority == "GACC" and certificates.get(mid) != outcome)]
        assert not wrong_decisions and len(decided) == MESSAGES, wrong_decisions[:5]
        # No receipt applied twice: one row per authority receipt (the store's unique key), and exactly
        # the import response, STORED and the decision for each message. (The gateway's own "sent" line
        # is missing when the authority's answer overtook a worker killed between upload and record.)
        bad_receipts = [(mid, kinds[(mid, "import_response")], kinds[(mid, "business")], kinds[(mid, "local")])
                        for mid in expected if (kinds[(mid, "import_response")], kinds[(mid, "business")]) != (1, 2)
                        or kinds[(mid, "local")] > 1]
        assert not bad_receipts, bad_receipts[:5]

        # The faults really happened (at full size every one of them; a small run may miss the rare ones),
        # and only the copies the mock broke or forged were quarantined.
        silent = [k for k, v in fired.items() if not v]
        assert not silent if MESSAGES >= 2000 else len(silent) <= len(fired) // 3, f"never fired: {silent}"
        bad_copies = sum(v for k, v in fired.items() if k.startswith(("malformed_receipts", "wrong_key_receipts")))
        assert all(".broken." in q or ".forged." in q for q in quarantined), quarantined[:5]
        assert (0 < len(quarantined) <= bad_copies) or bad_copies == 0 == len(quarantined), (quarantined, fired)

        # The authority reviewed every MessageId once, however often it was uploaded: one decision, the
        # three receipts of one review, every further receipt of the file counted as a duplicate.
        assert set(expected) <= set(observed)
        reviewed_wrong = [mid for mid, (authority, outcome) in expected.items()
                          if observed[mid]["authority"] != authority or observed[mid]["decision"] != outcome
                          or len(observed[mid]["receipts"]) != 3
                          or len(observed[mid]["files"]) != observed[mid]["receive_count"]
                          or any(r["emit_count"] > 1 + observed[mid]["duplicates"] for r in observed[mid]["receipts"])]
        assert not reviewed_wrong, [observed[mid] for mid in reviewed_wrong[:3]]
        submissions = Counter(sub["idempotency_key"] for sub in mock.admin("/admin/http/submissions",
                                                                           authority="CCPIT")["submissions"])
        ccpit = [mid for mid, (authority, _o) in expected.items() if authority == "CCPIT"]
        assert all(submissions[mid] == 1 for mid in ccpit) and len(submissions) == len(ccpit)

        # Receipt ingestion ran in one process at a time (the leader): once another process has applied
        # receipts, the previous leader (killed) never applies one again.
        assert leaders and len(leaders) == len(set(leaders)), f"receipts applied by interleaving processes: {leaders}"
    finally:
        if workers is not None:
            workers.stop()
        mock.stop()
        if engine is not None:
            engine.dispose()


def _diagnose(store: SqlStore, mock: Mock) -> str:
    with store.transaction() as tx:
        stuck = tx.messages_in_state(["SENT", "ACKNOWLEDGED", "QUEUED", "RETRY_WAIT", "SENDING", "ATTENTION"], limit=2)
    return "\n".join(_history(store, mock, r["message_id"]) for r in stuck)


def _history(store: SqlStore, mock: Mock, message_id: str) -> str:
    """One message as both sides saw it: the gateway's events and receipts, the mock's observation."""
    with store.transaction() as tx:
        view = tx.message_view(ENT.id, message_id)
        receipts = tx.receipts_view(ENT.id, message_id)
    observed = httpx.get(f"{mock.url}/admin/messages/{message_id}", timeout=30).json()
    return json.dumps({"events": (view or {}).get("events"), "receipts": receipts, "mock": {
        k: observed.get(k) for k in ("receive_count", "files", "decision", "reasons", "http")}},
        ensure_ascii=False)[:6000]
