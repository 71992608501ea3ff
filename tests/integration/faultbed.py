"""A test bed for fault scenarios: the real mock_customs process, the gateway's services in-process.

The mock runs as its own process with ``--scenario`` options and a poll interval of an hour, so it only
works when told to (``POST /admin/tick``) or when a delayed receipt falls due. The gateway is a real
``Container`` (real database, real SFTP/HTTP transport, real keys) with a clock the test moves, so retry
times are checked on the stored ``next_attempt_at`` instead of being waited for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from gateway.bootstrap import Container
from gateway.config import AuthorityEndpoint, Settings
from gateway.db import models
from gateway.demo import sample_bytes
from gateway.mockproc import MockProcess, start_mock
from gateway.services.intake import accept_message
from gateway.services.ports import EnterpriseInfo, SystemClock
from gateway.services.receipts import IngestReport, ingest_receipts
from signing.keystore import KeyStore

ENT = EnterpriseInfo("91350100M000100Y43", "Demo", "350100001")
SFTP_PASSWORD = "sftp-secret"
HTTP_TOKEN = "http-secret"


class ManualClock(SystemClock):
    """The gateway's clock, moved by the test."""

    def __init__(self) -> None:
        self.t = datetime.now(UTC)

    def now(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@dataclass
class FaultBed:
    mock: MockProcess
    container: Container
    clock: ManualClock
    transport: str  # "sftp" | "http"
    state_dir: Path

    # the mock ----------------------------------------------------------------------------------
    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.mock.admin_url}{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def tick(self) -> dict[str, Any]:
        return self.admin("POST", "/admin/tick")["GACC"]  # type: ignore[no-any-return]

    def observed(self, message_id: str) -> dict[str, Any]:
        return self.admin("GET", f"/admin/messages/{message_id}")  # type: ignore[no-any-return]

    def fired(self) -> dict[str, int]:
        return {f["name"]: f["fired"] for f in self.admin("GET", "/admin/scenarios")["active"]}

    def outbound_files(self) -> list[str]:
        """Receipt files still waiting in the mock's SFTP outbound/ mailbox."""
        folder = self.state_dir / "mailboxes" / "GACC" / "outbound"
        return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))

    def unacked_feed(self) -> list[dict[str, Any]]:
        return [i for i in self.admin("GET", "/admin/http/outbound")["outbound"] if i["acked_at"] is None]

    def wait_emitted(self, message_id: str, stages: int, timeout: float = 30) -> None:
        """Poll the mock until ``stages`` receipts of the message are out (delayed ones go out on their own)."""
        deadline = time.monotonic() + timeout
        while True:
            receipts = self.observed(message_id)["receipts"]
            if sum(1 for r in receipts if r["emitted_at"]) >= stages:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"mock did not emit {stages} receipts of {message_id}: {receipts}")
            time.sleep(0.05)  # polling another process with a deadline, not a synchronisation sleep

    # the gateway -------------------------------------------------------------------------------
    def accept(self, sample: str = "form_e_approved.xml") -> str:
        result = accept_message(self.container.store, self.container.validator, self.clock, enterprise_id=ENT.id,
                                raw=sample_bytes(sample))
        assert result.outcome == "accepted", result
        assert result.message_id is not None
        return result.message_id

    def dispatch(self) -> Any:
        return self.container.dispatch_once()

    def ingest(self, limit: int = 100) -> IngestReport:
        c = self.container
        return ingest_receipts(c.store, c.transports, c.verifiers, self.clock, validator=c.validator, limit=limit)

    def view(self, message_id: str) -> dict[str, Any]:
        with self.container.store.transaction() as tx:
            view = tx.message_view(ENT.id, message_id)
            receipts = tx.receipts_view(ENT.id, message_id)
        assert view is not None
        view["receipts"] = receipts
        return view

    def next_attempt_at(self, message_id: str) -> datetime | None:
        with self.container.store.transaction() as tx:
            return tx.s.scalar(select(models.Message.next_attempt_at)
                               .where(models.Message.message_id == message_id))

    def quarantined(self) -> list[models.QuarantinedFile]:
        with self.container.store.transaction() as tx:
            rows = list(tx.s.scalars(select(models.QuarantinedFile).order_by(models.QuarantinedFile.id)))
            tx.s.expunge_all()
        return rows

    def deliver(self, message_id: str, rounds: int = 8, step: float = 600) -> dict[str, Any]:
        """Dispatch until sent (moving the clock past every retry), then tick and ingest until final."""
        for _ in range(rounds):
            self.dispatch()
            if self.view(message_id)["state"] not in ("QUEUED", "RETRY_WAIT", "SENDING"):
                break
            self.clock.advance(step)
        for _ in range(rounds):
            self.tick()
            self.ingest()
            view = self.view(message_id)
            if view["state"] in ("DONE", "FAILED"):
                return view
        return self.view(message_id)


def start_bed(tmp_path: Path, database_url: str, pki_dir: Path, passphrase: str, transport: str,
              scenarios: Sequence[str], *, seed: int = 1, timeout: float = 10.0) -> FaultBed:
    args = [arg for s in scenarios for arg in ("--scenario", s)] + ["--seed", str(seed)]
    state_dir = tmp_path / "mock"
    mock = start_mock(state_dir, pki_dir, passphrase, user="gateway", password=SFTP_PASSWORD,
                      http_token=HTTP_TOKEN, poll_interval=3600, extra_args=args)
    try:
        pem = KeyStore(pki_dir, passphrase).certificate(ENT.id).public_bytes(Encoding.PEM).decode()
        httpx.post(f"{mock.admin_url}/admin/enterprises",
                   json={"id": ENT.id, "reg_no": ENT.reg_no, "certificate_pem": pem}).raise_for_status()
        if transport == "http":
            endpoint = AuthorityEndpoint(authority="GACC", transport="http", url=mock.admin_url, token=HTTP_TOKEN,
                                         timeout=timeout)
        else:
            endpoint = AuthorityEndpoint(authority="GACC", port=mock.sftp_port, username="gateway",
                                         password=SFTP_PASSWORD, host_key=mock.host_public_key, timeout=timeout)
        settings = Settings(database_url=database_url, pki_dir=str(pki_dir), pki_passphrase=passphrase,
                            retry_base_seconds=10, retry_cap_seconds=300, max_attempts=6, worker_id="faults-test",
                            authorities={"GACC": endpoint})
        clock = ManualClock()
        container = Container(settings, clock=clock)
        container.migrate()
        with container.store.transaction() as tx:
            tx.add_enterprise(ENT)
    except BaseException:
        mock.stop()
        raise
    return FaultBed(mock, container, clock, transport, state_dir)


@pytest.fixture
def bed_factory(tmp_path: Path, database_url: str, pki_dir: Path, pki_passphrase: str) -> Iterator[Any]:
    beds: list[FaultBed] = []

    def make(transport: str, *scenarios: str, seed: int = 1, timeout: float = 10.0) -> FaultBed:
        bed = start_bed(tmp_path, database_url, pki_dir, pki_passphrase, transport, scenarios, seed=seed,
                        timeout=timeout)
        beds.append(bed)
        return bed

    yield make
    for bed in beds:
        bed.container.close()
        bed.mock.stop()
