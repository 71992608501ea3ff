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
from adapters.egress import EgressGuard, EgressPolicy
from adapters.folder import FolderMailboxes
from adapters.http import HttpConfig, HttpTransport
from adapters.sftp import SftpConfig, SftpTransport
from adapters.smtp import SmtpConfig, SmtpMailer
from adapters.webhook import HttpWebhookSender
from gateway.archive import FileArchive
from gateway.config import Settings, SettingsError
from gateway.db.blankform_reads import BlankFormReads
from gateway.db.certificate_marks import CertificateMarks
from gateway.db.draft_store import SqlDraftStore
from gateway.db.engine import make_engine, make_session_factory
from gateway.db.erp_store import SqlErpStore
from gateway.db.filelock import FileLock, sqlite_lock_path
from gateway.db.leader import LeaderLock
from gateway.db.migrate import upgrade
from gateway.db.print_store import SqlPrintStore
from gateway.db.product_reads import ProductReads
from gateway.db.store import SqlStore
from gateway.db.supplement_reads import SupplementReads
from gateway.db.ui_reads import UiReads
from gateway.db.verification_drafts import VerificationDrafts
from gateway.db.verification_reads import VerificationReads
from gateway.domain.retry import ErrorClass, RetryPolicies, RetryPolicy
from gateway.services.dispatch import (
    DispatchConfig,
    DispatchReport,
    SweepReport,
    dispatch_due,
    sweep_overdue_receipts,
)
from gateway.services.folder_intake import FolderReport, export_receipts, scan_folders
from gateway.services.ports import SystemClock, Verifier
from gateway.services.receipts import IngestReport, ingest_receipts
from gateway.services.retention import RetentionPolicy, RetentionReport, run_retention
from gateway.services.self_print import SelfPrint
from gateway.services.webhooks import DeliveryConfig, DeliveryReport, deliver_due
from messages.validate import Validator
from signing.keystore import KeyStore
from signing.secretbox import SecretBox, SecretBoxError
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
        return SqlStore(make_session_factory(self.engine), self.clock)

    @cached_property
    def erp_store(self) -> SqlErpStore:
        return SqlErpStore(make_session_factory(self.engine))

    @cached_property
    def folder_mailboxes(self) -> FolderMailboxes:
        if not self.settings.folder_root:
            raise SettingsError("folder mailboxes are off: set GATEWAY_FOLDER_ROOT")
        return FolderMailboxes(Path(self.settings.folder_root), self.settings.folder_module_names)

    @cached_property
    def print_store(self) -> SqlPrintStore:
        return SqlPrintStore(make_session_factory(self.engine))

    @cached_property
    def self_print(self) -> SelfPrint:
        return SelfPrint(self.store, self.print_store, self.validator, self.clock)

    @cached_property
    def ui_reads(self) -> UiReads:
        """Read-only queries behind the UI pages (scoped to the caller's enterprises)."""
        return UiReads(make_session_factory(self.engine))

    @cached_property
    def product_reads(self) -> ProductReads:
        """产品预审 records projected from the stored applications and receipts (scoped)."""
        return ProductReads(make_session_factory(self.engine))

    @cached_property
    def verification_reads(self) -> VerificationReads:
        """核查互动 records projected from the stored records, answers and receipts (scoped)."""
        return VerificationReads(make_session_factory(self.engine))

    @cached_property
    def verification_drafts(self) -> VerificationDrafts:
        """Uploaded materials and saved cost details of verification records, until 提交."""
        return VerificationDrafts(make_session_factory(self.engine))

    @cached_property
    def blankform_reads(self) -> BlankFormReads:
        """空白证单 projected from the allocations, write-offs, voids and receipts (scoped)."""
        return BlankFormReads(make_session_factory(self.engine))

    @cached_property
    def supplement_reads(self) -> SupplementReads:
        """出口报关单补录 projected from the supplements and their receipts (scoped)."""
        return SupplementReads(make_session_factory(self.engine))

    @cached_property
    def certificate_marks(self) -> CertificateMarks:
        """The declarant's archive / delete marks on the certificate list (hide, never remove)."""
        return CertificateMarks(make_session_factory(self.engine))

    @cached_property
    def drafts(self) -> SqlDraftStore:
        """暂存 certificate drafts of the entry form (declared through intake, alone or in a batch)."""
        return SqlDraftStore(make_session_factory(self.engine))

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
                out[name] = HttpTransport(HttpConfig(base_url=ep.url, token=ep.token, timeout=ep.timeout))
                continue
            out[name] = SftpTransport(SftpConfig(
                host=ep.host, port=ep.port, username=ep.username, password=ep.password,
                private_key_path=ep.private_key_path, known_host_key=ep.host_key,
                accept_unknown_host_key=ep.accept_unknown_host_key,
                outbox_dir=ep.outbox_dir, inbox_dir=ep.inbox_dir, timeout=ep.timeout))
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

    @cached_property
    def secretbox(self) -> SecretBox | None:
        """None when no key is configured: webhooks cannot be registered (readyz says so)."""
        try:
            return SecretBox(self.settings.webhook_secret_key)
        except SecretBoxError:
            if self.settings.webhook_secret_key:
                raise  # set but unusable (too short): refuse rather than silently drop webhooks
            return None

    @cached_property
    def egress_guard(self) -> EgressGuard:
        """Which webhook targets may be reached: public addresses, plus GATEWAY_WEBHOOK_ALLOWED_TARGETS."""
        return EgressGuard(EgressPolicy.parse(self.settings.webhook_allowed_targets))

    @cached_property
    def webhook_sender(self) -> HttpWebhookSender:
        return HttpWebhookSender(self.egress_guard, timeout=self.settings.webhook_timeout_seconds)

    @cached_property
    def mailer(self) -> SmtpMailer | None:
        s = self.settings
        if not s.smtp_host:
            return None
        return SmtpMailer(SmtpConfig(host=s.smtp_host, port=s.smtp_port, sender=s.smtp_from,
                                     username=s.smtp_username, password=s.smtp_password, starttls=s.smtp_starttls,
                                     timeout=s.webhook_timeout_seconds))

    def migrate(self) -> None:
        upgrade(self.settings.database_url)

    @cached_property
    def retry_policies(self) -> RetryPolicies:
        """Deployment defaults, overridden per authority (GATEWAY_AUTHORITY_<ID>_MAX_ATTEMPTS …)."""
        s = self.settings
        transient = RetryPolicy(s.retry_base_seconds, s.retry_cap_seconds, s.max_attempts)
        permanent = RetryPolicy(max(s.retry_base_seconds, 60.0), max(s.retry_cap_seconds, 3600.0),
                                s.permanent_max_attempts)
        by_authority = {}
        for name, ep in s.authorities.items():
            base = ep.retry_base_seconds or transient.base_seconds
            cap = max(ep.retry_cap_seconds or transient.cap_seconds, base)
            by_authority[name] = {
                ErrorClass.TRANSIENT: RetryPolicy(base, cap, ep.max_attempts or transient.max_attempts),
                ErrorClass.PERMANENT: RetryPolicy(permanent.base_seconds, permanent.cap_seconds,
                                                  ep.permanent_max_attempts or permanent.max_attempts)}
        return RetryPolicies(transient=transient, permanent=permanent, by_authority=by_authority)

    @cached_property
    def leader(self) -> LeaderLock:
        return LeaderLock(self.settings.database_url)

    @cached_property
    def dispatch_lock(self) -> FileLock:
        """Held by the one process that delivers from a SQLite database (see gateway.runtime.claim_dispatch)."""
        return FileLock(sqlite_lock_path(self.settings.database_url, ".dispatch.lock"))

    @cached_property
    def archive(self) -> FileArchive:
        return FileArchive(self.settings.archive_dir)

    def dispatch_once(self, owner: str | None = None) -> DispatchReport:
        s = self.settings
        config = DispatchConfig(owner=owner or self.worker_id, lease_seconds=s.lease_seconds,
                                retry=self.retry_policies, receipt_timeout_seconds=s.receipt_timeout_seconds)
        return dispatch_due(self.store, self.keystore, self.transports, self.clock, config)

    def sweep_once(self) -> SweepReport:
        return sweep_overdue_receipts(self.store, self.clock, actor=self.worker_id)

    def retention_once(self) -> RetentionReport:
        s = self.settings
        return run_retention(self.store, self.archive, self.clock,
                             RetentionPolicy(done_days=s.retention_done_days, failed_days=s.retention_failed_days))

    def try_lead(self) -> bool:
        return self.leader.try_acquire()

    def still_leads(self) -> bool:
        return self.leader.confirm()

    def ingest_once(self) -> IngestReport:
        # The actor names the process: the history shows which leader applied each receipt.
        return ingest_receipts(self.store, self.transports, self.verifiers, self.clock, validator=self.validator,
                               actor=f"receipts@{self.worker_id}")

    def folder_once(self) -> FolderReport:
        """Take complete OutBox files, then write new receipts into InBoxes."""
        report = scan_folders(self.folder_mailboxes, self.erp_store, self.store, self.validator, self.clock,
                              max_bytes=self.settings.max_message_bytes)
        report.receipts_written = export_receipts(self.folder_mailboxes, self.erp_store, self.clock)
        return report
    def deliver_webhooks_once(self) -> DeliveryReport:
        s = self.settings
        batch = 20
        # The lease must outlast a whole batch of slow receivers, or another deliverer would reclaim and repeat.
        config = DeliveryConfig(batch=batch, lease_seconds=int(batch * s.webhook_timeout_seconds) + 60,
                                retry=RetryPolicy(s.webhook_retry_base_seconds, s.webhook_retry_cap_seconds,
                                                  s.webhook_max_attempts))
        return deliver_due(self.store, self.webhook_sender, self.mailer, self.secretbox, self.clock, config)

    def close(self) -> None:
        if "webhook_sender" in self.__dict__:
            self.webhook_sender.close()
        if "transports" in self.__dict__:
            for t in self.transports.values():
                t.close()
        if "engine" in self.__dict__:
            self.engine.dispose()
