"""The SQL side of the draft port (gateway.services.drafts): 暂存 certificates of the entry form.

Every read and write takes the caller's scope (own enterprise + principals), like the UI reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.db.ui_models import CertificateDraft
from gateway.services.drafts import DraftRecord

D = CertificateDraft


def _record(row: CertificateDraft) -> DraftRecord:
    return DraftRecord(id=row.id, enterprise_id=row.enterprise_id, cert_type=row.cert_type,
                       data=json.loads(row.data_json), version=row.version, created_by=row.created_by,
                       created_at=row.created_at, updated_at=row.updated_at, issues=json.loads(row.issues_json),
                       declared_message_id=row.declared_message_id)


def _summary(data: dict[str, Any]) -> dict[str, str]:
    """The columns the list filters and shows, copied out of the data."""
    head = data.get("head", {})
    return {"cert_no": str(head.get("CertNo", ""))[:20], "document_no": str(head.get("DocumentNo", ""))[:64],
            "dest_country": str(head.get("DestCountryCode", ""))[:10]}


class SqlDraftTransaction:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_draft(self, enterprise_id: str, cert_type: str, data: dict[str, Any], *, created_by: str,
                  at: datetime) -> DraftRecord:
        row = D(enterprise_id=enterprise_id, cert_type=cert_type, data_json=json.dumps(data, ensure_ascii=False),
                issues_json="[]", version=1, created_by=created_by[:64], created_at=at, updated_at=at,
                **_summary(data))
        self.s.add(row)
        self.s.flush()
        return _record(row)

    def draft(self, scope: Sequence[str], draft_id: int) -> DraftRecord | None:
        row = self.s.scalar(select(D).where(D.id == draft_id, D.enterprise_id.in_(scope), D.deleted_at.is_(None)))
        return None if row is None else _record(row)

    def drafts(self, scope: Sequence[str], *, cert_type: str = "", enterprise_id: str = "", limit: int = 200
               ) -> list[DraftRecord]:
        stmt = select(D).where(D.enterprise_id.in_(scope), D.declared_at.is_(None), D.deleted_at.is_(None))
        if cert_type:
            stmt = stmt.where(D.cert_type == cert_type)
        if enterprise_id:
            stmt = stmt.where(D.enterprise_id == enterprise_id)
        return [_record(r) for r in self.s.scalars(stmt.order_by(D.updated_at.desc(), D.id.desc()).limit(limit))]

    def update_draft(self, draft_id: int, *, expected_version: int, enterprise_id: str, data: dict[str, Any],
                     issues: list[dict[str, Any]], at: datetime) -> bool:
        done = self.s.execute(
            update(D).where(D.id == draft_id, D.version == expected_version, D.declared_at.is_(None),
                            D.deleted_at.is_(None))
            .values(enterprise_id=enterprise_id, data_json=json.dumps(data, ensure_ascii=False),
                    issues_json=json.dumps(issues, ensure_ascii=False), version=expected_version + 1,
                    updated_at=at, **_summary(data)))
        return bool(getattr(done, "rowcount", 0))

    def mark_declared(self, draft_id: int, message_id: str, at: datetime) -> bool:
        done = self.s.execute(update(D).where(D.id == draft_id, D.declared_at.is_(None))
                              .values(declared_message_id=message_id, declared_at=at, issues_json="[]",
                                      version=D.version + 1, updated_at=at))
        return bool(getattr(done, "rowcount", 0))

    def delete_drafts(self, scope: Sequence[str], draft_ids: Sequence[int], at: datetime) -> list[int]:
        ids = list(self.s.scalars(select(D.id).where(D.id.in_(draft_ids), D.enterprise_id.in_(scope),
                                                     D.declared_at.is_(None), D.deleted_at.is_(None))))
        if ids:
            self.s.execute(update(D).where(D.id.in_(ids)).values(deleted_at=at, version=D.version + 1))
        return ids


class SqlDraftStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @contextmanager
    def transaction(self) -> Iterator[SqlDraftTransaction]:
        with self.sessions() as session, session.begin():
            yield SqlDraftTransaction(session)
