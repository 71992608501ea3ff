"""APScheduler 3.11 wiring. Jobs only claim-and-dispatch or poll; all logic lives in the services.

One scheduler per deployment: the job store is in memory and never shared between processes.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Protocol

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)


class Runner(Protocol):
    def dispatch_once(self) -> Any: ...
    def ingest_once(self) -> Any: ...


def _guarded(name: str, fn: Any) -> Any:
    def run() -> None:
        try:
            fn()
        except Exception:  # a failing tick must not kill the scheduler; the next tick retries
            log.exception("job %s failed", name)

    return run


def build_scheduler(runner: Runner, *, dispatch_seconds: float, receipt_seconds: float,
                    dispatch: bool = True, receipts: bool = True) -> BackgroundScheduler:
    sched = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    if dispatch:
        sched.add_job(_guarded("dispatch", runner.dispatch_once), "interval", seconds=dispatch_seconds,
                      id="dispatch_due", next_run_time=datetime.now(UTC))
    if receipts:
        sched.add_job(_guarded("receipts", runner.ingest_once), "interval", seconds=receipt_seconds,
                      id="poll_receipts", next_run_time=datetime.now(UTC))
    return sched
