"""The mock's SFTP server, driven by a plain paramiko client."""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from mock_customs.sftp_server import Jail, JailError, SftpServer, SftpUser, public_key_line


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SftpServer]:
    client_key = paramiko.RSAKey.generate(2048)
    (tmp_path / "client_key").write_text("")
    client_key.write_private_key_file(str(tmp_path / "client_key"))
    root = tmp_path / "root"
    (root / "inbound").mkdir(parents=True)
    (root / "outbound").mkdir()
    users = [
        SftpUser("gateway", password="s3cret"),
        SftpUser("keyuser", authorized_keys=(public_key_line(client_key),)),
    ]
    srv = SftpServer(root=root, state_dir=tmp_path / "state", users=users).start()
    try:
        yield srv
    finally:
        srv.stop()


def _connect(srv: SftpServer, **auth: object) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
    transport = paramiko.Transport(("127.0.0.1", srv.port))
    transport.connect(hostkey=srv.host_key, **auth)  # type: ignore[arg-type]
    client = paramiko.SFTPClient.from_transport(transport)
    assert client is not None
    return transport, client


@pytest.fixture
def sftp(server: SftpServer) -> Iterator[paramiko.SFTPClient]:
    transport, client = _connect(server, username="gateway", password="s3cret")
    try:
        yield client
    finally:
        client.close()
        transport.close()


def test_binds_an_ephemeral_port_and_exposes_an_openssh_host_key(server: SftpServer) -> None:
    assert server.port > 0
    kind, blob = server.host_public_key.split(" ")
    assert kind == "ssh-ed25519" and len(blob) > 40


def test_host_key_is_persisted_in_the_state_dir_and_reused(tmp_path: Path) -> None:
    users = [SftpUser("u", password="p")]
    first = SftpServer(root=tmp_path / "r", state_dir=tmp_path / "s", users=users).start()
    first.stop()
    second = SftpServer(root=tmp_path / "r", state_dir=tmp_path / "s", users=users).start()
    second.stop()
    assert first.host_public_key == second.host_public_key
    key_file = tmp_path / "s" / "ssh_host_ed25519_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_password_login_and_wrong_password_is_refused(server: SftpServer) -> None:
    transport, client = _connect(server, username="gateway", password="s3cret")
    assert client.normalize(".") == "/"
    assert sorted(client.listdir("/")) == ["inbound", "outbound"]
    transport.close()
    with pytest.raises(paramiko.AuthenticationException):
        _connect(server, username="gateway", password="wrong")
    with pytest.raises(paramiko.AuthenticationException):
        _connect(server, username="nobody", password="s3cret")


def test_public_key_login_accepts_only_the_authorized_key(server: SftpServer, tmp_path: Path) -> None:
    good = paramiko.RSAKey.from_private_key_file(str(tmp_path / "client_key"))
    transport, client = _connect(server, username="keyuser", pkey=good)
    assert client.listdir("/inbound") == []
    transport.close()
    with pytest.raises(paramiko.AuthenticationException):
        _connect(server, username="keyuser", pkey=paramiko.RSAKey.generate(2048))


def test_upload_under_temp_name_then_posix_rename(sftp: paramiko.SFTPClient, server: SftpServer) -> None:
    sftp.putfo(io.BytesIO(b"<x/>"), "/inbound/.a.xml.tmp")
    sftp.posix_rename("/inbound/.a.xml.tmp", "/inbound/a.xml")
    assert sftp.listdir("/inbound") == ["a.xml"]
    assert sftp.stat("/inbound/a.xml").st_size == 4
    assert (server.root / "inbound" / "a.xml").read_bytes() == b"<x/>"
    # posix-rename replaces an existing target atomically
    sftp.putfo(io.BytesIO(b"<y/>"), "/inbound/.b.tmp")
    sftp.posix_rename("/inbound/.b.tmp", "/inbound/a.xml")
    assert (server.root / "inbound" / "a.xml").read_bytes() == b"<y/>"


def test_plain_rename_refuses_to_overwrite(sftp: paramiko.SFTPClient, server: SftpServer) -> None:
    sftp.putfo(io.BytesIO(b"1"), "/outbound/one")
    sftp.putfo(io.BytesIO(b"2"), "/outbound/two")
    with pytest.raises(OSError):
        sftp.rename("/outbound/two", "/outbound/one")
    sftp.rename("/outbound/two", "/outbound/three")
    assert sorted(sftp.listdir("/outbound")) == ["one", "three"]


def test_read_stat_lstat_remove_mkdir(sftp: paramiko.SFTPClient, server: SftpServer) -> None:
    (server.root / "outbound" / "r.xml").write_bytes(b"receipt")
    buf = io.BytesIO()
    sftp.getfo("/outbound/r.xml", buf)
    assert buf.getvalue() == b"receipt"
    assert sftp.lstat("/outbound/r.xml").st_size == 7
    sftp.remove("/outbound/r.xml")
    assert sftp.listdir("/outbound") == []
    sftp.mkdir("/inbound/done")
    sftp.putfo(io.BytesIO(b"d"), "/inbound/done/x")
    assert (server.root / "inbound" / "done" / "x").exists()
    with pytest.raises(FileNotFoundError):
        sftp.stat("/inbound/missing.xml")


@pytest.mark.parametrize(
    "path", ["../escape", "/../escape", "/inbound/../../escape", "inbound/../../../etc/passwd"]
)
def test_paths_leaving_the_jail_are_refused(sftp: paramiko.SFTPClient, server: SftpServer, path: str) -> None:
    with pytest.raises(PermissionError):
        sftp.putfo(io.BytesIO(b"x"), path)
    with pytest.raises(PermissionError):
        sftp.stat(path)
    assert not (server.root.parent / "escape").exists()


def test_symlink_pointing_outside_the_jail_is_refused(
    sftp: paramiko.SFTPClient, server: SftpServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    os.symlink(secret, server.root / "inbound" / "link.xml")
    os.symlink(tmp_path, server.root / "up")
    with pytest.raises(PermissionError):
        sftp.open("/inbound/link.xml").read()
    with pytest.raises(PermissionError):
        sftp.listdir("/up")
    with pytest.raises(PermissionError):
        sftp.putfo(io.BytesIO(b"x"), "/up/planted")
    assert not (tmp_path / "planted").exists()
    with pytest.raises(OSError):
        sftp.symlink("/etc/passwd", "/inbound/evil")


def test_jail_maps_virtual_paths(tmp_path: Path) -> None:
    jail = Jail(tmp_path)
    assert jail.virtual("inbound/./x/../a.xml") == "/inbound/a.xml"
    assert jail.real("/inbound/a.xml") == str(tmp_path.resolve() / "inbound" / "a.xml")
    with pytest.raises(JailError):
        jail.virtual("/a/../../b")


def test_stop_closes_the_listener(tmp_path: Path) -> None:
    srv = SftpServer(root=tmp_path / "r", state_dir=tmp_path / "s", users=[SftpUser("u", password="p")]).start()
    transport, client = _connect(srv, username="u", password="p")
    assert client.listdir("/") == []
    srv.stop()
    transport.join(timeout=10)  # the client's transport thread ends when the server closes the session
    assert not transport.is_active()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
    transport.close()
