"""Folder mode over the wire: ERP files → OutBox → gateway process → mock customs → receipts in InBox.

Run twice: the ERP writes into the local folders directly, and the ERP uses SFTP (a real paramiko
client against the gateway's own SFTP mailbox server), with the real mock customs process behind.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import paramiko
import pytest

from gateway.demo import sample_bytes as sample
from gateway.mockproc import start_mock
from tests.e2e.helpers import (
    CLI,
    ENTERPRISE_ID,
    SFTP_PASSWORD,
    SFTP_USER,
    add_enterprise,
    authority_env,
    enterprise_pem,
    gateway_env,
    poll_until,
    register_at_mock,
    serving,
)

pytestmark = pytest.mark.e2e

PASSWORD = "erp-folder-secret"


class ErpSide(Protocol):
    """What an ERP can do with its mailbox: drop a file, list a folder, read a file."""

    def drop(self, name: str, content: bytes) -> None: ...
    def list(self, folder: str) -> list[str]: ...
    def read(self, path: str) -> bytes: ...


class LocalErp:
    def __init__(self, root: Path) -> None:
        self.root = root

    def drop(self, name: str, content: bytes) -> None:
        tmp = self.root / "CO" / "OutBox" / f".{name}.tmp"  # temp name, then rename: as the client does
        tmp.write_bytes(content)
        tmp.rename(tmp.with_name(name))

    def list(self, folder: str) -> list[str]:
        path = self.root / folder
        return sorted(p.name for p in path.iterdir()) if path.is_dir() else []

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()


class SftpErp:
    def __init__(self, port: int, host_key: str, password: str = PASSWORD) -> None:
        self.transport = paramiko.Transport(("127.0.0.1", port))
        kind, b64 = host_key.split()[:2]
        try:  # the gateway's host key is pinned, as an ERP should
            self.transport.connect(hostkey=paramiko.PKey.from_type_string(kind, base64.b64decode(b64)),
                                   username=ENTERPRISE_ID, password=password)
        except Exception:
            self.transport.close()
            raise
        self.sftp = paramiko.SFTPClient.from_transport(self.transport)
        assert self.sftp is not None

    def drop(self, name: str, content: bytes) -> None:
        tmp = f"/CO/OutBox/.{name}.tmp"
        with self.sftp.open(tmp, "wb") as handle:
            handle.write(content)
        self.sftp.posix_rename(tmp, f"/CO/OutBox/{name}")

    def list(self, folder: str) -> list[str]:
        try:
            return sorted(self.sftp.listdir("/" + folder))
        except FileNotFoundError:
            return []

    def read(self, path: str) -> bytes:
        with self.sftp.open("/" + path, "rb") as handle:
            return handle.read()

    def close(self) -> None:
        self.sftp.close()
        self.transport.close()


@dataclass
class FolderStack:
    erp: ErpSide
    mailbox: Path
    ready: dict  # type: ignore[type-arg]


@pytest.fixture(params=["local", "sftp"])
def folder_stack(request: pytest.FixtureRequest, database_url: str, tmp_path: Path, pki_dir: Path,
                 pki_passphrase: str) -> Iterator[FolderStack]:
    mock = start_mock(tmp_path / "mock", pki_dir, pki_passphrase, user=SFTP_USER, password=SFTP_PASSWORD)
    try:
        register_at_mock(mock.admin_url, enterprise_pem(pki_dir, pki_passphrase))
        env = gateway_env(database_url, pki_dir, pki_passphrase, state_dir=str(tmp_path / "state"),
                          folder_root=str(tmp_path / "folders"), folder_scan_seconds="0.2",
                          **({"folder_sftp_port": "0"} if request.param == "sftp" else {}))
        env |= authority_env(mock, "GACC", "sftp") | {"ERP_PASSWORD": PASSWORD}
        add_enterprise(env)
        login = subprocess.run([*CLI, "folder", "login", "--enterprise", ENTERPRISE_ID, "--password-env",
                                "ERP_PASSWORD"], env=env, capture_output=True, text=True, check=True)
        mailbox = Path(json.loads(login.stdout.strip().splitlines()[-1])["mailbox"])
        with serving(env) as gateway:
            if request.param == "local":
                yield FolderStack(LocalErp(mailbox), mailbox, gateway.ready)
                return
            erp = SftpErp(int(gateway.ready["folder_sftp_port"]), str(gateway.ready["folder_sftp_host_key"]))
            try:
                yield FolderStack(erp, mailbox, gateway.ready)
            finally:
                erp.close()
    finally:
        mock.stop()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    return poll_until(condition, what, timeout)


def inbox(erp: ErpSide) -> dict[str, str]:
    """InBox files by name → their folder (InBox/yyyy-MM-dd)."""
    out = {}
    for day in erp.list("CO/InBox"):
        for name in erp.list(f"CO/InBox/{day}"):
            out[name] = f"CO/InBox/{day}/{name}"
    return out


def test_folder_cycle_bad_file_fails_good_file_is_sent_and_receipts_arrive(folder_stack: FolderStack) -> None:
    erp = folder_stack.erp
    erp.drop("bad-order.xml", sample("general_co_xsd_invalid.xml"))
    wait_for(lambda: "bad-order.xml.error.txt" in erp.list("CO/FailBox"), "the bad file in FailBox")
    assert "bad-order.xml" in erp.list("CO/FailBox") and "bad-order.xml" not in erp.list("CO/OutBox")
    error_text = erp.read("CO/FailBox/bad-order.xml.error.txt").decode()
    assert "rejected" in error_text and "HSCode" in error_text
    failed = erp.read(inbox(erp)["Failed_bad-order.xml"]).decode()
    assert "<ResultCode>1</ResultCode>" in failed

    erp.drop("good-order.xml", sample("form_e_approved.xml"))
    wait_for(lambda: "good-order.xml" in erp.list("CO/SentBox"), "the good file in SentBox")
    success = erp.read(wait_for(lambda: inbox(erp).get("Successed_good-order.xml"), "Successed_")).decode()  # type: ignore[arg-type]
    mid = success.split("<MessageId>")[1].split("<")[0]
    assert len(mid) == 32

    def receipts() -> dict[str, str]:
        return {n: p for n, p in inbox(erp).items() if n.startswith("Receipt_good-order_")}

    wait_for(lambda: any("<StatusCode>APPROVED</StatusCode>" in erp.read(p).decode()
                         for p in receipts().values()), "the approval receipt in InBox")
    texts = [erp.read(p).decode() for p in receipts().values()]
    statuses = sorted(t.split("<Status>")[1].split("<")[0] for t in texts)
    assert {"数据已发往海关", "海关入库成功", "申报正确"} <= set(statuses)
    assert all(f"<MessageId>{mid}</MessageId>" in t for t in texts)
    assert len(receipts()) == len(set(receipts()))  # each receipt once
    assert "good-order.xml" not in erp.list("CO/OutBox")


@pytest.mark.parametrize("folder_stack", ["sftp"], indirect=True)
def test_sftp_login_is_jailed_to_its_own_mailbox_and_needs_the_password(folder_stack: FolderStack) -> None:
    erp = folder_stack.erp
    assert isinstance(erp, SftpErp)
    sftp = erp.sftp
    assert sftp.normalize("/..") == "/"
    assert sftp.listdir("/") == ["CO"]
    assert sorted(sftp.listdir("/CO")) == ["FailBox", "InBox", "OutBox", "SentBox"]
    with pytest.raises(PermissionError):
        sftp.listdir("/../..")
    with pytest.raises(OSError):
        sftp.symlink("/etc/passwd", "/CO/OutBox/x.xml")
    with pytest.raises(paramiko.AuthenticationException):
        SftpErp(int(folder_stack.ready["folder_sftp_port"]), str(folder_stack.ready["folder_sftp_host_key"]),
                password="wrong")
