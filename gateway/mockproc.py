"""Start mock customs as a separate process and read its ready line (used by the demo and e2e tests).

The gateway never imports mock_customs; it only runs it, as an operator would.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def wait_ready(proc: subprocess.Popen[str], timeout: float, lines: list[str]) -> dict[str, Any]:
    """Read stdout until the JSON line {"event": "ready", …}; keep reading (and collecting) afterwards."""
    ready: dict[str, Any] = {}
    got = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        with contextlib.suppress(ValueError, OSError):  # stdout closed by stop_process
            _collect(proc.stdout)
        got.set()  # stdout closed: the process ended

    def _collect(stream: Any) -> None:
        for line in stream:
            lines.append(line.rstrip())
            if not got.is_set() and line.startswith("{"):
                try:
                    data = json.loads(line)
                except ValueError:
                    continue
                if data.get("event") == "ready":
                    ready.update(data)
                    got.set()

    threading.Thread(target=read, name=f"stdout-{proc.pid}", daemon=True).start()
    if not got.wait(timeout) or not ready:
        proc.kill()
        raise RuntimeError(f"process {proc.args!r} did not become ready:\n" + "\n".join(lines[-30:]))
    return ready


def stop_process(proc: subprocess.Popen[str], timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


@dataclass
class MockProcess:
    proc: subprocess.Popen[str]
    sftp_port: int
    http_port: int
    host_public_key: str
    log_lines: list[str] = field(default_factory=list)

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def stop(self) -> None:
        stop_process(self.proc)


def start_mock(state_dir: Path, pki_dir: Path, passphrase: str, *, user: str, password: str,
               http_token: str | None = None, delay_stored: float = 0.0, delay_decision: float = 0.0,
               poll_interval: float = 0.2, ready_timeout: float = 60.0, http_port: int = 0,
               extra_args: Sequence[str] = ()) -> MockProcess:
    """``extra_args`` go to the mock as they are (e.g. ``["--scenario", "http_500:count=1", "--seed", "7"]``)."""
    env = {**os.environ, "MOCK_PKI_PASSPHRASE": passphrase}
    cmd = [sys.executable, "-m", "mock_customs", "--state-dir", str(state_dir), "--pki-dir", str(pki_dir),
           "--sftp-port", "0", "--http-port", str(http_port), "--user", f"{user}:{password}",
           "--delay-stored", str(delay_stored), "--delay-decision", str(delay_decision),
           "--poll-interval", str(poll_interval)]
    if http_token:
        cmd += ["--http-token", f"{user}:{http_token}"]
    cmd += list(extra_args)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=None, text=True, env=env)
    lines: list[str] = []
    ready = wait_ready(proc, ready_timeout, lines)
    return MockProcess(proc, int(ready["sftp_port"]), int(ready["http_port"]), str(ready["host_public_key"]), lines)
