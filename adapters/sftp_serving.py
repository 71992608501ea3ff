"""Server-side SFTP plumbing shared by the two SFTP servers in the repository: the folder mailboxes the
gateway serves to ERPs (adapters/sftp_mailbox_server.py) and mock customs' authority mailboxes
(mock_customs/sftp_server.py).

What is here is protocol and socket handling that must behave the same in both: the persisted host key,
the listener (one paramiko transport per connection, a clean stop), the version reply that advertises
``posix-rename@openssh.com`` as OpenSSH does, file handles, directory listings and errno mapping. Who may
log in, how paths are jailed and which faults are injected stay with each server.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from paramiko.sftp import SFTP_PERMISSION_DENIED

log = logging.getLogger(__name__)


def load_or_create_host_key(state_dir: Path, file_name: str, *, public_copy: bool = False) -> paramiko.PKey:
    """The server's ed25519 host key, generated on first use and kept (mode 0600) in ``state_dir`` so
    clients can pin it; ``public_copy`` also writes ``<file_name>.pub`` (OpenSSH format)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / file_name
    if not path.exists():
        key = ed25519.Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.replace(tmp, path)
        if public_copy:
            public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
            (state_dir / f"{file_name}.pub").write_bytes(public + b"\n")
    return paramiko.Ed25519Key.from_private_key_file(str(path))


def public_key_line(key: paramiko.PKey) -> str:
    """OpenSSH ``"type base64"`` form of a key's public half."""
    return f"{key.get_name()} {key.get_base64()}"


def errno_status(exc: OSError) -> int:
    """The SFTP status for a failed file operation (a jail's PermissionError carries no errno)."""
    if isinstance(exc, PermissionError):
        return SFTP_PERMISSION_DENIED
    return int(paramiko.SFTPServer.convert_errno(exc.errno or errno.EIO))


def file_mode(flags: int) -> str:
    """The ``os.fdopen`` mode for SFTP open flags."""
    if flags & os.O_WRONLY:
        return "ab" if flags & os.O_APPEND else "wb"
    if flags & os.O_RDWR:
        return "a+b" if flags & os.O_APPEND else "r+b"
    return "rb"


def list_attributes(real_dir: str) -> list[paramiko.SFTPAttributes]:
    """A directory listing as SFTP attributes, sorted by name; entries are lstat-ed (links not followed)."""
    out = []
    for name in sorted(os.listdir(real_dir)):
        attr = paramiko.SFTPAttributes.from_stat(os.lstat(os.path.join(real_dir, name)))
        attr.filename = name
        out.append(attr)
    return out


class FileHandle(paramiko.SFTPHandle):
    """An open file: paramiko reads and writes through ``readfile`` / ``writefile``."""

    def __init__(self, flags: int, fileobj: Any) -> None:
        super().__init__(flags)
        if flags & (os.O_WRONLY | os.O_RDWR):
            self.writefile = fileobj
        if not flags & os.O_WRONLY:
            self.readfile = fileobj
        self.fileobj = fileobj

    def stat(self) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.fstat(self.fileobj.fileno()))
        except OSError as exc:
            return errno_status(exc)


class PosixRenameSubsystem(paramiko.SFTPServer):
    """paramiko's SFTP server, advertising ``posix-rename@openssh.com`` (and ``EXTENSIONS``) in its version
    reply as OpenSSH does, so clients use atomic replace for temp-then-rename uploads."""

    EXTENSIONS: tuple[str, ...] = ("posix-rename@openssh.com", "1")

    def _send_server_version(self) -> int:
        # paramiko.sftp.BaseSFTP._send_server_version, with more extension pairs
        from paramiko.message import Message
        from paramiko.sftp import CMD_INIT, CMD_VERSION, SFTPError

        base: Any = self
        kind, data = base._read_packet()
        if kind != CMD_INIT:
            raise SFTPError("Incompatible sftp protocol")
        msg = Message()
        msg.add_int(3)
        msg.add(*self.EXTENSIONS)
        base._send_packet(CMD_VERSION, msg)
        return int.from_bytes(data[:4], "big")


class SshListener:
    """Listens on host:port (0 = a free port, see :attr:`port`) and serves each connection on its own
    paramiko transport thread, until :meth:`stop` closes the socket and every transport."""

    def __init__(self, host: str, port: int, host_key: paramiko.PKey, name: str,
                 serve: Callable[[paramiko.Transport], paramiko.ServerInterface], *,
                 subsystem: type[paramiko.SFTPServer], sftp: type[paramiko.SFTPServerInterface],
                 backlog: int = 32) -> None:
        self.host, self.port, self.host_key, self.name = host, port, host_key, name
        self.serve, self.subsystem, self.sftp, self.backlog = serve, subsystem, sftp, backlog
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._transports: list[paramiko.Transport] = []
        self._lock = threading.Lock()

    def start(self) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(self.backlog)
        sock.settimeout(0.2)  # so stop() is noticed
        self._sock, self.port = sock, sock.getsockname()[1]
        self._stop.clear()
        self._thread = threading.Thread(target=self._accept_loop, name=f"{self.name}-{self.port}", daemon=True)
        self._thread.start()
        return self.port

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, addr = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break  # socket closed by stop()
            conn.settimeout(None)
            try:
                transport = paramiko.Transport(conn)
                transport.add_server_key(self.host_key)
                transport.set_subsystem_handler("sftp", self.subsystem, self.sftp)
                with self._lock:
                    self._transports = [t for t in self._transports if t.is_active()]
                    self._transports.append(transport)
                # with an event, start_server returns at once: negotiation runs on the transport's own thread
                transport.start_server(event=threading.Event(), server=self.serve(transport))
            except Exception:
                log.exception("%s: connection from %s failed to start", self.name, addr)
                conn.close()

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            transports, self._transports = self._transports, []
        for t in transports:
            t.close()
        for t in transports:
            t.join(timeout=5)
