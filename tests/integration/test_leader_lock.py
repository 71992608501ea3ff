"""Exactly one scheduler per deployment: the leader lock on PostgreSQL (advisory lock on a dedicated
session) and SQLite (flock beside the database), including a leader that dies without letting go."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from apscheduler.schedulers.background import BackgroundScheduler

from gateway.db.leader import LeaderLock
from scheduler.jobs import SINGLETON_JOBS, Leadership

HOLD = """
import sys, time
from gateway.db.leader import LeaderLock
lock = LeaderLock(sys.argv[1])
print("leader" if lock.try_acquire() else "follower", flush=True)
time.sleep(600)
"""


def test_only_one_process_leads_and_a_release_hands_over(database_url: str) -> None:
    first, second = LeaderLock(database_url), LeaderLock(database_url)
    try:
        assert first.try_acquire()
        assert first.try_acquire()  # still ours (the session is checked, not re-locked)
        assert not second.try_acquire()
        first.release()
        assert second.try_acquire() and second.held
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


def test_a_leader_killed_with_sigkill_leaves_the_lock_to_the_next(database_url: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, database_url], stdout=subprocess.PIPE, text=True,
                            env={**os.environ})
    follower = LeaderLock(database_url)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "leader"
        assert not follower.try_acquire()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        # PostgreSQL ends the killed session (and its advisory lock) asynchronously: poll with a deadline.
        deadline = time.monotonic() + 30
        while not follower.try_acquire():
            assert time.monotonic() < deadline, "the dead leader's lock was never released"
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        follower.release()


class FakeRunner:
    def __init__(self, leads: list[bool]) -> None:
        self.leads = leads

    def try_lead(self) -> bool:
        return self.leads.pop(0)

    def dispatch_once(self, owner: str | None = None) -> None: ...
    def ingest_once(self) -> None: ...
    def sweep_once(self) -> None: ...
    def retention_once(self) -> None: ...


def test_singleton_jobs_run_only_while_leading() -> None:
    sched = BackgroundScheduler(timezone="UTC")
    runner = FakeRunner([False, True, True, False])
    leadership = Leadership(sched, runner, receipt_seconds=1, retention_seconds=60)
    jobs = lambda: {j.id for j in sched.get_jobs()}  # noqa: E731
    leadership.check()
    assert jobs() == set()
    leadership.check()
    assert jobs() == set(SINGLETON_JOBS)
    leadership.check()  # still leading: nothing added twice
    assert len(sched.get_jobs()) == len(SINGLETON_JOBS)
    leadership.check()  # lost the lock: stop polling here at once
    assert jobs() == set()
