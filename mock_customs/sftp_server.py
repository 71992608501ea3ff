"""A small SFTP server (paramiko) serving a jailed directory tree.

The mock authority exposes its mailboxes over SFTP the way the real one does. Every user is jailed to a
root directory: the client sees that directory as ``/`` and any path that would leave it (``..`` above
the root, a symlink pointing outside) is refused with *permission denied*.

Supported operations: stat/lstat/fstat, listdir, open (read, write, append, create, exclusive),
remove, rename (fails when the target exists, as SFTP v3 says), ``posix-rename@openssh.com``
(atomic replace, advertised in the version reply), mkdir, rmdir, realpath. Symlinks cannot be created.

The host key is generated once (ed25519, OpenSSH private format, mode 0600) and kept in the state
directory so a client can pin it; :attr:`SftpServer.host_public_key` gives it as ``"ssh-ed25519 AAAA…"``.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import logging
import os
import socket
import stat as stat_module
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
from paramiko.common import AUTH_FAILED, AUTH_SUCCESSFUL, OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED, OPEN_SUCCEEDED
from paramiko.sftp import SFTP_FAILURE, SFTP_NO_SUCH_FILE, SFTP_OK, SFTP_OP_UNSUPPORTED, SFTP_PERMISSION_DENIED

# The SFTP protocol plumbing is shared with the gateway's own mailbox server (a library below the gateway,
# like messages/ and signing/): logins, the jail and the fault scenarios below are the mock's own.
from adapters.sftp_serving import (
    FileHandle,
    PosixRenameSubsystem,
    SshListener,
    file_mode,
    list_attributes,
    public_key_line,
)
from adapters.sftp_serving import errno_status as _errno_status
from adapters.sftp_serving import load_or_create_host_key as _load_key
from mock_customs.scenarios import NO_FAULTS, Scenarios

log = logging.getLogger(__name__)

HOST_KEY_FILE = "ssh_host_ed25519_key"


@dataclass(frozen=True)
class SftpUser:
    """A login. ``password`` and/or ``authorized_keys`` (OpenSSH public key lines or paramiko keys).

    ``root`` overrides the server's default root for this user (one mailbox tree per authority).
    """

    name: str
    password: str | None = None
    authorized_keys: tuple[str, ...] = ()
    root: Path | None = None

    def key_blobs(self) -> set[bytes]:
        blobs: set[bytes] = set()
        for line in self.authorized_keys:
            parts = line.split()
            if len(parts) >= 2:
                blobs.add(paramiko.PKey.from_type_string(parts[0], _b64decode(parts[1])).asbytes())
        return blobs


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def read_authorized_keys(path: Path) -> tuple[str, ...]:
    """Lines of an OpenSSH ``authorized_keys`` / ``.pub`` file (comments and blanks dropped)."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return tuple(lines)


def load_or_create_host_key(state_dir: Path) -> paramiko.PKey:
    """The server's ed25519 host key, generated on first use and persisted (0600) in ``state_dir``."""
    return _load_key(state_dir, HOST_KEY_FILE, public_copy=True)


# --------------------------------------------------------------------------------------------- jail


class JailError(Exception):
    """A client path that would leave the user's root."""


