"""The declarant's drafts for a verification record (tables of ``verification_models``): uploaded materials
and saved cost details. Callers pass the enterprise of a record they found in the user's scope; every
query is keyed by that enterprise and the record number, so nothing of another record is reachable."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gateway.db.store import iso
from gateway.db.verification_models import VerificationCostDraft, VerificationFileDraft


class DuplicateFileName(ValueError):
    """The record already has a file of that name (the response names files by FileName)."""


class VerificationDrafts:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # --- uploaded materials ----------------------------------------------------------------------
    def files(self, enterprise_id: str, record_no: str, *, with_content: bool = False) -> list[dict[str, Any]]:
        with self.sessions() as s:
            rows = s.scalars(select(VerificationFileDraft)
                             .where(VerificationFileDraft.enterprise_id == enterprise_id,
                                    VerificationFileDraft.record_no == record_no)
                             .order_by(VerificationFileDraft.id)).all()
            return [_file(r, with_content) for r in rows]

    def add_file(self, enterprise_id: str, record_no: str, *, file_type: str, pre_review_no: str, file_name: str,
                 content: bytes, by: str, at: datetime) -> int:
        try:
            with self.sessions.begin() as s:
                row = VerificationFileDraft(enterprise_id=enterprise_id, record_no=record_no, file_type=file_type,
                                            pre_review_no=pre_review_no, file_name=file_name, content=content,
                                            size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                                            uploaded_by=by, uploaded_at=at)
                s.add(row)
                s.flush()
                return row.id
        except IntegrityError as exc:
            raise DuplicateFileName(file_name) from exc

    def delete_file(self, enterprise_id: str, record_no: str, file_id: int) -> bool:
        with self.sessions.begin() as s:
            gone = s.execute(delete(VerificationFileDraft).where(
                VerificationFileDraft.id == file_id, VerificationFileDraft.enterprise_id == enterprise_id,
                VerificationFileDraft.record_no == record_no))
            return bool(gone.rowcount)  # type: ignore[attr-defined]

    def mark_sent(self, enterprise_id: str, sent: Mapping[int, str]) -> None:
        with self.sessions.begin() as s:
            for file_id, message_id in sent.items():
                s.execute(update(VerificationFileDraft)
                          .where(VerificationFileDraft.id == file_id,
                                 VerificationFileDraft.enterprise_id == enterprise_id)
                          .values(sent_message_id=message_id))

    # --- product cost details --------------------------------------------------------------------
    def costs(self, enterprise_id: str, record_no: str) -> dict[str, dict[str, Any]]:
        """Saved cost details by 产品预审主键, in the order they were first saved."""
        with self.sessions() as s:
            rows = s.scalars(select(VerificationCostDraft)
                             .where(VerificationCostDraft.enterprise_id == enterprise_id,
                                    VerificationCostDraft.record_no == record_no)
                             .order_by(VerificationCostDraft.id)).all()
            return {r.pre_review_no: {**json.loads(r.product_json), "_saved_by": r.saved_by,
                                      "_saved_at": iso(r.saved_at)} for r in rows}

    def save_cost(self, enterprise_id: str, record_no: str, pre_review_no: str, product: Mapping[str, Any], *,
                  by: str, at: datetime) -> None:
        body = json.dumps(product, ensure_ascii=False)
        for attempt in (1, 2):  # a concurrent first save of the same product wins the insert: update it then
            try:
                with self.sessions.begin() as s:
                    row = s.scalar(select(VerificationCostDraft).where(
                        VerificationCostDraft.enterprise_id == enterprise_id,
                        VerificationCostDraft.record_no == record_no,
                        VerificationCostDraft.pre_review_no == pre_review_no))
                    if row is None:
                        s.add(VerificationCostDraft(enterprise_id=enterprise_id, record_no=record_no,
                                                    pre_review_no=pre_review_no, product_json=body, saved_by=by,
                                                    saved_at=at))
                    else:
                        row.product_json, row.saved_by, row.saved_at = body, by, at
                return
            except IntegrityError:
                if attempt == 2:
                    raise


def _file(r: VerificationFileDraft, with_content: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r.id, "file_type": r.file_type, "pre_review_no": r.pre_review_no,
                           "file_name": r.file_name, "size": r.size, "uploaded_by": r.uploaded_by,
                           "uploaded_at": iso(r.uploaded_at), "sent_message_id": r.sent_message_id or ""}
    if with_content:
        out["content"] = r.content
    return out
