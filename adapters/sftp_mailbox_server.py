"""The folder mailboxes served to ERPs over SFTP (paramiko server side).

Each login is one enterprise, jailed to its own mailbox root: the ERP sees ``/CO/OutBox`` … and nothing
else; ``..`` above the root and symlinks are refused. Who may log in, and where their root is, is asked
of an :class:`Authenticator` (the gateway answers from its database), so this module knows nothing of
the gateway. Uploads honour temp-then-rename: ``posix-rename@openssh.com`` is advertised, and the
scanner ignores dot-names and ``.tmp`` names until they are renamed.

The ed25519 host key is generated once and kept (mode 0600) under the state directory so ERPs can pin it.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
from pathlib import Path
from typing import Any, Protocol

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from paramiko.common import AUTH_FAILED, AUTH_SUCCESSFUL, OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED, OPEN_SUCCEEDED
from paramiko.sftp import SFTP_FAILURE, SFTP_OK, SFTP_OP_UNSUPPORTED, SFTP_PERMISSION_DENIED

log = logging.getLogger(__name__)

HOST_KEY_FILE = "folder_sftp_host_ed25519_key"


class Authenticator(Protocol):
    """Answers a login with the user's mailbox root, or None."""

    def password_login(self, username: str, password: str) -> Path | None: ...
    def key_login(self, username: str, key_line: str) -> Path | None: ...


def load_or_create_host_key(state_dir: Path) -> paramiko.PKey:
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / HOST_KEY_FILE
    if not path.exists():
        pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.replace(tmp, path)
    return paramiko.Ed25519Key.from_private_key_file(str(path))


class _Jail:
    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)

    def real(self, path: str) -> str:
        """Real path for a client path; PermissionError if it would leave the root or pass a symlink."""
        parts: list[str] = []
        for part in path.replace("\\", "/").split("/"):
            if part in ("", "."):
                continue
            if part == ".." or "\x00" in part:
                if part == ".." and parts:
                    parts.pop()
                    continue
                raise PermissionError(path)
            parts.append(part)
        real = os.path.join(self.root, *parts)
        probe = self.root
        for part in parts:  # no symlink anywhere on the way: links could point out of the jail
            probe = os.path.join(probe, part)
            if os.path.islink(probe):
                raise PermissionError(path)
        return real

    def virtual(self, path: str) -> str:
        parts: list[str] = []
        for part in path.replace("\\", "/").split("/"):
            if part == "..":
                if parts:
                    parts.pop()
            elif part not in ("", "."):
                parts.append(part)
        return "/" + "/".join(parts)


class _Server(paramiko.ServerInterface):
    def __init__(self, auth: Authenticator) -> None:
        self.auth = auth
        self.username: str | None = None
        self.root: Path | None = None

    def get_allowed_auths(self, username: str) -> str:
        return "password,publickey"

    def check_auth_password(self, username: str, password: str) -> int:
        return self._login(username, self.auth.password_login(username, password))

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        return self._login(username, self.auth.key_login(username, f"{key.get_name()} {key.get_base64()}"))

    def _login(self, username: str, root: Path | None) -> int:
        if root is None:
            log.warning("folder sftp: login of %r refused", username)
            return AUTH_FAILED
        self.username, self.root = username, root
        return AUTH_SUCCESSFUL

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return OPEN_SUCCEEDED if kind == "session" else OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


def _status(exc: OSError) -> int:
    if isinstance(exc, PermissionError):
        return SFTP_PERMISSION_DENIED
    return int(paramiko.SFTPServer.convert_errno(exc.errno or errno.EIO))


