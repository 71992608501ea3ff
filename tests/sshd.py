"""Start a real OpenSSH ``sshd`` on a free loopback port, for integration tests and benchmarks.

``start_sshd(tmp_dir)`` needs no pytest; ``sshd_server`` is a session-scoped pytest fixture around it
(import it into ``tests/conftest.py``). The server:

- listens on 127.0.0.1 only, with its own ed25519 host key and an ed25519 client key in
  ``AuthorizedKeysFile`` (public-key authentication only, no passwords, no PAM);
- serves only SFTP (``ForceCommand internal-sftp``), as the current user (root is allowed
  because test containers run as root);
- keeps everything under ``tmp_dir``: config, keys, pid file, log, and ``root/`` for mailboxes
  (``root/inbound`` and ``root/outbound`` are created). There is no chroot, so remote paths are
  the absolute local paths (``server.path("inbound")``).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = ["SshdError", "SshdServer", "find_sshd", "sshd_server", "start_sshd"]

SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")
_PRIVSEP_DIR = Path("/run/sshd")  # compiled into Debian's OpenSSH; required when sshd starts as root


class SshdError(RuntimeError):
    """sshd could not be started (binary missing, bad config, never became ready)."""


@dataclass
class SshdServer:
    host: str
    port: int
    username: str
    client_key_path: Path
    host_public_key: str  # "ssh-ed25519 AAAA…", for SftpConfig.known_host_key
    root: Path  # mailbox root on the server (local directory, absolute remote paths)
    workdir: Path
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def path(self, *parts: str) -> str:
        """The remote (= local) absolute path of ``root/<parts…>``."""
        return str(self.root.joinpath(*parts))

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def is_running(self) -> bool:
        return self.process.poll() is None

    def sftp_config(self, **overrides: Any) -> Any:
        """An ``adapters.sftp.SftpConfig`` for this server (key auth, pinned host key), with overrides."""
        from adapters.sftp import SftpConfig

        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "private_key_path": str(self.client_key_path),
            "known_host_key": self.host_public_key,
            "outbox_dir": self.path("inbound"),
            "inbox_dir": self.path("outbound"),
            "timeout": 10.0,
        }
        values.update(overrides)
        return SftpConfig(**values)

    def session_pids(self) -> list[int]:
        """Pids of the per-connection sshd processes (direct children of the listener)."""
        if self.process.poll() is not None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat_line = (entry / "stat").read_text()
            except OSError:
                continue
            # "pid (comm) state ppid …": comm may contain spaces, so split after the last ')'.
            fields = stat_line.rsplit(")", 1)[-1].split()
            if len(fields) > 1 and int(fields[1]) == self.process.pid:
                pids.append(int(entry.name))
        return pids

    def drop_connections(self) -> int:
        """Kill every open SSH connection server-side (the listener keeps running); returns how many."""
        pids = self.session_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the listener and its open connections, and wait; idempotent."""
        if self.process.poll() is None:
            self.drop_connections()
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)

    def __enter__(self) -> SshdServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def find_sshd() -> str | None:
    for candidate in SSHD_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("sshd")
    return found if found and os.path.isabs(found) else None


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (bind to 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_sshd(tmp_dir: Path, *, ready_timeout: float = 15.0, attempts: int = 3) -> SshdServer:
    """Start sshd under ``tmp_dir`` and return once it answers with an SSH banner."""
    sshd = find_sshd()
    if sshd is None:
        raise SshdError("OpenSSH sshd not found (apt-get install openssh-server)")
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        raise SshdError("ssh-keygen not found (apt-get install openssh-client)")

    workdir = Path(tmp_dir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    root = workdir / "root"
    for mailbox in ("inbound", "outbound"):
        (root / mailbox).mkdir(parents=True, exist_ok=True)

    host_key = workdir / "ssh_host_ed25519_key"
    client_key = workdir / "client_ed25519"
    for key in (host_key, client_key):
        if not key.exists():
            subprocess.run(
                [keygen, "-q", "-t", "ed25519", "-N", "", "-C", key.name, "-f", str(key)],
                check=True,
                capture_output=True,
            )
    authorized = workdir / "authorized_keys"
    authorized.write_text(client_key.with_suffix(".pub").read_text())
    authorized.chmod(0o600)
    host_public_key = " ".join(host_key.with_suffix(".pub").read_text().split()[:2])

    if os.geteuid() == 0 and not _PRIVSEP_DIR.is_dir():
        _PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)

    username = getpass.getuser()
    last_error = ""
    for _attempt in range(attempts):
        port = free_port()
        config = workdir / "sshd_config"
        config.write_text(_sshd_config(port, workdir, host_key, authorized, root))
        test = subprocess.run([sshd, "-t", "-f", str(config)], capture_output=True, text=True)
        if test.returncode != 0:
            raise SshdError(f"sshd -t rejected {config}: {test.stderr.strip()}")
        log_path = workdir / "sshd.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sshd, "-D", "-e", "-f", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = SshdServer(
            host="127.0.0.1",
            port=port,
            username=username,
            client_key_path=client_key,
            host_public_key=host_public_key,
            root=root,
            workdir=workdir,
            log_path=log_path,
            process=process,
        )
        if _wait_ready(server, ready_timeout):
            return server
        server.stop()
        last_error = server.log_text()
        if "Address already in use" not in last_error:
            break  # a real failure, not a lost race for the port
    raise SshdError(f"sshd did not become ready; log:\n{last_error[-4000:]}")


def _sshd_config(port: int, workdir: Path, host_key: Path, authorized: Path, root: Path) -> str:
    return f"""\
Port {port}
ListenAddress 127.0.0.1
AddressFamily inet
HostKey {host_key}
PidFile {workdir / "sshd.pid"}
AuthorizedKeysFile {authorized}
StrictModes no
UsePAM no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
AllowAgentForwarding no
AllowTcpForwarding no
X11Forwarding no
PermitTTY no
PrintMotd no
UseDNS no
MaxStartups 100
MaxSessions 20
LoginGraceTime 30
LogLevel VERBOSE
Subsystem sftp internal-sftp
ForceCommand internal-sftp -d {root}
"""


def _wait_ready(server: SshdServer, timeout: float) -> bool:
    """Poll until sshd sends its identification banner, sshd exits, or the deadline passes."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while time.monotonic() < deadline:
        if not server.is_running():
            return False
        try:
            with socket.create_connection((server.host, server.port), timeout=1.0) as sock:
                sock.settimeout(max(0.1, min(2.0, deadline - time.monotonic())))
                if sock.recv(64).startswith(b"SSH-"):
                    return True
        except OSError:
            pass
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    return False


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdServer]:
    """A real OpenSSH sshd for the whole session (see ``start_sshd``); stopped at the end."""
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        server.stop()
