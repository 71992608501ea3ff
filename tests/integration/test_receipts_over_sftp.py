"""Receipts fetched from a real OpenSSH sshd are removed remotely only after they are committed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from adapters.sftp import SftpTransport
from gateway.demo import sample_bytes
from messages import receipt
from tests.integration.world import World
from tests.sshd import SshdServer

pytestmark = pytest.mark.sshd


class CommitFails(Exception):
    pass


class FailingCommitStore:
    """Wraps the real store; the transaction body runs but the commit blows up (a crash at commit)."""

    def __init__(self, real: object) -> None:
        self.real = real

    @contextmanager
    def transaction(self) -> Iterator[object]:
        with self.real.transaction() as tx:  # type: ignore[attr-defined]
            yield tx
            raise CommitFails("database went away at commit")


def test_receipt_file_stays_remote_until_commit_then_is_acknowledged(
    world: World, sshd_server: SshdServer, tmp_path: Path
) -> None:
    mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
    world.dispatch()
    outbound = Path(sshd_server.path("outbound", f"receipts-{mid}"))  # own mailbox: the server is shared
    outbound.mkdir()
    name = f"ack-after-commit-{mid}.xml"
    body = receipt.ImportResponse(f"GACC-{mid}-0", mid, "0", "accepted", world.clock.now())  # type: ignore[arg-type]
    (outbound / name).write_bytes(world.authority_receipt(body))

    world.transport = SftpTransport(sshd_server.sftp_config(inbox_dir=str(outbound)))
    try:
        real = world.store
        world.store = FailingCommitStore(real)  # type: ignore[assignment]
        with pytest.raises(CommitFails):
            world.ingest()
        assert (outbound / name).exists(), "acknowledged (deleted) before the receipt was committed"

        world.store = real
        report = world.ingest()
        assert report.applied == 1
        assert not (outbound / name).exists()
        assert world.view(mid)["state"] == "ACKNOWLEDGED"  # type: ignore[arg-type]
    finally:
        world.transport.close()
