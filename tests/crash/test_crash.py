"""Crash test: thousands of messages through real `cogw worker` processes that are SIGKILLed at random
(seeded) moments and restarted, against a real mock customs process, with transport faults injected.

Proves the delivery promise end to end: every message ends in a terminal state, none is lost, the
authority reviews no MessageId twice, and no receipt is applied twice. PostgreSQL with three workers,
SQLite with one. Size, seed and bound: CRASH_MESSAGES (2000), CRASH_SEED, CRASH_BOUND_SECONDS (per DB).
The figures of a run are appended as one JSON line to CRASH_FIGURES when set (docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import func, select

from gateway.db import models as m
from gateway.db.engine import make_engine, make_session_factory
from gateway.db.migrate import upgrade
from gateway.db.store import SqlStore
from gateway.demo import sample_bytes
from gateway.mockproc import stop_process, wait_ready
from gateway.services.intake import accept_message
from gateway.services.ports import EnterpriseInfo, SystemClock
from messages.validate import get_validator
from signing.keystore import KeyStore
from tests.crash.faultproxy import FaultProxy

ENT = EnterpriseInfo("91350100M000100Y43", "Demo", "350100001")
MESSAGES = int(os.environ.get("CRASH_MESSAGES", "2000"))
SEED = int(os.environ.get("CRASH_SEED", "20261123"))
BOUND = float(os.environ.get("CRASH_BOUND_SECONDS", "420"))
KILL_EVERY = [float(x) for x in os.environ.get("CRASH_KILL_EVERY", "3,8").split(",")]  # seconds, min,max
pytestmark = [pytest.mark.e2e, pytest.mark.crash, pytest.mark.timeout(int(BOUND * 1.5 + 120))]
SETTLED = ("DONE", "FAILED", "REJECTED")
TOKEN = "crash-token"


def documents(n: int) -> Iterator[tuple[bytes, str]]:
    """n distinct Form E declarations (own DocumentNo and CertNo serial); every 10th one is returned."""
    approved, returned = sample_bytes("form_e_approved.xml"), sample_bytes("form_e_returned.xml")
    for i in range(1, n + 1):
        src, old_doc, old_cert, outcome = ((returned, b"ERP-SO-2026-004712", b"E263501000010002", "RETURNED")
                                           if i % 10 == 0 else
                                           (approved, b"ERP-SO-2026-004711", b"E263501000010001", "APPROVED"))
        yield (src.replace(old_doc, f"CRASH-{i:05d}".encode()).replace(old_cert, f"E26350100001{i:04d}".encode()),
               outcome)


@dataclass
class Workers:
    env: dict[str, str]
    count: int
    rng: random.Random
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    kills: int = 0
    logs: list[str] = field(default_factory=list)

    def spawn(self, slot: int) -> subprocess.Popen[str]:
        env = {**self.env, "GATEWAY_WORKER_ID": f"w{slot}-{self.kills}"}
        proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        wait_ready(proc, 60, self.logs)
        return proc

    def start(self) -> None:
        self.procs = [self.spawn(i) for i in range(self.count)]

    def kill_one(self) -> None:
        slot = self.rng.randrange(self.count)
        victim = self.procs[slot]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        if victim.stdout is not None:
            victim.stdout.close()
        self.kills += 1
        self.procs[slot] = self.spawn(slot)

    def stop(self) -> None:
        for p in self.procs:
            stop_process(p)


def _start_mock(state: Path, pki_dir: Path, passphrase: str) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "mock_customs", "--state-dir", str(state), "--pki-dir", str(pki_dir),
           "--sftp-port", "0", "--http-port", "0", "--http-token", f"gateway:{TOKEN}",
           "--delay-stored", "0", "--delay-decision", "0", "--poll-interval", "0.05",
           # a repeated upload gets its receipts written again: duplicate receipts for the gateway to dedupe
           "--duplicate-policy", "reemit"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "MOCK_PKI_PASSPHRASE": passphrase})
    ready = wait_ready(proc, 60, [])
    return proc, f"http://127.0.0.1:{ready['http_port']}"


def test_every_message_settles_exactly_once_while_workers_are_killed(
        database_url: str, tmp_path: Path, pki_dir: Path, pki_passphrase: str) -> None:
    sqlite = database_url.startswith("sqlite")
    n_workers = 1 if sqlite else 3
    rng = random.Random(SEED)
    started = time.monotonic()
    mock, mock_url = _start_mock(tmp_path / "mock", pki_dir, pki_passphrase)
    proxy = FaultProxy(mock_url, seed=SEED).start()
    workers: Workers | None = None
    engine = None
    try:
        pem = KeyStore(pki_dir, pki_passphrase).certificate(ENT.id).public_bytes(Encoding.PEM).decode()
        httpx.post(f"{mock_url}/admin/enterprises", json={"id": ENT.id, "reg_no": ENT.reg_no,
                                                          "certificate_pem": pem}).raise_for_status()
        upgrade(database_url)
        engine = make_engine(database_url)
        store = SqlStore(make_session_factory(engine), SystemClock())
        with store.transaction() as tx:
            tx.add_enterprise(ENT)
        env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_PKI_DIR": str(pki_dir),
               "GATEWAY_PKI_PASSPHRASE": pki_passphrase, "GATEWAY_LOG_LEVEL": "WARNING",
               "GATEWAY_DISPATCH_POLL_SECONDS": "0.1", "GATEWAY_RECEIPT_POLL_SECONDS": "0.1",
               "GATEWAY_LEADER_RETRY_SECONDS": "0.5", "GATEWAY_LEASE_SECONDS": "4",
               "GATEWAY_MAX_ATTEMPTS": "40", "GATEWAY_RETRY_BASE_SECONDS": "0.2", "GATEWAY_RETRY_CAP_SECONDS": "2",
               "GATEWAY_AUTHORITY_GACC_TRANSPORT": "http", "GATEWAY_AUTHORITY_GACC_URL": proxy.url,
               "GATEWAY_AUTHORITY_GACC_TOKEN": TOKEN, "GATEWAY_ARCHIVE_DIR": str(tmp_path / "archive")}
        # Intake first, through the real intake service (as a bulk ERP push would): on SQLite, writers
        # beside the worker would only measure lock waits.
        expected: dict[str, str] = {}
        intake_errors: list[str] = []
        validator, clock = get_validator(), SystemClock()
        for raw, outcome in documents(MESSAGES):
            r = accept_message(store, validator, clock, enterprise_id=ENT.id, raw=raw, actor="crash-test")
            if r.outcome != "accepted" or r.message_id is None:
                intake_errors.append(f"{r.outcome}: {[i.message for i in r.issues][:2]}")
            else:
                expected[r.message_id] = outcome
        assert not intake_errors, intake_errors[:3]
        intake_seconds = time.monotonic() - started
        workers = Workers(env, n_workers, rng)
        workers.start()

        # Kill a worker at seeded random moments until everything has settled (or the bound is reached).
        deadline = started + BOUND
        pause = threading.Event()
        unsettled = MESSAGES
        while time.monotonic() < deadline:
            pause.wait(rng.uniform(*KILL_EVERY))  # the fault schedule, not synchronisation
            with store.transaction() as tx:
                counts = tx.count_by_state()
            unsettled = MESSAGES - sum(counts.get(s, 0) for s in SETTLED)
            if unsettled == 0:
                break
            if KILL_EVERY[0] > 0:
                workers.kill_one()
        elapsed = time.monotonic() - started
        assert unsettled == 0, (f"{unsettled} of {MESSAGES} messages unsettled after {elapsed:.0f}s: {counts}; "
                                f"{_diagnose(store, mock_url)}")
        kills = workers.kills
        workers.stop()
        workers = None

        # Nothing lost: every accepted message is DONE with the authority's decision on its document.
        sessions = make_session_factory(engine)
        with sessions() as s:
            rows = s.execute(select(m.Message.message_id, m.Message.state, m.Message.attempts, m.Certificate.status)
                             .join(m.Certificate, m.Certificate.message_pk == m.Message.id)).all()
            kinds = Counter((mid, kind) for mid, kind in s.execute(
                select(m.Message.message_id, m.Receipt.kind).join(m.Receipt, m.Receipt.message_pk == m.Message.id)))
            reclaims = s.scalar(select(func.count()).select_from(m.MessageEvent)
                                .where(m.MessageEvent.reason.like("%expired; reclaimed%")))
            quarantined = s.scalar(select(func.count()).select_from(m.QuarantinedFile))
        assert len(rows) == len(expected) == MESSAGES
        wrong = [(mid, st, doc) for mid, st, _a, doc in rows if st != "DONE" or doc != expected[mid]]
        assert not wrong, wrong[:5]
        # No receipt applied twice: one row per authority receipt (the store's unique key), and exactly
        # the import response, STORED and the decision for each message. (The gateway's own "sent" line
        # is missing when the authority's answer overtook a worker killed between upload and record.)
        bad_receipts = [(mid, kinds[(mid, "import_response")], kinds[(mid, "business")], kinds[(mid, "local")])
                        for mid in expected if (kinds[(mid, "import_response")], kinds[(mid, "business")]) != (1, 2)
                        or kinds[(mid, "local")] > 1]
        assert not bad_receipts, bad_receipts[:5]
        assert quarantined == 0

        # The authority reviewed every MessageId once, however often it was uploaded.
        observed = {o["message_id"]: o for o in httpx.get(f"{mock_url}/admin/messages", timeout=60).json()["messages"]}
        assert set(expected) <= set(observed)
        reviewed_twice = [mid for mid in expected if len(observed[mid]["receipts"]) != 3]
        assert not reviewed_twice, reviewed_twice[:5]
        decisions = Counter(observed[mid]["decision"] for mid in expected)
        assert decisions == Counter(expected.values())

        figures = {
            "database": "sqlite" if sqlite else "postgresql", "workers": n_workers, "messages": MESSAGES,
            "seed": SEED, "seconds": round(elapsed, 1), "intake_seconds": round(intake_seconds, 1), "sigkills": kills,
            "faults_injected": dict(proxy.injected), "lease_reclaims": reclaims,
            "repeat_uploads_seen_by_mock": sum(observed[mid]["duplicates"] for mid in expected),
            "receipts_reemitted": sum(max(0, r["emit_count"] - 1) for mid in expected
                                      for r in observed[mid]["receipts"]),
            "attempts_max": max(a for _m, _s, a, _d in rows),
            "sent_overtaken_by_receipt": sum(1 for mid in expected if kinds[(mid, "local")] == 0),
            "decisions": dict(decisions),
        }
        print(json.dumps(figures))
        if os.environ.get("CRASH_FIGURES"):
            with open(os.environ["CRASH_FIGURES"], "a", encoding="utf-8") as f:
                f.write(json.dumps(figures) + "\n")
    finally:
        if workers is not None:
            workers.stop()
        proxy.stop()
        stop_process(mock)
        if engine is not None:
            engine.dispose()



def _diagnose(store: SqlStore, mock_url: str) -> str:
    with store.transaction() as tx:
        stuck = tx.messages_in_state(["SENT", "ACKNOWLEDGED", "QUEUED", "RETRY_WAIT", "SENDING", "ATTENTION"], limit=2)
        views = [tx.message_view(ENT.id, r["message_id"]) for r in stuck]
    out = []
    for v in views:
        assert v is not None
        obs = httpx.get(f"{mock_url}/admin/messages/{v['message_id']}", timeout=30).json()
        with store.transaction() as tx:
            receipts = tx.receipts_view(ENT.id, v["message_id"])
        out.append(json.dumps({"events": v["events"], "receipts": receipts,
                               "mock_files": obs.get("files")}, ensure_ascii=False)[:6000])
    return "\n".join(out)
