"""SQL side of the ERP integrations: folder mailboxes (files taken, receipts exported, SFTP logins).

Kept beside gateway.db.store rather than in it: each method is its own short transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import models as m
from gateway.services.excel_exports import CertificateRow
from gateway.services.flow_status import FlowSnapshot, MessageLine
from gateway.services.folder_intake import FileOutcome, ReceiptExport


class SqlErpStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def _insert(self, session: Session) -> Any:
        return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert

    # --- folder mailboxes ----------------------------------------------------------------------------
    def enterprise_ids(self) -> list[str]:
        with self.sessions() as s:
            return list(s.scalars(select(m.Enterprise.id).order_by(m.Enterprise.id)))

    def file_outcome(self, enterprise_id: str, module: str, file_name: str, sha256: str) -> FileOutcome | None:
        with self.sessions() as s:
            row = s.scalar(select(m.FolderFile).where(
                m.FolderFile.enterprise_id == enterprise_id, m.FolderFile.module == module,
                m.FolderFile.file_name == file_name, m.FolderFile.sha256 == sha256))
            return None if row is None else FileOutcome(row.outcome, row.message_id, json.loads(row.errors_json))

    def record_file(self, enterprise_id: str, module: str, file_name: str, sha256: str, outcome: FileOutcome,
                    at: datetime) -> None:
        with self.sessions() as s, s.begin():
            stmt = self._insert(s)(m.FolderFile).values(
                enterprise_id=enterprise_id, module=module, file_name=file_name, sha256=sha256,
                outcome=outcome.outcome, message_id=outcome.message_id,
                errors_json=json.dumps(outcome.errors, ensure_ascii=False), received_at=at,
            ).on_conflict_do_nothing(index_elements=["enterprise_id", "module", "file_name", "sha256"])
            s.execute(stmt)

    def receipts_to_export(self, limit: int) -> list[ReceiptExport]:
        """Receipts of messages that came from a folder and were not written to its InBox yet, oldest first."""
        first_file = (select(func.min(m.FolderFile.id).label("file_pk"), m.FolderFile.message_id)
                      .where(m.FolderFile.message_id.is_not(None))
                      .group_by(m.FolderFile.message_id).subquery())
        stmt = (select(m.Receipt, m.Message, m.FolderFile)
                .join(m.Message, m.Message.id == m.Receipt.message_pk)
                .join(first_file, first_file.c.message_id == m.Message.message_id)
                .join(m.FolderFile, m.FolderFile.id == first_file.c.file_pk)
                .outerjoin(m.FolderExport, m.FolderExport.receipt_pk == m.Receipt.id)
                .where(m.FolderExport.id.is_(None), m.FolderFile.enterprise_id == m.Message.enterprise_id)
                .order_by(m.Receipt.id).limit(limit))
        with self.sessions() as s:
            return [ReceiptExport(
                receipt_pk=r.id, enterprise_id=msg.enterprise_id, module=f.module, file_name=f.file_name,
                message_id=msg.message_id, document_no=msg.document_no, authority=r.authority,
                receipt_id=r.receipt_id, kind=r.kind, seq_no=r.seq_no, status_code=r.status_code,
                status=r.status, text=r.text, reasons=json.loads(r.reasons_json), issued_at=r.issued_at,
                received_at=r.received_at) for r, msg, f in s.execute(stmt).all()]

    def mark_exported(self, receipt_pk: int, file_name: str, at: datetime) -> bool:
        with self.sessions() as s, s.begin():
            stmt = (self._insert(s)(m.FolderExport).values(receipt_pk=receipt_pk, file_name=file_name, written_at=at)
                    .on_conflict_do_nothing(index_elements=["receipt_pk"]).returning(m.FolderExport.id))
            return s.execute(stmt).scalar() is not None

    # --- SFTP logins -------------------------------------------------------------------------------------
    def sftp_login(self, enterprise_id: str) -> tuple[str | None, list[str]] | None:
        with self.sessions() as s:
            row = s.get(m.FolderSftpLogin, enterprise_id)
            if row is None:
                return None
            return row.password_hash, [k for k in row.authorized_keys.splitlines() if k.strip()]

    def set_sftp_login(self, enterprise_id: str, password_hash: str | None, authorized_keys: list[str],
                       at: datetime) -> None:
        with self.sessions() as s, s.begin():
            if s.get(m.Enterprise, enterprise_id) is None:
                raise LookupError(f"unknown enterprise {enterprise_id}")
            row = s.get(m.FolderSftpLogin, enterprise_id)
            if row is None:
                row = m.FolderSftpLogin(enterprise_id=enterprise_id)
                s.add(row)
            row.password_hash = password_hash
            row.authorized_keys = "\n".join(authorized_keys)
            row.updated_at = at

    # --- the flow at a glance (cogw status) ----------------------------------------------------------------
    def flow_snapshot(self, enterprise_id: str | None, *, limit: int = 10) -> FlowSnapshot:
        def scoped(stmt: Any) -> Any:
            return stmt if enterprise_id is None else stmt.where(m.Message.enterprise_id == enterprise_id)

        with self.sessions() as s:
            by_state = scoped(select(m.Message.state, func.count()).group_by(m.Message.state))
            counts = {state: n for state, n in s.execute(by_state).all()}
            failed = s.scalars(scoped(select(m.Message).where(m.Message.state.in_(("FAILED", "REJECTED"))))
                               .order_by(m.Message.updated_at.desc(), m.Message.id.desc()).limit(limit))
            failures = [MessageLine(r.message_id, r.enterprise_id, r.message_type, r.state, r.document_no,
                                    r.updated_at, r.last_error or self._first_error(s, r.id)) for r in failed]
            waiting_rows = s.scalars(scoped(select(m.Message).where(m.Message.state.in_(("SENT", "ACKNOWLEDGED"))))
                                     .order_by(m.Message.updated_at, m.Message.id).limit(limit))
            waiting = [MessageLine(r.message_id, r.enterprise_id, r.message_type, r.state, r.document_no,
                                   r.updated_at, "") for r in waiting_rows]
        return FlowSnapshot(counts, failures, waiting)

    @staticmethod
    def _first_error(s: Session, message_pk: int) -> str:
        raw = s.scalar(select(m.Payload.content).where(m.Payload.message_pk == message_pk, m.Payload.kind == "errors"))
        if not raw:
            return ""
        errors = json.loads(raw)
        if not errors:
            return ""
        first = errors[0]
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"{first.get('rule')}: {first.get('path')}: {first.get('message')}{more}"

    # --- Excel exports -------------------------------------------------------------------------------------
    def certificates_created(self, scope: Sequence[str], since: datetime, until: datetime) -> list[CertificateRow]:
        # a certificate the declarant deleted is hidden everywhere, as in the UI's list and statistics
        stmt = (select(m.Certificate, m.Message).join(m.Message, m.Message.id == m.Certificate.message_pk)
                .where(m.Certificate.enterprise_id.in_(scope), m.Certificate.deleted_at.is_(None),
                       m.Certificate.created_at >= since, m.Certificate.created_at < until,
                       m.Message.state != "REJECTED")
                .order_by(m.Certificate.created_at.desc(), m.Certificate.id.desc()))
        with self.sessions() as s:
            return [CertificateRow(c.cert_no, c.cert_type, c.document_no, c.dest_country, c.status, c.created_at,
                                   c.status_at, msg.message_id, msg.state, c.enterprise_id)
                    for c, msg in s.execute(stmt).all()]
