"""SftpTransport against a real OpenSSH sshd (``tests/sshd.py``).

The server's mailbox root is a local directory, so the tests look at and plant remote files
directly on disk, the way the authority's side would see them.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from adapters.base import InboundFile, OutboundFile, Transport, TransportError
from adapters.sftp import SftpConfig, SftpTransport
from tests.sshd import SshdServer, free_port, start_sshd

pytestmark = pytest.mark.sshd

_counter = itertools.count()


@dataclass
class Mailbox:
    """A fresh pair of mailbox directories on the shared server, one per test."""

    server: SshdServer
    outbox: Path  # where the gateway uploads (the authority's /inbound)
    inbox: Path  # where the gateway fetches from (the authority's /outbound)

    def config(self, **overrides: object) -> SftpConfig:
        values: dict[str, object] = {"outbox_dir": str(self.outbox), "inbox_dir": str(self.inbox)}
        values.update(overrides)
        config: SftpConfig = self.server.sftp_config(**values)
        return config

    def plant(self, name: str, content: bytes, mtime: float | None = None) -> Path:
        path = self.inbox / name
        path.write_bytes(content)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path


@pytest.fixture
def mailbox(sshd_server: SshdServer) -> Mailbox:
    base = sshd_server.root / f"case-{next(_counter)}"
    outbox, inbox = base / "inbound", base / "outbound"
    outbox.mkdir(parents=True)
    inbox.mkdir(parents=True)
    return Mailbox(sshd_server, outbox, inbox)


@pytest.fixture
def transport(mailbox: Mailbox) -> Iterator[SftpTransport]:
    t = SftpTransport(mailbox.config())
    yield t
    t.close()


def _message(name: str = "0123456789abcdef0123456789abcdef.xml", content: bytes = b"<Envelope/>") -> OutboundFile:
    return OutboundFile(name=name, content=content, message_id=name.removesuffix(".xml"))


def _openssh_public(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


# -- send ---------------------------------------------------------------------------------------


def test_sftp_transport_satisfies_the_transport_protocol(transport: SftpTransport) -> None:
    assert isinstance(transport, Transport)


def test_upload_is_visible_only_under_the_temporary_dot_name_until_complete(mailbox: Mailbox) -> None:
    item = _message(content=os.urandom(3 * 1024 * 1024 + 17))
    seen_mid_upload: list[tuple[set[str], int, int]] = []

    def inspect_server(remote_tmp: str, done: int, total: int) -> None:
        if 0 < done < total and not seen_mid_upload:
            seen_mid_upload.append((set(os.listdir(mailbox.outbox)), done, total))

    with SftpTransport(mailbox.config(), progress=inspect_server) as t:
        result = t.send(item)

    assert seen_mid_upload, "the progress callback never fired mid-upload"
    names, done, total = seen_mid_upload[0]
    (tmp_name,) = names
    assert tmp_name.startswith(f".{item.name}.") and tmp_name.endswith(".tmp"), names
    assert 0 < done < total == len(item.content)
    assert os.listdir(mailbox.outbox) == [item.name]
    assert (mailbox.outbox / item.name).read_bytes() == item.content
    assert result.remote_name == str(mailbox.outbox / item.name)
    assert result.bytes_sent == len(item.content)
    assert result.already_present is False


def test_resend_of_a_file_already_present_reports_already_present_and_uploads_nothing(
    mailbox: Mailbox,
) -> None:
    item = _message()
    calls: list[int] = []
    with SftpTransport(mailbox.config(), progress=lambda _p, done, _t: calls.append(done)) as t:
        first = t.send(item)
        uploads_after_first = len(calls)
        mtime = (mailbox.outbox / item.name).stat().st_mtime_ns
        second = t.send(item)

    assert first.already_present is False
    assert second.already_present is True
    assert second.bytes_sent == 0
    assert second.remote_name == first.remote_name
    assert len(calls) == uploads_after_first
    assert (mailbox.outbox / item.name).stat().st_mtime_ns == mtime
    assert os.listdir(mailbox.outbox) == [item.name]


def test_resend_after_a_crash_mid_upload_delivers_the_whole_file_not_the_stale_partial(
    mailbox: Mailbox, transport: SftpTransport
) -> None:
    item = _message(content=b"<Envelope>complete</Envelope>")
    stale = f".{item.name}.0badc0de.tmp"  # left by a process killed mid-upload
    (mailbox.outbox / stale).write_bytes(b"<Env")

    result = transport.send(item)

    assert result.already_present is False
    assert sorted(os.listdir(mailbox.outbox)) == sorted([item.name, stale])  # a dot-name: never picked up
    assert (mailbox.outbox / item.name).read_bytes() == item.content


def test_two_uploads_of_one_message_at_once_never_deliver_a_mixed_file(mailbox: Mailbox) -> None:
    """A worker whose lease ran out mid-upload and the worker that took the message over may upload the same
    MessageId at the same time. Each must write its own temporary file: had they shared one, the second
    writer's open (truncate) would cut away what the first had written, and the first would rename a file
    with a hole into place, of the right size, for the authority to pick up."""
    item = _message(content=os.urandom(2 * 1024 * 1024))
    other = SftpTransport(mailbox.config(), progress=_abort_after_first_chunk)
    started: list[str] = []

    def the_other_worker_starts(_tmp: str, done: int, total: int) -> None:
        if not started and 256 * 1024 < done < total:
            started.append(_tmp)
            with pytest.raises(TransportError, match="taken over"):
                other.send(item)  # opens its temporary file and writes its first chunk, then stops

    try:
        with SftpTransport(mailbox.config(), progress=the_other_worker_starts) as t:
            result = t.send(item)
    finally:
        other.close()

    assert started and result.already_present is False
    delivered = (mailbox.outbox / item.name).read_bytes()
    assert len(delivered) == len(item.content)
    assert hashlib.sha256(delivered).digest() == hashlib.sha256(item.content).digest(), "a mixed file was delivered"
    leftovers = [n for n in os.listdir(mailbox.outbox) if n != item.name]
    assert len(leftovers) == 1 and leftovers[0].startswith(f".{item.name}.")  # the other's partial, a dot-name


def _abort_after_first_chunk(_tmp: str, done: int, total: int) -> None:
    if 0 < done < total:
        raise TransportError("upload taken over", transient=True)


def test_send_replaces_a_present_file_of_a_different_size_atomically(
    mailbox: Mailbox, transport: SftpTransport
) -> None:
    item = _message(content=b"<Envelope>new and longer</Envelope>")
    (mailbox.outbox / item.name).write_bytes(b"<old/>")

    result = transport.send(item)

    assert result.already_present is False
    assert (mailbox.outbox / item.name).read_bytes() == item.content
    assert os.listdir(mailbox.outbox) == [item.name]


def test_send_falls_back_to_plain_rename_when_posix_rename_is_unsupported(
    mailbox: Mailbox, transport: SftpTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def unsupported(self: object, oldpath: str, newpath: str) -> None:
        calls.append(newpath)
        raise OSError("Operation unsupported")

    monkeypatch.setattr("paramiko.SFTPClient.posix_rename", unsupported)
    first, second = _message("a.xml", b"<one/>"), _message("b.xml", b"<two/>")
    (mailbox.outbox / "b.xml").write_bytes(b"<stale and longer/>")  # plain rename cannot overwrite

    assert transport.send(first).already_present is False
    assert transport.send(second).already_present is False

    assert len(calls) == 1, "posix-rename is tried once, then remembered as unsupported"
    assert sorted(os.listdir(mailbox.outbox)) == ["a.xml", "b.xml"]
    assert (mailbox.outbox / "b.xml").read_bytes() == b"<two/>"


@pytest.mark.parametrize("name", ["", ".hidden.xml", "../escape.xml", "dir/file.xml", "bad\nname.xml"])
def test_send_rejects_names_that_are_not_one_visible_file_name(transport: SftpTransport, name: str) -> None:
    with pytest.raises(TransportError) as info:
        transport.send(_message(name=name))
    assert info.value.transient is False


def test_send_into_a_missing_outbox_directory_is_a_permanent_error(mailbox: Mailbox) -> None:
    config = mailbox.config(outbox_dir=str(mailbox.outbox / "missing"))
    with SftpTransport(config) as t, pytest.raises(TransportError) as info:
        t.send(_message())
    assert info.value.transient is False


# -- fetch / ack --------------------------------------------------------------------------------


def test_fetch_returns_complete_files_oldest_first_and_ignores_dot_and_temporary_files(
    mailbox: Mailbox, transport: SftpTransport
) -> None:
    mailbox.plant("c.xml", b"<c/>", mtime=1_700_000_100)
    mailbox.plant("a.xml", b"<a/>", mtime=1_700_000_200)
    mailbox.plant("b.xml", b"<b/>", mtime=1_700_000_100)
    mailbox.plant(".d.xml.tmp", b"<d", mtime=1_700_000_000)
    mailbox.plant(".hidden", b"x", mtime=1_700_000_000)
    (mailbox.inbox / "done").mkdir()

    everything = transport.fetch(10)
    first_two = transport.fetch(2)

    assert [f.name for f in everything] == ["b.xml", "c.xml", "a.xml"]
    assert [f.content for f in everything] == [b"<b/>", b"<c/>", b"<a/>"]
    assert everything[0].ref == str(mailbox.inbox / "b.xml")
    assert [f.name for f in first_two] == ["b.xml", "c.xml"]
    assert transport.fetch(0) == []


def test_fetch_of_an_empty_inbox_returns_nothing(transport: SftpTransport) -> None:
    assert transport.fetch(5) == []


def test_fetch_does_not_remove_files_until_ack(mailbox: Mailbox, transport: SftpTransport) -> None:
    mailbox.plant("r1.xml", b"<receipt/>")

    first = transport.fetch(10)
    again = transport.fetch(10)

    assert first == again
    assert [f.name for f in first] == ["r1.xml"]
    assert (mailbox.inbox / "r1.xml").exists()

    transport.ack(first[0])

    assert not (mailbox.inbox / "r1.xml").exists()
    assert transport.fetch(10) == []


def test_ack_is_idempotent_when_the_file_is_already_gone(mailbox: Mailbox, transport: SftpTransport) -> None:
    mailbox.plant("r1.xml", b"<receipt/>")
    [item] = transport.fetch(1)

    transport.ack(item)
    transport.ack(item)

    assert os.listdir(mailbox.inbox) == []


def test_ack_moves_the_file_into_the_archive_directory_when_configured(mailbox: Mailbox) -> None:
    archive = mailbox.inbox / "done"
    mailbox.plant("r1.xml", b"<receipt/>")
    with SftpTransport(mailbox.config(archive_dir=str(archive))) as t:
        [item] = t.fetch(10)
        t.ack(item)
        t.ack(item)  # idempotent too
        assert t.fetch(10) == []

    assert os.listdir(mailbox.inbox) == ["done"]
    assert (archive / "r1.xml").read_bytes() == b"<receipt/>"


def test_ack_refuses_a_reference_outside_the_inbox(mailbox: Mailbox, transport: SftpTransport) -> None:
    victim = mailbox.outbox / "keep.xml"
    victim.write_bytes(b"<keep/>")
    with pytest.raises(TransportError) as info:
        transport.ack(InboundFile(name="keep.xml", content=b"", ref=str(victim)))
    assert info.value.transient is False
    assert victim.exists()


# -- connection ---------------------------------------------------------------------------------


def test_wrong_pinned_host_key_is_a_permanent_error(mailbox: Mailbox) -> None:
    wrong = _openssh_public(ed25519.Ed25519PrivateKey.generate())
    with SftpTransport(mailbox.config(known_host_key=wrong)) as t:
        with pytest.raises(TransportError, match="host key mismatch") as info:
            t.fetch(1)
        assert info.value.transient is False
        assert not t.connected


def test_pinned_key_of_a_type_the_server_lacks_is_a_permanent_error(mailbox: Mailbox) -> None:
    rsa_key = _openssh_public(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with SftpTransport(mailbox.config(known_host_key=rsa_key)) as t, pytest.raises(TransportError) as info:
        t.fetch(1)
    assert info.value.transient is False


def test_unknown_host_key_is_refused_unless_explicitly_accepted(mailbox: Mailbox) -> None:
    with SftpTransport(mailbox.config(known_host_key=None)) as t:
        with pytest.raises(TransportError, match="no host key pinned") as info:
            t.fetch(1)
        assert info.value.transient is False

    mailbox.plant("r1.xml", b"<r/>")
    with SftpTransport(mailbox.config(known_host_key=None, accept_unknown_host_key=True)) as t:
        assert [f.name for f in t.fetch(1)] == ["r1.xml"]


def test_a_client_key_the_server_does_not_know_is_a_permanent_error(mailbox: Mailbox, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    stranger.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
    )
    with SftpTransport(mailbox.config(private_key_path=str(stranger))) as t, pytest.raises(TransportError) as info:
        t.fetch(1)
    assert info.value.transient is False


def test_connecting_to_a_stopped_server_is_a_transient_error(tmp_path: Path) -> None:
    server = start_sshd(tmp_path / "stopped")
    server.stop()
    with SftpTransport(server.sftp_config(timeout=5.0)) as t, pytest.raises(TransportError) as info:
        t.fetch(1)
    assert info.value.transient is True


def test_connection_refused_on_a_port_without_a_server_is_a_transient_error(sshd_server: SshdServer) -> None:
    config = sshd_server.sftp_config(port=free_port(), timeout=2.0)
    with SftpTransport(config) as t, pytest.raises(TransportError) as info:
        t.send(_message())
    assert info.value.transient is True


def test_a_dropped_connection_is_reopened_once_transparently(mailbox: Mailbox, transport: SftpTransport) -> None:
    transport.send(_message("a.xml", b"<a/>"))
    assert transport.connected
    assert mailbox.server.drop_connections() >= 1

    result = transport.send(_message("b.xml", b"<b/>"))

    assert result.already_present is False
    assert sorted(os.listdir(mailbox.outbox)) == ["a.xml", "b.xml"]
    assert transport.connected


def test_a_connection_dropped_mid_upload_is_retried_once_and_leaves_only_the_complete_file(
    mailbox: Mailbox,
) -> None:
    item = _message(content=os.urandom(2 * 1024 * 1024))
    drops: list[int] = []

    def drop_once(_tmp: str, done: int, total: int) -> None:
        if not drops and 0 < done < total:
            drops.append(mailbox.server.drop_connections())

    with SftpTransport(mailbox.config(), progress=drop_once) as t:
        result = t.send(item)

    assert drops and drops[0] >= 1
    assert result.already_present is False
    assert os.listdir(mailbox.outbox) == [item.name]
    assert (mailbox.outbox / item.name).read_bytes() == item.content


def test_a_connection_that_drops_again_after_the_reconnect_fails_transiently(mailbox: Mailbox) -> None:
    item = _message(content=os.urandom(2 * 1024 * 1024))
    uploads_started: list[str] = []

    def drop_every_attempt(tmp: str, done: int, total: int) -> None:
        # The first progress report of an upload attempt is its first 32 KiB chunk.
        if done <= 32 * 1024 and len(uploads_started) < 5:
            uploads_started.append(tmp)
            mailbox.server.drop_connections()

    with SftpTransport(mailbox.config(), progress=drop_every_attempt) as t:
        with pytest.raises(TransportError) as info:
            t.send(item)
        assert not t.connected

    assert info.value.transient is True
    assert len(uploads_started) == 2, "one reconnect and retry, no more"
    assert item.name not in os.listdir(mailbox.outbox)


def test_close_then_use_reconnects(mailbox: Mailbox, transport: SftpTransport) -> None:
    transport.send(_message("a.xml", b"<a/>"))
    transport.close()
    assert not transport.connected
    transport.close()  # idempotent
    assert transport.send(_message("a.xml", b"<a/>")).already_present is True


def test_config_rejects_a_malformed_pinned_key_early() -> None:
    with pytest.raises(ValueError, match="known_host_key"):
        SftpConfig(host="h", username="u", password="p", known_host_key="ssh-ed25519 not-base64!")
    with pytest.raises(ValueError, match="password or a private_key_path"):
        SftpConfig(host="h", username="u")
