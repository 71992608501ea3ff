"""The folder job is scheduled only when folder mailboxes are on, and a failing pass does not kill it."""

from __future__ import annotations

from scheduler.jobs import build_scheduler


class Runner:
    def __init__(self) -> None:
        self.folder_calls = 0

    def dispatch_once(self) -> None: ...
    def ingest_once(self) -> None: ...

    def folder_once(self) -> None:
        self.folder_calls += 1
        raise OSError("disk gone")


def test_folder_job_only_when_asked() -> None:
    sched, _ = build_scheduler(Runner(), dispatch_seconds=1, receipt_seconds=1)
    # receipt polling is a leader job: scheduled only once this process holds the leader lock
    assert [j.id for j in sched.get_jobs()] == ["dispatch_due_1", "leader"]
    sched, _ = build_scheduler(Runner(), dispatch_seconds=1, receipt_seconds=1, dispatch=False, receipts=False,
                            folder_seconds=0.5)
    (job,) = sched.get_jobs()
    assert job.id == "scan_folders" and job.trigger.interval.total_seconds() == 0.5


def test_a_failing_folder_pass_is_logged_not_raised() -> None:
    runner = Runner()
    sched, _ = build_scheduler(runner, dispatch_seconds=1, receipt_seconds=1, dispatch=False, receipts=False,
                            folder_seconds=1)
    (job,) = sched.get_jobs()
    job.func()  # the guarded wrapper, driven directly (no clock involved)
    assert runner.folder_calls == 1
