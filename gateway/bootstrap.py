"""Composition root: the only place that picks concrete adapters and wires the services.

Building a Container does no I/O beyond opening the database engine; transports connect lazily.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from adapters.base import Transport
from adapters.http import HttpConfig, HttpTransport
from adapters.sftp import SftpConfig, SftpTransport
from gateway.config import Settings, SettingsError
from gateway.db.engine import make_engine, make_session_factory
from gateway.db.migrate import upgrade
from gateway.db.store import SqlStore
from gateway.domain.retry import RetryPolicy
from gateway.services.dispatch import DispatchConfig, DispatchReport, dispatch_due
from gateway.services.ports import SystemClock, Verifier
from gateway.services.receipts import IngestReport, ingest_receipts
from messages.validate import Validator
from signing.keystore import KeyStore
from signing.xmldsig import Verifier as XmlVerifier


@dataclass
class Container:
    settings: Settings
    clock: SystemClock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def store(self) -> SqlStore:
        return SqlStore(make_session_factory(self.engine))

    @cached_property
    def validator(self) -> Validator:
        return Validator(max_bytes=self.settings.max_message_bytes)

    @cached_property
    def keystore(self) -> KeyStore:
        return KeyStore(Path(self.settings.pki_dir), self.settings.pki_passphrase)

    @cached_property
    def transports(self) -> Mapping[str, Transport]:
        out: dict[str, Transport] = {}
        for name, ep in self.settings.authorities.items():
            if ep.transport == "http":
                if not (ep.url and ep.token):
                    raise SettingsError(f"authority {name}: the HTTP transport needs "
                                        f"GATEWAY_AUTHORITY_{name}_URL and GATEWAY_AUTHORITY_{name}_TOKEN")
                out[name] = HttpTransport(HttpConfig(base_url=ep.url, token=ep.token))
                continue
            out[name] = SftpTransport(SftpConfig(
                host=ep.host, port=ep.port, username=ep.username, password=ep.password,
                private_key_path=ep.private_key_path, known_host_key=ep.host_key,
                accept_unknown_host_key=ep.accept_unknown_host_key,
                outbox_dir=ep.outbox_dir, inbox_dir=ep.inbox_dir))
        return out

    @cached_property
    def verifiers(self) -> Mapping[str, Verifier]:
        # Receipts are trusted only when signed by the pinned certificate of that authority. A missing
        # certificate stops that authority's receipts (logged by ingest), not everyone's.
        return {name: XmlVerifier([self.keystore.certificate(name)]) for name in self.settings.authorities
                if self.keystore.has(name)}

    @cached_property
    def worker_id(self) -> str:
        return self.settings.worker_id or f"{socket.gethostname()}:{os.getpid()}"

    def migrate(self) -> None:
        upgrade(self.settings.database_url)

    def dispatch_once(self) -> DispatchReport:
        s = self.settings
        config = DispatchConfig(owner=self.worker_id, lease_seconds=s.lease_seconds,
                                retry=RetryPolicy(s.retry_base_seconds, s.retry_cap_seconds, s.max_attempts))
        return dispatch_due(self.store, self.keystore, self.transports, self.clock, config)

    def ingest_once(self) -> IngestReport:
        return ingest_receipts(self.store, self.transports, self.verifiers, self.clock, validator=self.validator)

    def close(self) -> None:
        if "transports" in self.__dict__:
            for t in self.transports.values():
                t.close()
        if "engine" in self.__dict__:
            self.engine.dispose()
