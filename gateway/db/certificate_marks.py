"""The declarant's marks on certificates in the query list (seed 001 ch. 5): 存档 archive and 删除 delete.

Both only hide a row from the list. The message, its payloads and receipts stay: nothing the gateway
accepted is ever lost. Every write takes the caller's scope, like the UI reads. Archiving depends on
the self-print status (the original printed), so that is read under the same lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import models as m
from gateway.db import print_models as pm

Mark = Literal["archive", "delete"]


class CertificateMarks:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def mark(self, scope: Sequence[str], message_ids: Sequence[str], mark: Mark, now: datetime,
             allowed: Callable[[str, bool, str], bool]) -> list[str]:
        """Mark the certificates of ``message_ids`` (all in scope and all ``allowed(status, archived,
        print_status)``, else none: the caller reports the refusal). Returns the message ids marked; []
        when any was refused. ``print_status`` is the self-print status, PENDING when never printed."""
        with self.sessions.begin() as s:
            rows = s.execute(select(m.Certificate, m.Message.message_id)
                             .join(m.Message, m.Message.id == m.Certificate.message_pk)
                             .where(m.Message.message_id.in_(message_ids), m.Certificate.enterprise_id.in_(scope),
                                    m.Certificate.deleted_at.is_(None))
                             .with_for_update()).all()
            printed = self._print_statuses(s, [c for c, _ in rows])
            if len(rows) != len(set(message_ids)) or not all(
                    allowed(c.status, c.archived_at is not None, printed.get((c.enterprise_id, c.cert_no), "PENDING"))
                    for c, _ in rows):
                return []
            for c, _ in rows:
                if mark == "archive":
                    c.archived_at = now
                else:
                    c.deleted_at = now
            return [mid for _, mid in rows]

    @staticmethod
    def _print_statuses(s: Session, certificates: Sequence[m.Certificate]) -> dict[tuple[str, str], str]:
        """(enterprise, cert_no) → print status, locked like the certificates: a print exception that
        sends the original back to pending waits for this mark (or the mark sees it)."""
        if not certificates:
            return {}
        rows = s.execute(select(pm.CertificatePrint.enterprise_id, pm.CertificatePrint.cert_no,
                                pm.CertificatePrint.print_status)
                         .where(pm.CertificatePrint.enterprise_id.in_({c.enterprise_id for c in certificates}),
                                pm.CertificatePrint.cert_no.in_({c.cert_no for c in certificates}))
                         .with_for_update()).all()
        return {(e, n): status for e, n, status in rows}