class _Handle(paramiko.SFTPHandle):
    def __init__(self, flags: int, fileobj: Any) -> None:
        super().__init__(flags)
        if flags & (os.O_WRONLY | os.O_RDWR):
            self.writefile = fileobj
        if not flags & os.O_WRONLY:
            self.readfile = fileobj
        self._file = fileobj

    def stat(self) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.fstat(self._file.fileno()))
        except OSError as exc:
            return _status(exc)

    def chattr(self, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_OK  # permissions and times are the gateway's business, not the client's


class _MailboxSftp(paramiko.SFTPServerInterface):
    def __init__(self, server: _Server, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        assert server.root is not None, "SFTP session before authentication"
        self.jail = _Jail(server.root)

    def canonicalize(self, path: str) -> str:
        return self.jail.virtual(path)

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        try:
            real = self.jail.real(path)
            out = []
            for name in sorted(os.listdir(real)):
                attr = paramiko.SFTPAttributes.from_stat(os.lstat(os.path.join(real, name)))
                attr.filename = name
                out.append(attr)
            return out
        except OSError as exc:
            return _status(exc)

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self.jail.real(path)))
        except OSError as exc:
            return _status(exc)

    lstat = stat

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_OK

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> paramiko.SFTPHandle | int:
        try:
            fd = os.open(self.jail.real(path), flags | os.O_NOFOLLOW, 0o640)
        except OSError as exc:
            return _status(exc)
        if flags & os.O_WRONLY:
            mode = "ab" if flags & os.O_APPEND else "wb"
        elif flags & os.O_RDWR:
            mode = "a+b" if flags & os.O_APPEND else "r+b"
        else:
            mode = "rb"
        return _Handle(flags, os.fdopen(fd, mode))

    def remove(self, path: str) -> int:
        return self._do(os.remove, path)

    def rename(self, oldpath: str, newpath: str) -> int:
        """SFTP v3 rename never replaces an existing file."""
        try:
            src, dst = self.jail.real(oldpath), self.jail.real(newpath)
            if os.path.lexists(dst):
                return SFTP_FAILURE
            os.link(src, dst, follow_symlinks=False)  # fails if dst appeared meanwhile
            os.unlink(src)
        except OSError as exc:
            return _status(exc)
        return SFTP_OK

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        try:
            os.replace(self.jail.real(oldpath), self.jail.real(newpath))
        except OSError as exc:
            return _status(exc)
        return SFTP_OK

    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return self._do(lambda p: os.mkdir(p, 0o750), path)

    def rmdir(self, path: str) -> int:
        return self._do(os.rmdir, path)

    def symlink(self, target_path: str, path: str) -> int:
        return SFTP_OP_UNSUPPORTED

    def readlink(self, path: str) -> str | int:
        return SFTP_OP_UNSUPPORTED

    def _do(self, op: Any, path: str) -> int:
        try:
            op(self.jail.real(path))
        except OSError as exc:
            return _status(exc)
        return SFTP_OK


class _Subsystem(paramiko.SFTPServer):
    """paramiko's SFTP server, advertising ``posix-rename@openssh.com`` as OpenSSH does."""

    def _send_server_version(self) -> int:
        from paramiko.message import Message
        from paramiko.sftp import CMD_INIT, CMD_VERSION, SFTPError

        base: Any = self
        kind, data = base._read_packet()
        if kind != CMD_INIT:
            raise SFTPError("Incompatible sftp protocol")
        msg = Message()
        msg.add_int(3)
        msg.add("posix-rename@openssh.com", "1")
        base._send_packet(CMD_VERSION, msg)
        return int.from_bytes(data[:4], "big")


class MailboxSftpServer:
    """Listens on host:port (0 = a free port, see :attr:`port`); one paramiko transport per connection."""

    def __init__(self, auth: Authenticator, state_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.auth = auth
        self.host, self.port = host, port
        self.host_key = load_or_create_host_key(state_dir)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._transports: list[paramiko.Transport] = []
        self._lock = threading.Lock()

    @property
    def host_public_key(self) -> str:
        return f"{self.host_key.get_name()} {self.host_key.get_base64()}"

    def start(self) -> MailboxSftpServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(32)
        sock.settimeout(0.2)  # so stop() is noticed
        self._sock, self.port = sock, sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name=f"folder-sftp-{self.port}", daemon=True)
        self._thread.start()
        log.info("folder mailboxes served over SFTP on %s:%d", self.host, self.port)
        return self

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
                transport.set_subsystem_handler("sftp", _Subsystem, _MailboxSftp)
                with self._lock:
                    self._transports = [t for t in self._transports if t.is_active()]
                    self._transports.append(transport)
                transport.start_server(event=threading.Event(), server=_Server(self.auth))
            except Exception:
                log.exception("folder sftp connection from %s failed to start", addr)
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

