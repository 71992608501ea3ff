"""SFTP transport (paramiko).

Outbound: upload to ``<outbox>/.<name>.<tag>.tmp``, check the size with ``stat``, then ``posix_rename``
to ``<outbox>/<name>`` (plain ``rename`` when the server lacks ``posix-rename@openssh.com``), so the
receiver, which skips names starting with ``.``, only ever sees complete files. ``<tag>`` is random per
transport instance: this process's retry overwrites its own partial file, while another process uploading
the same MessageId at the same moment (a worker whose lease ran out mid-upload, and the one that took the
message over) never opens (and truncates) the file this one is writing. A process killed mid-upload leaves
its dot-file behind; the receiver ignores it. If ``<outbox>/<name>``
already exists with the same size, nothing is uploaded and ``already_present=True`` is returned (a
retry after a crash between the rename and the caller's commit).

Inbound: ``fetch`` lists ``<inbox>`` (regular files, names not starting with ``.``), oldest first by
mtime then name, and downloads up to ``limit``; ``ack`` removes the remote file, or moves it into
``archive_dir`` when configured. ``ack`` of a file that is already gone is a no-op. A download shorter
than the size the listing showed is not returned (it is fetched again on the next poll); when a
download fails after others succeeded, the files read so far are returned rather than discarded; a
file the server refuses to open (permission denied) is skipped, not allowed to block the others.

The connection is opened lazily and reopened once when it turns out to have dropped. The server's
host key must be pinned (``known_host_key``) unless ``accept_unknown_host_key=True`` is set
explicitly (insecure; for experiments only). All library and socket errors become ``TransportError``.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hmac
import io
import logging
import posixpath
import secrets
import socket
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import paramiko
from paramiko.ssh_exception import (
    AuthenticationException,
    BadHostKeyException,
    IncompatiblePeer,
    PasswordRequiredException,
    SSHException,
)

from adapters.base import InboundFile, OutboundFile, SendResult, TransportError, check_file_name

__all__ = ["Progress", "SftpConfig", "SftpTransport"]

log = logging.getLogger(__name__)

T = TypeVar("T")

Progress = Callable[[str, int, int], None]
"""Upload progress callback: ``(remote_tmp_path, bytes_so_far, total_bytes)``."""

# paramiko negotiates host-key *algorithms*; an RSA key is offered under the SHA-2 names.
_KEY_ALGORITHMS = {
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
}


@dataclass(frozen=True, kw_only=True)
class SftpConfig:
    """Connection and mailbox settings for one SFTP peer.

    ``known_host_key`` is the server's public host key in OpenSSH form (``"ssh-ed25519 AAAA…"``,
    an optional trailing comment is ignored); the connection is refused unless the server presents
    exactly that key. Without it, connecting fails unless ``accept_unknown_host_key`` is True.
    """

    host: str
    port: int = 22
    username: str
    password: str | None = field(default=None, repr=False)
    private_key_path: str | None = None
    private_key_passphrase: str | None = field(default=None, repr=False)
    known_host_key: str | None = None
    accept_unknown_host_key: bool = False
    outbox_dir: str = "/inbound"
    inbox_dir: str = "/outbound"
    timeout: float = 30.0
    archive_dir: str | None = None

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("SftpConfig.host is required")
        if not 0 < self.port < 65536:
            raise ValueError(f"SftpConfig.port out of range: {self.port}")
        if not self.username:
            raise ValueError("SftpConfig.username is required")
        if self.password is None and self.private_key_path is None:
            raise ValueError("SftpConfig needs a password or a private_key_path")
        if self.timeout <= 0:
            raise ValueError("SftpConfig.timeout must be positive")
        for name in ("outbox_dir", "inbox_dir"):
            if not getattr(self, name):
                raise ValueError(f"SftpConfig.{name} is required")
        if self.known_host_key is not None:
            parse_host_key(self.known_host_key)  # raises ValueError early on a malformed key


def parse_host_key(text: str) -> tuple[str, bytes]:
    """``"type base64 [comment]"`` -> (key type, key blob). Raises ValueError."""
    parts = text.split()
    if len(parts) < 2:
        raise ValueError("known_host_key must look like 'ssh-ed25519 AAAA…'")
    key_type, b64 = parts[0], parts[1]
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"known_host_key is not valid base64: {exc}") from None
    # The blob starts with the key type as an SSH string; a mismatch means a mangled key.
    try:
        inner = paramiko.Message(blob).get_text()
    except Exception:  # any parse failure means a malformed key
        inner = ""
    if inner != key_type:
        raise ValueError(f"known_host_key type {key_type!r} does not match its key data")
    return key_type, blob


class SftpTransport:
    """``Transport`` over SFTP. Thread-safe (calls are serialised on one connection)."""

    def __init__(self, config: SftpConfig, *, progress: Progress | None = None) -> None:
        self.config = config
        self._progress = progress
        self._lock = threading.RLock()
        self._transport: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._posix_rename = True  # until the server says otherwise
        self._tmp_tag = secrets.token_hex(4)  # our own temporary names (see the module docstring)
        self._archive_ready = False
        self._pinned = parse_host_key(config.known_host_key) if config.known_host_key else None

    def __enter__(self) -> SftpTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        c = self.config
        return f"SftpTransport({c.username}@{c.host}:{c.port}, connected={self.connected})"

    @property
    def connected(self) -> bool:
        return self._transport is not None and self._transport.is_active()

    # -- Transport ------------------------------------------------------------------------------

    def send(self, item: OutboundFile) -> SendResult:
        check_file_name(item.name)
        outbox = self.config.outbox_dir
        final = posixpath.join(outbox, item.name)
        tmp = posixpath.join(outbox, f".{item.name}.{self._tmp_tag}.tmp")
        content = item.content

        def op(sftp: paramiko.SFTPClient) -> SendResult:
            existing = _stat_or_none(sftp, final)
            if existing is not None and existing.st_size == len(content):
                log.info("sftp send %s: already present (%d bytes)", final, len(content))
                return SendResult(remote_name=final, bytes_sent=0, already_present=True)
            progress = self._progress

            def callback(done: int, total: int) -> None:
                if progress is not None:
                    progress(tmp, done, total)

            sftp.putfo(io.BytesIO(content), tmp, file_size=len(content), callback=callback, confirm=False)
            size = sftp.stat(tmp).st_size
            if size != len(content):
                _remove_quietly(sftp, tmp)
                raise TransportError(
                    f"upload of {tmp} incomplete: remote size {size}, expected {len(content)}", transient=True
                )
            self._rename(sftp, tmp, final)
            log.info("sftp send %s: %d bytes", final, len(content))
            return SendResult(remote_name=final, bytes_sent=len(content), already_present=False)

        return self._run(f"send {final}", op)

    def fetch(self, limit: int) -> list[InboundFile]:
        if limit <= 0:
            return []
        inbox = self.config.inbox_dir

        def op(sftp: paramiko.SFTPClient) -> list[InboundFile]:
            entries = [
                a
                for a in sftp.listdir_attr(inbox)
                if not a.filename.startswith(".") and a.st_mode is not None and stat.S_ISREG(a.st_mode)
            ]
            entries.sort(key=lambda a: (a.st_mtime or 0, a.filename))
            result: list[InboundFile] = []
            for attr in entries:
                if len(result) >= limit:
                    break
                path = posixpath.join(inbox, attr.filename)
                try:
                    with sftp.open(path, "rb") as fh:
                        data = fh.read()
                except FileNotFoundError:
                    continue  # taken by another poller between listing and download
                except PermissionError as exc:
                    # This one file is refused to us; the others must still flow. It stays on the server
                    # and is tried again on every poll (each refusal logged).
                    log.error("sftp fetch %s: %s; skipped, tried again next poll", path, exc)
                    continue
                except Exception as exc:
                    if not result:
                        raise  # nothing read yet: reconnect and retry as for any other operation
                    # Hand over what was read: a connection that keeps dropping must not stall the mailbox
                    # on the files before the one it drops on. The rest come with the next poll.
                    log.warning("sftp fetch %s failed (%r); returning the %d file(s) read so far", path, exc,
                                len(result))
                    self._disconnect()
                    break
                if attr.st_size is not None and len(data) < attr.st_size:
                    # A read that ended early (server hiccup) is not the file: leave it for the next poll
                    # rather than hand over bytes that would be quarantined and then acknowledged away.
                    log.warning("sftp fetch %s: got %d of %d bytes; left for the next poll", path, len(data),
                                attr.st_size)
                    continue
                result.append(InboundFile(name=attr.filename, content=data, ref=path))
            return result

        return self._run(f"fetch {inbox}", op)

    def ack(self, item: InboundFile) -> None:
        inbox = self.config.inbox_dir
        ref = item.ref
        name = posixpath.basename(ref)
        if posixpath.normpath(posixpath.dirname(ref)) != posixpath.normpath(inbox) or not name:
            raise TransportError(f"ack of {ref!r}: not a file in inbox {inbox!r}", transient=False)
        archive = self.config.archive_dir

        def op(sftp: paramiko.SFTPClient) -> None:
            try:
                if archive is None:
                    sftp.remove(ref)
                    log.info("sftp ack %s: removed", ref)
                else:
                    self._ensure_archive(sftp, archive)
                    target = posixpath.join(archive, name)
                    self._rename(sftp, ref, target)
                    log.info("sftp ack %s: archived to %s", ref, target)
            except FileNotFoundError:
                if _stat_or_none(sftp, ref) is None:
                    log.info("sftp ack %s: already gone", ref)
                    return
                raise

        self._run(f"ack {ref}", op)

    def close(self) -> None:
        with self._lock:
            self._disconnect()

    # -- connection -----------------------------------------------------------------------------

    def _run(self, what: str, op: Callable[[paramiko.SFTPClient], T]) -> T:
        """Run ``op`` on a live connection; reconnect and retry once when the connection dropped."""
        with self._lock:
            for attempt in (1, 2):
                in_operation = False  # connect failures are not retried here, drops mid-operation are
                try:
                    sftp = self._connect()
                    in_operation = True
                    return op(sftp)
                except TransportError:
                    raise
                except Exception as exc:
                    # paramiko reports a lost connection as EOFError / SSHException / a socket error,
                    # sometimes before its reader thread has marked the transport inactive.
                    dropped = not self.connected or isinstance(exc, EOFError | SSHException | ConnectionError)
                    if dropped or isinstance(exc, TimeoutError):
                        # A timed-out or half-broken session may still have requests in flight:
                        # never reuse it; the next call starts a fresh connection.
                        self._disconnect()
                    if dropped and attempt == 1 and in_operation:
                        log.warning("sftp %s: connection dropped (%r); reconnecting", what, exc)
                        continue
                    raise _translate(what, exc, dropped=dropped) from exc
            raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self) -> paramiko.SFTPClient:
        if self._sftp is not None and self.connected:
            return self._sftp
        self._disconnect()
        c = self.config
        if self._pinned is None and not c.accept_unknown_host_key:
            raise TransportError(
                f"no host key pinned for {c.host}:{c.port} (set known_host_key, "
                "or accept_unknown_host_key=True to connect insecurely)",
                transient=False,
            )
        where = f"{c.username}@{c.host}:{c.port}"
        try:
            pkey = self._load_key()
        except (OSError, SSHException, ValueError) as exc:
            raise TransportError(f"cannot load private key {c.private_key_path}: {exc}", transient=False) from exc
        sock = None
        transport = None
        try:
            sock = socket.create_connection((c.host, c.port), timeout=c.timeout)
            transport = paramiko.Transport(sock)
            transport.banner_timeout = c.timeout
            transport.handshake_timeout = c.timeout
            transport.auth_timeout = c.timeout
            if self._pinned is not None:
                self._restrict_host_key_algorithms(transport, self._pinned[0])
            try:
                transport.start_client(timeout=c.timeout)
            except IncompatiblePeer as exc:
                if self._pinned is not None:
                    raise TransportError(
                        f"{where}: server does not offer a {self._pinned[0]} host key (pinned): {exc}",
                        transient=False,
                    ) from exc
                raise
            self._check_host_key(transport, where)
            if pkey is not None:
                transport.auth_publickey(c.username, pkey)
            else:
                assert c.password is not None
                transport.auth_password(c.username, c.password)
            sftp = paramiko.SFTPClient.from_transport(transport)
            if sftp is None:
                raise TransportError(f"{where}: could not open the sftp subsystem", transient=True)
            channel = sftp.get_channel()
            if channel is not None:
                channel.settimeout(c.timeout)
        except BaseException as exc:
            if transport is not None:
                transport.close()
            if sock is not None:
                sock.close()
            if isinstance(exc, TransportError):
                raise
            if isinstance(exc, Exception):
                raise _translate(f"connect {where}", exc, dropped=True) from exc
            raise
        self._transport, self._sftp = transport, sftp
        self._archive_ready = False
        log.info("sftp connected to %s", where)
        return sftp

    def _load_key(self) -> paramiko.PKey | None:
        c = self.config
        if c.private_key_path is None:
            return None
        return paramiko.PKey.from_path(c.private_key_path, c.private_key_passphrase)

    @staticmethod
    def _restrict_host_key_algorithms(transport: paramiko.Transport, key_type: str) -> None:
        """Only negotiate the pinned key's algorithms, so the server presents that very key."""
        options = transport.get_security_options()
        wanted = _KEY_ALGORITHMS.get(key_type, (key_type,))
        usable = tuple(a for a in options.key_types if a in wanted)
        if not usable:
            raise TransportError(f"pinned host key type {key_type!r} is not supported", transient=False)
        options.key_types = usable

    def _check_host_key(self, transport: paramiko.Transport, where: str) -> None:
        key = transport.get_remote_server_key()
        if self._pinned is None:
            log.warning(
                "sftp %s: accepting unpinned host key %s %s (accept_unknown_host_key=True)",
                where,
                key.get_name(),
                key.get_base64(),
            )
            return
        pinned_type, pinned_blob = self._pinned
        if not hmac.compare_digest(key.asbytes(), pinned_blob):
            raise TransportError(
                f"{where}: host key mismatch: server presented {key.get_name()} "
                f"SHA256:{key.fingerprint.split(':', 1)[-1]}, pinned {pinned_type}",
                transient=False,
            )

    def _disconnect(self) -> None:
        sftp, transport = self._sftp, self._transport
        self._sftp = self._transport = None
        for closable in (sftp, transport):
            if closable is not None:
                try:
                    closable.close()
                except Exception:  # closing a broken connection may fail; nothing to do
                    log.debug("sftp close failed", exc_info=True)

    # -- helpers --------------------------------------------------------------------------------

    def _rename(self, sftp: paramiko.SFTPClient, source: str, target: str) -> None:
        if self._posix_rename:
            try:
                sftp.posix_rename(source, target)
                return
            except OSError as exc:
                if not _is_unsupported(exc):
                    raise
                log.info("sftp server lacks posix-rename@openssh.com; using plain rename")
                self._posix_rename = False
        try:
            sftp.rename(source, target)
        except OSError:
            # Plain SFTP rename refuses to replace an existing target: remove it, then retry once.
            if _stat_or_none(sftp, source) is None or _stat_or_none(sftp, target) is None:
                raise
            sftp.remove(target)
            sftp.rename(source, target)

    def _ensure_archive(self, sftp: paramiko.SFTPClient, archive: str) -> None:
        if self._archive_ready:
            return
        attr = _stat_or_none(sftp, archive)
        if attr is None:
            try:
                sftp.mkdir(archive)
            except OSError:
                if _stat_or_none(sftp, archive) is None:
                    raise
        elif attr.st_mode is not None and not stat.S_ISDIR(attr.st_mode):
            raise TransportError(f"archive_dir {archive!r} is not a directory", transient=False)
        self._archive_ready = True


