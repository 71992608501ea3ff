"""The gateway's SFTP mailbox server with logins from the database: keys, passwords, temp-then-rename."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import paramiko
import pytest

from adapters.folder import FolderMailboxes
from adapters.sftp_mailbox_server import HOST_KEY_FILE, MailboxSftpServer
from gateway.db.erp_store import SqlErpStore
from gateway.services.folder_logins import FolderLogins, hash_password, password_matches, set_login
from tests.integration.world import ENT, World


@pytest.fixture
def server(world: World, tmp_path: Path) -> Iterator[tuple[MailboxSftpServer, SqlErpStore, FolderMailboxes]]:
    records = SqlErpStore(world.store.sessions)
    boxes = FolderMailboxes(tmp_path / "mail")
    srv = MailboxSftpServer(FolderLogins(records, boxes), tmp_path / "state").start()
    try:
        yield srv, records, boxes
    finally:
        srv.stop()


def connect(srv: MailboxSftpServer, **auth: object) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
    t = paramiko.Transport(("127.0.0.1", srv.port))
    t.connect(hostkey=srv.host_key, username=ENT.id, **auth)  # type: ignore[arg-type]
    client = paramiko.SFTPClient.from_transport(t)
    assert client is not None
    return t, client


def test_passwords_are_stored_stretched_and_checked() -> None:
    stored = hash_password("s3cret")
    assert stored.startswith("pbkdf2_sha256$") and "s3cret" not in stored
    assert password_matches("s3cret", stored) and not password_matches("s3creT", stored)
    assert not password_matches("s3cret", "sha256$abc")


def test_public_key_login_sees_its_mailbox_and_temp_then_rename_works(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv, records, boxes = server
    key = paramiko.Ed25519Key.from_private_key_file(str(_make_key(tmp_path)))
    set_login(records, ENT.id, password=None, authorized_keys=[f"{key.get_name()} {key.get_base64()} erp@host"],
              at=datetime.now(UTC))
    t, sftp = connect(srv, pkey=key)
    try:
        with sftp.open("/CO/OutBox/.a.xml.tmp", "wb") as h:
            h.write(b"<a/>")
        sftp.posix_rename("/CO/OutBox/.a.xml.tmp", "/CO/OutBox/a.xml")
        assert (boxes.box(ENT.id, "CO", "OutBox") / "a.xml").read_bytes() == b"<a/>"
        with pytest.raises(OSError):  # plain SFTP rename never replaces a file
            with sftp.open("/CO/OutBox/b.xml", "wb") as h:
                h.write(b"<b/>")
            sftp.rename("/CO/OutBox/b.xml", "/CO/OutBox/a.xml")
    finally:
        t.close()
    with pytest.raises(paramiko.AuthenticationException):  # no password was set: password login refused
        connect(srv, password="anything")


def test_host_key_is_generated_once_and_kept(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv, records, boxes = server
    again = MailboxSftpServer(FolderLogins(records, boxes), tmp_path / "state")
    assert again.host_public_key == srv.host_public_key
    assert ((tmp_path / "state" / HOST_KEY_FILE).stat().st_mode & 0o777) == 0o600


def test_login_needs_a_password_or_a_key(world: World) -> None:
    with pytest.raises(ValueError, match="password, a public key"):
        set_login(SqlErpStore(world.store.sessions), ENT.id, password=None, authorized_keys=[], at=datetime.now(UTC))
    with pytest.raises(ValueError, match="not an OpenSSH public key"):
        set_login(SqlErpStore(world.store.sessions), ENT.id, password=None, authorized_keys=["hello"],
                  at=datetime.now(UTC))


def _make_key(tmp_path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    path = tmp_path / "erp_key"
    path.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
    return path