class Jail:
    """Maps client paths (``/inbound/x.xml``, ``inbound/x.xml``) to real paths under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))

    def virtual(self, path: str) -> str:
        """Normalised absolute client path; raises :class:`JailError` if ``..`` climbs above ``/``."""
        parts: list[str] = []
        for part in path.replace("\\", "/").split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    raise JailError(path)
                parts.pop()
                continue
            if "\x00" in part:
                raise JailError(path)
            parts.append(part)
        return "/" + "/".join(parts)

    def real(self, path: str, *, follow_last: bool = True) -> str:
        """Real filesystem path for a client path. Symlinks may not lead outside the root."""
        virtual = self.virtual(path)
        candidate = os.path.join(str(self.root), virtual.lstrip("/"))
        parent, name = os.path.split(candidate)
        resolved_parent = os.path.realpath(parent)
        if not self._inside(resolved_parent):
            raise JailError(path)
        full = os.path.join(resolved_parent, name) if name else resolved_parent
        if follow_last and os.path.islink(full) and not self._inside(os.path.realpath(full)):
            raise JailError(path)
        return full

    def _inside(self, real: str) -> bool:
        root = str(self.root)
        return real == root or real.startswith(root + os.sep)


# ------------------------------------------------------------------------------------- server side


class _AuthServer(paramiko.ServerInterface):
    """One instance per connection: authenticates and remembers who logged in."""

    def __init__(self, users: dict[str, SftpUser], default_root: Path, faults: Scenarios = NO_FAULTS) -> None:
        self._users = users
        self._default_root = default_root
        self.username: str | None = None
        self.root: Path | None = None
        self.faults = faults
        self.transport: paramiko.Transport | None = None  # set by the server: fault scenarios cut it

    def get_allowed_auths(self, username: str) -> str:
        user = self._users.get(username)
        methods = []
        if user is None or user.password is not None:
            methods.append("password")
        if user is None or user.authorized_keys:
            methods.append("publickey")
        return ",".join(methods)

    def check_auth_password(self, username: str, password: str) -> int:
        user = self._users.get(username)
        if user is None or user.password is None:
            return AUTH_FAILED
        if hmac.compare_digest(user.password.encode("utf-8"), password.encode("utf-8")):
            self._login(user)
            return AUTH_SUCCESSFUL
        return AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        user = self._users.get(username)
        if user is None or not user.authorized_keys:
            return AUTH_FAILED
        if key.asbytes() in user.key_blobs():
            self._login(user)
            return AUTH_SUCCESSFUL
        return AUTH_FAILED

    def _login(self, user: SftpUser) -> None:
        self.username = user.name
        self.root = user.root or self._default_root

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _Handle(FileHandle):
    def __init__(self, flags: int, fileobj: Any, path: str, faulty: _FaultyTransfer | None = None) -> None:
        super().__init__(flags, fileobj)
        self.filename = path
        self._faulty = faulty

    def write(self, offset: int, data: Any) -> int:
        if self._faulty is not None:
            return self._faulty.write(self, offset, bytes(data))
        return int(super().write(offset, data))

    def read(self, offset: int, length: int) -> bytes | int:
        if self._faulty is not None:
            return self._faulty.read(self, offset, length)
        return super().read(offset, length)

    def chattr(self, attr: paramiko.SFTPAttributes) -> int:
        try:
            _apply_attrs(self.filename, attr)
        except OSError as exc:
            return _errno_status(exc)
        return SFTP_OK


class _FaultyTransfer:
    """One transfer under fault scenarios: cut the connection mid-way, or serve short / truncated reads."""

    def __init__(self, faults: Scenarios, direction: str, transport: paramiko.Transport | None, name: str) -> None:
        self.faults = faults
        self.direction = direction  # "upload" or "download"
        self.transport = transport
        self.name = name
        self.cut_at = faults.wants_cut(direction, name)  # None: this transfer is never cut
        self.cut_pending = False
        self.reads = faults.read_limit() if direction == "download" else None  # (mode, max_bytes)

    def write(self, handle: _Handle, offset: int, data: bytes) -> int:
        if self.cut_at is not None and offset + len(data) >= self.cut_at:
            cut_at, self.cut_at = self.cut_at, None  # asked once per transfer
            if self.faults.cut_transfer("upload", offset + len(data), self.name):
                handle.writefile.seek(offset)
                handle.writefile.write(data[: max(0, cut_at - offset)])
                handle.writefile.flush()
                self._cut(offset + max(0, cut_at - offset))
                return SFTP_FAILURE
        return int(paramiko.SFTPHandle.write(handle, offset, data))

    def read(self, handle: _Handle, offset: int, length: int) -> bytes | int:
        if self.cut_pending:
            self._cut(offset)
            return SFTP_FAILURE
        if self.cut_at is not None and offset + length >= self.cut_at:
            cut_at, self.cut_at = self.cut_at, None  # asked once per transfer
            if self.faults.cut_transfer("download", offset + length, self.name):
                if offset >= cut_at:
                    self._cut(offset)
                    return SFTP_FAILURE
                self.cut_pending = True  # serve the bytes up to the cut; the next read drops the line
                length = cut_at - offset
        if self.reads is not None:
            mode, limit = self.reads
            if mode == "short":
                length = min(length, limit)
            elif offset >= limit:
                return b""  # a truncated file: EOF before its listed size
            else:
                length = min(length, limit - offset)
        return paramiko.SFTPHandle.read(handle, offset, length)

    def _cut(self, at: int) -> None:
        log.warning("scenario sftp_disconnect_mid_transfer: dropping the connection during the %s of %s at"
                    " byte %d", self.direction, self.name, at)
        transport = self.transport
        if transport is not None:
            with contextlib.suppress(OSError):
                transport.sock.shutdown(socket.SHUT_RDWR)
            transport.close()


def _apply_attrs(path: str, attr: paramiko.SFTPAttributes) -> None:
    if attr.st_mode is not None:
        os.chmod(path, stat_module.S_IMODE(attr.st_mode))
    if attr.st_atime is not None and attr.st_mtime is not None:
        os.utime(path, (attr.st_atime, attr.st_mtime))
    if attr.st_size is not None:
        with open(path, "r+b") as handle:
            handle.truncate(attr.st_size)


class _JailedSftp(paramiko.SFTPServerInterface):
    """SFTP operations on the logged-in user's jail."""

    def __init__(self, server: _AuthServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        assert server.root is not None, "SFTP session before authentication"
        self.jail = Jail(server.root)
        self.username = server.username
        self.faults = server.faults
        self.transport = server.transport

    # paths ---------------------------------------------------------------------------------------
    def canonicalize(self, path: str) -> str:
        try:
            return self.jail.virtual(path)
        except JailError:
            return "/"

    def _real(self, path: str, *, follow_last: bool = True) -> str:
        return self.jail.real(path, follow_last=follow_last)

    # metadata ------------------------------------------------------------------------------------
    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        try:
            real = self._real(path)
            if self.jail.virtual(path) == "/outbound":
                delay = self.faults.listing_delay()
                if delay:
                    log.warning("scenario slow_mailbox: listing %s in %.1f s", path, delay)
                    time.sleep(delay)  # the fault itself: a slow server, not synchronisation
            return list_attributes(real)
        except JailError:
            return self._denied("listdir", path)
        except OSError as exc:
            return _errno_status(exc)

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self._real(path)))
        except JailError:
            return self._denied("stat", path)
        except OSError as exc:
            return _errno_status(exc)

    def lstat(self, path: str) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.lstat(self._real(path, follow_last=False)))
        except JailError:
            return self._denied("lstat", path)
        except OSError as exc:
            return _errno_status(exc)

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        try:
            _apply_attrs(self._real(path), attr)
        except JailError:
            return self._denied("chattr", path)
        except OSError as exc:
            return _errno_status(exc)
        return SFTP_OK

    # files ---------------------------------------------------------------------------------------
    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> paramiko.SFTPHandle | int:
        try:
            real = self._real(path)
            virtual = self.jail.virtual(path)
            if (not flags & (os.O_WRONLY | os.O_RDWR) and virtual.startswith("/outbound/")
                    and self.faults.refuse_open(virtual)):
                log.warning("scenario unreadable_receipts: refusing to open %s", virtual)
                return SFTP_PERMISSION_DENIED
            mode = stat_module.S_IMODE(attr.st_mode) if attr is not None and attr.st_mode else 0o644
            fd = os.open(real, flags | getattr(os, "O_BINARY", 0), mode)
        except JailError:
            return self._denied("open", path)
        except OSError as exc:
            return _errno_status(exc)
        try:
            fileobj = os.fdopen(fd, file_mode(flags))
        except OSError as exc:
            os.close(fd)
            return _errno_status(exc)
        return _Handle(flags, fileobj, real, self._faulty(path, flags))

    def _faulty(self, path: str, flags: int) -> _FaultyTransfer | None:
        """Fault hooks for uploads into inbound/ and downloads from outbound/, when scenarios are active."""
        virtual = self.jail.virtual(path)
        if flags & (os.O_WRONLY | os.O_RDWR) and virtual.startswith("/inbound/"):
            direction = "upload"
        elif not flags & (os.O_WRONLY | os.O_RDWR) and virtual.startswith("/outbound/"):
            direction = "download"
        else:
            return None
        if not (self.faults.active("sftp_disconnect_mid_transfer") or
                (direction == "download" and self.faults.active("partial_reads"))):
            return None
        return _FaultyTransfer(self.faults, direction, self.transport, virtual)

    def remove(self, path: str) -> int:
        try:
            os.remove(self._real(path, follow_last=False))
        except JailError:
            return self._denied("remove", path)
        except OSError as exc:
            return _errno_status(exc)
        return SFTP_OK

    def rename(self, oldpath: str, newpath: str) -> int:
        """SFTP v3 rename: refuses to overwrite an existing target."""
        try:
            src = self._real(oldpath, follow_last=False)
            dst = self._real(newpath, follow_last=False)
            if os.path.lexists(dst):
                return SFTP_FAILURE
            if os.path.isdir(src) and not os.path.islink(src):
                os.rename(src, dst)
            else:
                os.link(src, dst, follow_symlinks=False)  # fails if dst appeared meanwhile
                os.unlink(src)
        except JailError:
            return self._denied("rename", f"{oldpath} -> {newpath}")
        except OSError as exc:
            return _errno_status(exc)
        return SFTP_OK

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        """``posix-rename@openssh.com``: atomic, replaces the target."""
        try:
            os.replace(self._real(oldpath, follow_last=False), self._real(newpath, follow_last=False))
        except JailError:
            return self._denied("posix_rename", f"{oldpath} -> {newpath}")
        except OSError as exc:
            return _errno_status(exc)
        return SFTP_OK

    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        try:
            mode = stat_module.S_IMODE(attr.st_mode) if attr is not None and attr.st_mode else 0o755
            os.mkdir(self._real(path, follow_last=False), mode)
        except JailError:
            return self._denied("mkdir", path)
        except OSError as exc:
            return _errno_status(exc)
        return SFTP_OK

    def rmdir(self, path: str) -> int:
        try:
            os.rmdir(self._real(path, follow_last=False))
        except JailError:
            return self._denied("rmdir", path)
        except OSError as exc:
            return _errno_status(exc)
        return SFTP_OK

    def symlink(self, target_path: str, path: str) -> int:
        return SFTP_OP_UNSUPPORTED

    def readlink(self, path: str) -> str | int:
        return SFTP_NO_SUCH_FILE

    def _denied(self, op: str, path: str) -> int:
        log.warning("sftp %s by %s refused: path %r leaves the jail", op, self.username, path)
        return SFTP_PERMISSION_DENIED


