"""APScheduler 3.11 wiring. Jobs only claim-and-dispatch or poll; all logic lives in the services.

Two kinds of jobs:
- dispatch (every worker, ``workers`` loops per process): claims due rows with a lease, so any number
  of them can run against PostgreSQL;
- singleton jobs (receipt polling, receipt-timeout sweep, retention): run only in the process that holds
  the leader lock (see gateway.db.leader). Every process tries to lead every ``leader_retry_seconds``,
  so when the leader dies another one takes over. Each singleton tick first confirms the lock is still
  held (a lost PostgreSQL session loses it at once, not at the next check) and steps down if not. The
  job store is in memory, never shared.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from datetime import UTC, datetime
from typing import Any, Protocol

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)

SINGLETON_JOBS = ("poll_receipts", "sweep_receipt_timeouts", "retention")


class Runner(Protocol):
    def dispatch_once(self, owner: str | None = None) -> Any: ...
    def ingest_once(self) -> Any: ...
    def sweep_once(self) -> Any: ...
    def retention_once(self) -> Any: ...
    def try_lead(self) -> bool: ...
    def still_leads(self) -> bool: ...
    def folder_once(self) -> Any: ...
    def deliver_webhooks_once(self) -> Any: ...


def _guarded(name: str, fn: Any) -> Any:
    def tick() -> None:
        try:
            fn()
        except Exception:  # a failing tick must not kill the scheduler; the next tick retries
            log.exception("job %s failed", name)

    def run() -> None:
        # A fresh context per tick: a MessageId bound for logging never leaks into the next job on this thread.
        contextvars.copy_context().run(tick)

    return run


class Leadership:
    """Adds the singleton jobs while this process holds the leader lock, removes them when it loses it."""

    def __init__(self, sched: BackgroundScheduler, runner: Runner, *, receipt_seconds: float,
                 retention_seconds: float) -> None:
        self.sched, self.runner = sched, runner
        self.receipt_seconds, self.retention_seconds = receipt_seconds, retention_seconds
        self.leading = threading.Event()
        self._lock = threading.Lock()  # check() and the singleton ticks run on different pool threads

    def check(self) -> None:
        try:
            lead = self.runner.try_lead()
        except Exception:
            log.exception("leader check failed")
            lead = False
        with self._lock:
            if lead and not self.leading.is_set():
                log.info("this process leads: receipt polling, receipt timeouts and retention run here")
                now = datetime.now(UTC)
                self.sched.add_job(self._while_leading("receipts", self.runner.ingest_once), "interval",
                                   seconds=self.receipt_seconds, id="poll_receipts", next_run_time=now)
                self.sched.add_job(self._while_leading("sweep", self.runner.sweep_once), "interval",
                                   seconds=max(self.receipt_seconds, 1.0), id="sweep_receipt_timeouts",
                                   next_run_time=now)
                self.sched.add_job(self._while_leading("retention", self.runner.retention_once), "interval",
                                   seconds=self.retention_seconds, id="retention", next_run_time=now)
                self.leading.set()
            elif not lead and self.leading.is_set():
                self._step_down()

    def _step_down(self) -> None:
        log.warning("lost the leader lock: singleton jobs stop here")
        for job_id in SINGLETON_JOBS:
            if self.sched.get_job(job_id) is not None:
                self.sched.remove_job(job_id)
        self.leading.clear()

    def _while_leading(self, name: str, fn: Any) -> Any:
        """A singleton tick that runs only if the lock is still ours right now; else this process steps down
        (and tries to lead again at the next check, like every other process)."""
        tick = _guarded(name, fn)

        def run() -> None:
            try:
                held = self.runner.still_leads()
            except Exception:
                log.exception("leader confirmation failed")
                held = False
            if held:
                tick()
                return
            with self._lock:
                if self.leading.is_set():
                    self._step_down()

        return run


def build_scheduler(runner: Runner, *, dispatch_seconds: float, receipt_seconds: float,
                    dispatch: bool = True, receipts: bool = True, workers: int = 1, worker_id: str = "",
                    leader_retry_seconds: float = 5.0, retention_seconds: float = 3600.0,
                    folder_seconds: float | None = None, webhook_seconds: float | None = None,
                    ) -> tuple[BackgroundScheduler, Leadership | None]:
    sched = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1},
                                executors={"default": {"type": "threadpool", "max_workers": workers + 5}})
    if dispatch:
        for n in range(1, workers + 1):
            owner = worker_id if workers == 1 else f"{worker_id}/{n}"
            sched.add_job(_guarded("dispatch", lambda o=owner: runner.dispatch_once(o)), "interval",
                          seconds=dispatch_seconds, id=f"dispatch_due_{n}", next_run_time=datetime.now(UTC))
    leadership = None
    if receipts:
        leadership = Leadership(sched, runner, receipt_seconds=receipt_seconds, retention_seconds=retention_seconds)
        sched.add_job(leadership.check, "interval", seconds=leader_retry_seconds, id="leader",
                      next_run_time=datetime.now(UTC))
    if folder_seconds is not None:  # folder mailboxes: scan OutBoxes, write InBox receipts
        sched.add_job(_guarded("folders", runner.folder_once), "interval", seconds=folder_seconds,
                      id="scan_folders", next_run_time=datetime.now(UTC))
    if webhook_seconds is not None:  # ERP webhooks and subscription e-mails
        sched.add_job(_guarded("webhooks", runner.deliver_webhooks_once), "interval", seconds=webhook_seconds,
                      id="deliver_webhooks", next_run_time=datetime.now(UTC))
    return sched, leadership