def _stat_or_none(sftp: paramiko.SFTPClient, path: str) -> paramiko.SFTPAttributes | None:
    try:
        return sftp.stat(path)
    except FileNotFoundError:
        return None


def _remove_quietly(sftp: paramiko.SFTPClient, path: str) -> None:
    try:
        sftp.remove(path)
    except OSError:
        log.debug("could not remove %s", path, exc_info=True)


def _is_unsupported(exc: OSError) -> bool:
    text = " ".join(str(a) for a in exc.args).lower()
    return exc.errno is None and ("unsupported" in text or "not supported" in text)


def _translate(what: str, exc: Exception, *, dropped: bool) -> TransportError:
    """Map a paramiko / socket / SFTP status error to ``TransportError``."""
    message = f"sftp {what}: {type(exc).__name__}: {exc}"
    if isinstance(exc, AuthenticationException | BadHostKeyException | PasswordRequiredException):
        return TransportError(message, transient=False)
    if isinstance(exc, IncompatiblePeer):
        return TransportError(message, transient=False)
    if isinstance(exc, socket.gaierror):
        return TransportError(message, transient=True)  # DNS may recover
    if isinstance(exc, TimeoutError | ConnectionError | EOFError | SSHException):
        return TransportError(message, transient=True)
    if isinstance(exc, OSError):
        if dropped:
            return TransportError(message, transient=True)  # socket-level failure
        if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
            return TransportError(message, transient=False)
        if isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOENT:
            return TransportError(message, transient=False)  # e.g. a missing mailbox directory
        return TransportError(message, transient=True)  # SSH_FX_FAILURE: disk full, busy server …
    return TransportError(message, transient=False)