class _SftpSubsystem(PosixRenameSubsystem):
    """Like OpenSSH: ``posix-rename@openssh.com``, and ``check-file`` (paramiko answers it)."""

    EXTENSIONS = ("check-file", "md5,sha1", "posix-rename@openssh.com", "1")


# ------------------------------------------------------------------------------------------- server


@dataclass
class SftpServer:
    """Listens on ``host:port`` (0 = ephemeral; :attr:`port` is the bound one) and serves each
    connection on its own paramiko transport thread. ``start()`` / ``stop()``; also a context manager.
    """

    root: Path
    state_dir: Path
    users: Sequence[SftpUser]
    host: str = "127.0.0.1"
    port: int = 0
    host_key: paramiko.PKey | None = None
    faults: Scenarios = NO_FAULTS
    _listener: SshListener | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.state_dir = Path(self.state_dir)
        if self.host_key is None:
            self.host_key = load_or_create_host_key(self.state_dir)
        names = [u.name for u in self.users]
        if len(set(names)) != len(names):
            raise ValueError("duplicate SFTP user names")
        self._user_map = {u.name: u for u in self.users}

    @property
    def host_public_key(self) -> str:
        assert self.host_key is not None
        return public_key_line(self.host_key)

    def start(self) -> SftpServer:
        self.root.mkdir(parents=True, exist_ok=True)
        for user in self.users:
            if user.root is not None:
                user.root.mkdir(parents=True, exist_ok=True)
        assert self.host_key is not None
        self._listener = SshListener(self.host, self.port, self.host_key, "sftp-accept", self._server_for,
                                     subsystem=_SftpSubsystem, sftp=_JailedSftp, backlog=64)
        self.port = self._listener.start()
        log.info("sftp listening on %s:%d (root %s)", self.host, self.port, self.root)
        return self

    def _server_for(self, transport: paramiko.Transport) -> _AuthServer:
        server = _AuthServer(self._user_map, self.root, self.faults)
        server.transport = transport  # fault scenarios cut it
        return server

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()

    def __enter__(self) -> SftpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def users_from_specs(specs: Iterable[str]) -> list[SftpUser]:
    """``NAME:PASSWORD`` strings (the CLI's ``--user``) to users."""
    users = []
    for spec in specs:
        name, sep, password = spec.partition(":")
        if not sep or not name or not password:
            raise ValueError(f"--user expects NAME:PASSWORD, got {spec!r}")
        users.append(SftpUser(name=name, password=password))
    return users
