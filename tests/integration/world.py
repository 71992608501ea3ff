"""A gateway 'world' for service tests: real database, real validator, real keys, fake transport."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.memory import MemoryTransport
from gateway.db.engine import make_engine, make_session_factory
from gateway.db.migrate import upgrade
from gateway.db.store import SqlStore
from gateway.domain.retry import RetryPolicy
from gateway.services.dispatch import DispatchConfig, dispatch_due
from gateway.services.intake import accept_message
from gateway.services.ports import EnterpriseInfo
from gateway.services.receipts import ingest_receipts
from messages import envelope, receipt
from messages.validate import get_validator
from signing.keystore import KeyStore
from signing.xmldsig import Verifier

ENT = EnterpriseInfo("91350100M000100Y43", "Demo", "350100001")


class Clock:
    def __init__(self) -> None:
        self.t = datetime.now(UTC)

    def now(self) -> datetime:
        return self.t


@dataclass
class World:
    store: SqlStore
    keys: KeyStore
    transport: Any  # MemoryTransport in most tests, a real SftpTransport in some
    clock: Clock

    def accept(self, raw: bytes, key: str | None = None):  # type: ignore[no-untyped-def]
        return accept_message(self.store, get_validator(), self.clock, enterprise_id=ENT.id, raw=raw,
                              idempotency_key=key)

    def dispatch(self, retry: RetryPolicy | None = None):  # type: ignore[no-untyped-def]
        cfg = DispatchConfig(owner="w1", retry=retry or RetryPolicy(base_seconds=10, max_attempts=3))
        return dispatch_due(self.store, self.keys, {"GACC": self.transport}, self.clock, cfg)

    def ingest(self):  # type: ignore[no-untyped-def]
        verifiers = {"GACC": Verifier([self.keys.certificate("GACC")])}
        return ingest_receipts(self.store, {"GACC": self.transport}, verifiers, self.clock)

    def view(self, mid: str) -> dict:  # type: ignore[type-arg]
        with self.store.transaction() as tx:
            v = tx.message_view(ENT.id, mid)
        assert v is not None
        return v

    def authority_receipt(self, body: object, signer: str = "GACC") -> bytes:
        head = envelope.EnvelopeHead(message_id="e" * 32, message_type="CO_RECEIPT", sender_id="GACC",
                                     receiver_id=ENT.id, send_time=self.clock.now())
        signed = self.keys.signer(signer).sign(envelope.wrap(head, receipt.to_xml(body)))  # type: ignore[arg-type]
        return envelope.to_bytes(signed)


@pytest.fixture
def world(database_url: str, pki_dir: Path, pki_passphrase: str) -> Iterator[World]:
    upgrade(database_url)
    engine = make_engine(database_url)
    clock = Clock()
    store = SqlStore(make_session_factory(engine), clock)
    with store.transaction() as tx:
        tx.add_enterprise(ENT)
    yield World(store, KeyStore(pki_dir, pki_passphrase), MemoryTransport(), clock)
    engine.dispose()
