"""Running the gateway's parts in one process: HTTP server thread + scheduler."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from werkzeug.serving import BaseWSGIServer, make_server

from adapters.sftp_mailbox_server import MailboxSftpServer
from gateway.bootstrap import Container
from gateway.services.errors import GatewayError
from scheduler.jobs import build_scheduler

log = logging.getLogger(__name__)
DEFAULT_FOLDER_SFTP_PORT = 2223


class DispatcherRunning(GatewayError):
    """Another process already delivers from this SQLite database."""


def claim_dispatch(container: Container) -> None:
    """SQLite is single-worker (DESIGN.md: no SKIP LOCKED, one writer): a second process that would deliver
    from the same database is refused. A no-op on PostgreSQL, and when this process holds the lock already."""
    lock = container.dispatch_lock
    if not container.settings.is_sqlite or lock.try_acquire():
        return
    pid = lock.holder_pid()
    raise DispatcherRunning(
        f"another process{f' (pid {pid})' if pid else ''} already delivers from this SQLite database: it holds "
        f"the lock file {lock.path.resolve()}. SQLite supports one worker; use PostgreSQL "
        "(GATEWAY_DATABASE_URL) to run more")


@dataclass
class Running:
    container: Container
    server: BaseWSGIServer | None
    scheduler: BackgroundScheduler | None
    thread: threading.Thread | None
    folder_sftp: MailboxSftpServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_port

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        self.container.leader.release()
        self.container.dispatch_lock.release()  # after the scheduler: no delivery is running any more
        if self.folder_sftp is not None:
            self.folder_sftp.stop()
        if self.server is not None:
            self.server.shutdown()
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.container.close()


def start(container: Container, *, host: str = "127.0.0.1", port: int = 8080, web: bool = True,
          dispatch: bool = True, receipts: bool = True, workers: int = 1, folders: bool | None = None,
          folder_sftp: bool = True) -> Running:
    """folders: scan folder mailboxes (default: when GATEWAY_FOLDER_ROOT is set), and serve them over SFTP
    when GATEWAY_FOLDER_SFTP_PORT is 0 or more."""
    server = thread = sched = None
    s = container.settings
    folders = bool(s.folder_root) if folders is None else folders
    if dispatch:
        claim_dispatch(container)  # before anything starts; `cogw demo` and the CLI alike
    if web:
        from gateway.web.app import create_app  # here: a worker (web=False) restarts without Flask and the UI

        server = make_server(host, port, create_app(container), threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="cogw-web", daemon=True)
        thread.start()
        log.info("API listening on http://%s:%s", host, server.server_port)
    if dispatch or receipts or folders:
        sched, _leadership = build_scheduler(
            container, dispatch_seconds=s.dispatch_poll_seconds, receipt_seconds=s.receipt_poll_seconds,
            dispatch=dispatch, receipts=receipts, workers=workers, worker_id=container.worker_id,
            leader_retry_seconds=s.leader_retry_seconds, retention_seconds=s.retention_run_seconds,
            folder_seconds=s.folder_scan_seconds if folders else None,
            webhook_seconds=s.webhook_poll_seconds if dispatch else None)
        sched.start()
    sftp = start_folder_sftp(container) if folders and folder_sftp and s.folder_sftp_port >= 0 else None
    return Running(container, server, sched, thread, sftp)


def start_folder_sftp(container: Container, port: int | None = None) -> MailboxSftpServer:
    from pathlib import Path

    from gateway.services.folder_logins import FolderLogins

    s = container.settings
    auth = FolderLogins(container.erp_store, container.folder_mailboxes)
    if port is None:
        port = s.folder_sftp_port if s.folder_sftp_port >= 0 else DEFAULT_FOLDER_SFTP_PORT
    return MailboxSftpServer(auth, Path(s.state_dir), s.folder_sftp_host, port).start()
