"""Exactly one scheduler per deployment: the leader lock on PostgreSQL (advisory lock on a dedicated
session) and SQLite (flock beside the database), including a leader that dies without letting go."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
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
    def __init__(self, leads: list[bool], still: bool = True) -> None:
        self.leads, self.still = leads, still
        self.ingested = 0

    def try_lead(self) -> bool:
        return self.leads.pop(0)

    def still_leads(self) -> bool:
        return self.still

    def dispatch_once(self, owner: str | None = None) -> None: ...
    def ingest_once(self) -> None:
        self.ingested += 1
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


def test_a_singleton_tick_runs_only_if_the_lock_is_still_held() -> None:
    sched = BackgroundScheduler(timezone="UTC")  # never started: the jobs are driven directly
    runner = FakeRunner([True])
    leadership = Leadership(sched, runner, receipt_seconds=1, retention_seconds=60)
    leadership.check()
    poll = sched.get_job("poll_receipts")
    poll.func()
    assert runner.ingested == 1
    runner.still = False  # lost between two leadership checks
    poll.func()
    assert runner.ingested == 1  # no receipt polling outside the leader
    assert not leadership.leading.is_set() and sched.get_jobs() == []


class LockRunner(FakeRunner):
    """The real leader lock behind the runner's leadership calls; ingestion only counted."""

    def __init__(self, lock: LeaderLock) -> None:
        super().__init__([])
        self.lock = lock

    def try_lead(self) -> bool:
        return self.lock.try_acquire()

    def still_leads(self) -> bool:
        return self.lock.confirm()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_leader_whose_session_the_server_ended_polls_no_more_receipts(database_url: str) -> None:
    lock, rival = LeaderLock(database_url), LeaderLock(database_url)
    runner = LockRunner(lock)
    sched = BackgroundScheduler(timezone="UTC")  # never started: the jobs are driven directly
    leadership = Leadership(sched, runner, receipt_seconds=1, retention_seconds=60)
    try:
        leadership.check()
        poll = sched.get_job("poll_receipts")
        poll.func()
        assert runner.ingested == 1 and lock.confirm()
        # The server ends the leader's session (an administrator, a failover, a cut connection): the
        # advisory lock goes with it, and another process takes the lead.
        with psycopg.connect(database_url, autocommit=True) as admin:
            ended = admin.execute("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                  " WHERE application_name = 'cogw-leader' AND datname = current_database()) t"
                                  ).fetchone()
        assert ended == (1,)
        deadline = time.monotonic() + 30
        while not rival.try_acquire():  # the server ends the session asynchronously: poll with a deadline
            assert time.monotonic() < deadline, "the ended session's lock was never released"
            time.sleep(0.1)
        poll.func()  # the old leader's next tick comes before its next leadership check
        assert runner.ingested == 1  # it did not poll: it confirmed the lock first and stepped down
        assert not leadership.leading.is_set() and sched.get_jobs() == []
        leadership.check()  # and it does not lead again while the rival holds the lock
        assert sched.get_jobs() == []
    finally:
        lock.release()
        rival.release()
