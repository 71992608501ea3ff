"""Running the gateway's parts in one process: HTTP server thread + scheduler."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from werkzeug.serving import BaseWSGIServer, make_server

from gateway.bootstrap import Container
from gateway.web.app import create_app
from scheduler.jobs import build_scheduler

log = logging.getLogger(__name__)


@dataclass
class Running:
    container: Container
    server: BaseWSGIServer | None
    scheduler: BackgroundScheduler | None
    thread: threading.Thread | None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_port

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        if self.server is not None:
            self.server.shutdown()
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.container.close()


def start(container: Container, *, host: str = "127.0.0.1", port: int = 8080, web: bool = True,
          dispatch: bool = True, receipts: bool = True) -> Running:
    server = thread = sched = None
    if web:
        server = make_server(host, port, create_app(container), threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="cogw-web", daemon=True)
        thread.start()
        log.info("API listening on http://%s:%s", host, server.server_port)
    if dispatch or receipts:
        s = container.settings
        sched = build_scheduler(container, dispatch_seconds=s.dispatch_poll_seconds,
                                receipt_seconds=s.receipt_poll_seconds, dispatch=dispatch, receipts=receipts)
        sched.start()
    return Running(container, server, sched, thread)
