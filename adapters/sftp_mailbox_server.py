"""The folder mailboxes served to ERPs over SFTP (paramiko server side).

Each login is one enterprise, jailed to its own mailbox root: the ERP sees ``/CO/OutBox`` … and nothing
else; ``..`` above the root and symlinks are refused. Who may log in, and where their root is, is asked
of an :class:`Authenticator` (the gateway answers from its database), so this module knows nothing of
the gateway. Uploads honour temp-then-rename: ``posix-rename@openssh.com`` is advertised, and the
scanner ignores dot-names and ``.tmp`` names until they are renamed.

The ed25519 host key is generated once and kept (mode 0600) under the state directory so ERPs can pin it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Protocol

import paramiko
from paramiko.common import AUTH_FAILED, AUTH_SUCCESSFUL, OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED, OPEN_SUCCEEDED
from paramiko.sftp import SFTP_FAILURE, SFTP_OK, SFTP_OP_UNSUPPORTED

from adapters.sftp_serving import (
    FileHandle,
    PosixRenameSubsystem,
    SshListener,
    errno_status,
    file_mode,
    list_attributes,
    public_key_line,
)
from adapters.sftp_serving import load_or_create_host_key as _load_key

log = logging.getLogger(__name__)

HOST_KEY_FILE = "folder_sftp_host_ed25519_key"


class Authenticator(Protocol):
    """Answers a login with the user's mailbox root, or None."""

    def password_login(self, username: str, password: str) -> Path | None: ...
    def key_login(self, username: str, key_line: str) -> Path | None: ...


def load_or_create_host_key(state_dir: Path) -> paramiko.PKey:
    return _load_key(state_dir, HOST_KEY_FILE)


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


class _Handle(FileHandle):
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
            return list_attributes(self.jail.real(path))
        except OSError as exc:
            return errno_status(exc)

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self.jail.real(path)))
        except OSError as exc:
            return errno_status(exc)

    lstat = stat

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_OK

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> paramiko.SFTPHandle | int:
        try:
            fd = os.open(self.jail.real(path), flags | os.O_NOFOLLOW, 0o640)
        except OSError as exc:
            return errno_status(exc)
        return _Handle(flags, os.fdopen(fd, file_mode(flags)))

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
            return errno_status(exc)
        return SFTP_OK

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        try:
            os.replace(self.jail.real(oldpath), self.jail.real(newpath))
        except OSError as exc:
            return errno_status(exc)
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
            return errno_status(exc)
        return SFTP_OK



class MailboxSftpServer:
    """Listens on host:port (0 = a free port, see :attr:`port`); one paramiko transport per connection."""

    def __init__(self, auth: Authenticator, state_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.auth = auth
        self.host_key = load_or_create_host_key(state_dir)
        self._listener = SshListener(host, port, self.host_key, "folder-sftp", lambda _t: _Server(self.auth),
                                     subsystem=PosixRenameSubsystem, sftp=_MailboxSftp)

    @property
    def host(self) -> str:
        return self._listener.host

    @property
    def port(self) -> int:
        return self._listener.port

    @property
    def host_public_key(self) -> str:
        return public_key_line(self.host_key)

    def start(self) -> MailboxSftpServer:
        self._listener.start()
        log.info("folder mailboxes served over SFTP on %s:%d", self.host, self.port)
        return self

    def stop(self) -> None:
        self._listener.stop()
