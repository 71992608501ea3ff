"""Read-only queries behind the UI pages. Every query takes the caller's enterprise scope and never
looks outside it: the tenancy rule lives in the WHERE clause, not in the templates."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import models as m
from gateway.db.store import iso

WAITING_FOR_RECEIPTS = ("SENT", "ACKNOWLEDGED")
PAGE = 200


@dataclass(frozen=True)
class MessageFilter:
    state: str = ""
    family: str = ""
    authority: str = ""
    enterprise_id: str = ""
    message_id: str = ""
    cert_no: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive


@dataclass(frozen=True)
class CertificateFilter:
    cert_no: str = ""
    cert_type: str = ""
    status: str = ""
    dest_country: str = ""
    document_no: str = ""
    enterprise_id: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None
    archived: bool = False  # 已手动存档: only archived ones (the default list hides them)


class UiReads:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # --- engineer: dashboard ---------------------------------------------------------------------
    def dashboard(self, scope: Sequence[str], now: datetime, *, hours: int = 24) -> dict[str, Any]:
        in_scope = m.Message.enterprise_id.in_(scope)
        since = now - timedelta(hours=hours)
        with self.sessions() as s:
            by_state: dict[str, int] = {st: n for st, n in s.execute(
                select(m.Message.state, func.count()).where(in_scope).group_by(m.Message.state))}
            created = s.scalars(select(m.Message.created_at).where(in_scope, m.Message.created_at >= since)).all()
            done = s.scalars(select(m.MessageEvent.at).join(m.Message)
                             .where(in_scope, m.MessageEvent.to_state == "DONE", m.MessageEvent.at >= since)).all()
            failures = s.scalars(select(m.Message).where(in_scope, m.Message.state == "FAILED")
                                 .order_by(m.Message.updated_at.desc()).limit(10)).all()
            health = []
            for authority in sorted(set(s.scalars(select(m.Message.authority).where(in_scope).distinct()))):
                mine = (in_scope, m.Message.authority == authority)
                last_sent = s.scalar(select(func.max(m.MessageEvent.at)).join(m.Message)
                                     .where(*mine, m.MessageEvent.to_state == "SENT"))
                retrying = s.scalar(select(func.count()).select_from(m.Message)
                                    .where(*mine, m.Message.state == "RETRY_WAIT")) or 0
                failed = s.scalar(select(func.count()).select_from(m.Message)
                                  .where(*mine, m.Message.state == "FAILED")) or 0
                last_error = s.scalar(select(m.Message.last_error).where(*mine, m.Message.last_error.is_not(None))
                                      .order_by(m.Message.updated_at.desc()).limit(1))
                health.append({"authority": authority, "last_sent": iso(last_sent), "retrying": retrying,
                               "failed": failed, "last_error": last_error or "",
                               "ok": retrying == 0 and failed == 0})
        buckets = [since + timedelta(hours=i) for i in range(hours)]
        return {
            "by_state": by_state,
            "waiting_for_receipts": sum(by_state.get(st, 0) for st in WAITING_FOR_RECEIPTS),
            "quarantine": self.quarantine_count(scope),
            "failures": [_message_row(r) for r in failures],
            "throughput": [{"hour": b.strftime("%H:00"),
                            "received": sum(1 for t in created if b <= t < b + timedelta(hours=1)),
                            "done": sum(1 for t in done if b <= t < b + timedelta(hours=1))} for b in buckets],
            "health": health,
        }

    # --- engineer: message browser ---------------------------------------------------------------
    def messages(self, scope: Sequence[str], f: MessageFilter, *, limit: int = PAGE) -> list[dict[str, Any]]:
        """The newest ``limit`` matching messages (the page asks for one more to know there are more)."""
        stmt = select(m.Message).where(m.Message.enterprise_id.in_(scope))
        if f.state:
            stmt = stmt.where(m.Message.state == f.state)
        if f.family:
            stmt = stmt.where(m.Message.family == f.family)
        if f.authority:
            stmt = stmt.where(m.Message.authority == f.authority)
        if f.enterprise_id:
            stmt = stmt.where(m.Message.enterprise_id == f.enterprise_id)
        if f.message_id:
            stmt = stmt.where(m.Message.message_id == f.message_id.strip().lower())
        if f.cert_no:
            stmt = stmt.where(m.Message.id.in_(select(m.Certificate.message_pk)
                                               .where(m.Certificate.cert_no == f.cert_no.strip())))
        if f.date_from:
            stmt = stmt.where(m.Message.created_at >= f.date_from)
        if f.date_to:
            stmt = stmt.where(m.Message.created_at < f.date_to)
        with self.sessions() as s:
            rows = s.scalars(stmt.order_by(m.Message.created_at.desc(), m.Message.id.desc()).limit(limit)).all()
            certs = _certs_by_pk(s, [r.id for r in rows])
            return [_message_row(r, certs.get(r.id)) for r in rows]

    def message_detail(self, scope: Sequence[str], message_id: str) -> dict[str, Any] | None:
        with self.sessions() as s:
            row = s.scalar(select(m.Message).where(m.Message.message_id == message_id,
                                                   m.Message.enterprise_id.in_(scope)))
            if row is None:
                return None
            payloads: dict[str, bytes] = {kind: content for kind, content in s.execute(
                select(m.Payload.kind, m.Payload.content).where(m.Payload.message_pk == row.id))}
            cert = _certs_by_pk(s, [row.id]).get(row.id)
            receipts = s.scalars(select(m.Receipt).where(m.Receipt.message_pk == row.id)
                                 .order_by(m.Receipt.seq_no, m.Receipt.id)).all()
            return {
                **_message_row(row, cert),
                "last_error": row.last_error or "",
                "raw": _text(payloads.get("raw")),
                "signed": _text(payloads.get("signed")),
                "errors": json.loads(payloads["errors"]) if payloads.get("errors") else [],
                "events": [{"at": iso(e.at), "from": e.from_state, "to": e.to_state, "actor": e.actor,
                            "reason": e.reason} for e in row.events],
                "receipts": [{"receipt_id": r.receipt_id, "kind": r.kind, "seq_no": r.seq_no,
                              "status_code": r.status_code, "status": r.status, "text": r.text,
                              "reasons": json.loads(r.reasons_json), "issued_at": iso(r.issued_at)}
                             for r in receipts],
                "document": None if cert is None else {**cert, "reasons": json.loads(cert["reasons_json"])},
                # edit-and-resend links (only ids of the same enterprise can be linked)
                "supersedes": row.supersedes or "",
                "superseded_by": s.scalar(select(m.Message.message_id).where(
                    m.Message.supersedes == row.message_id, m.Message.enterprise_id.in_(scope)).limit(1)) or "",
            }

    def owned_message_ids(self, scope: Sequence[str], message_ids: Sequence[str]) -> list[str]:
        """The subset of ``message_ids`` inside the scope (actions never touch anything else)."""
        if not message_ids:
            return []
        with self.sessions() as s:
            return list(s.scalars(select(m.Message.message_id).where(m.Message.message_id.in_(message_ids),
                                                                    m.Message.enterprise_id.in_(scope))))

    # --- engineer: receipt quarantine ------------------------------------------------------------
    def quarantine(self, scope: Sequence[str], *, operator: bool = False) -> list[dict[str, Any]]:
        """Quarantined files addressed to an enterprise in ``scope``. ``operator`` (a gateway operator, who
        belongs to no tenant): the files addressed to nobody we know instead. Never both."""
        with self.sessions() as s:
            rows = s.scalars(select(m.QuarantinedFile).where(_quarantine_visible(scope, operator))
                             .order_by(m.QuarantinedFile.received_at.desc(), m.QuarantinedFile.id.desc())
                             .limit(PAGE)).all()
            return [{"id": r.id, "authority": r.authority, "file_name": r.file_name, "reason": r.reason,
                     "receiver": r.enterprise_id or "", "received_at": iso(r.received_at),
                     "size": len(r.content), "content": _text(r.content)} for r in rows]

    def quarantine_count(self, scope: Sequence[str], *, operator: bool = False) -> int:
        with self.sessions() as s:
            return s.scalar(select(func.count()).select_from(m.QuarantinedFile)
                            .where(_quarantine_visible(scope, operator))) or 0

    # --- declarant: certificates and statistics --------------------------------------------------
    def certificates(self, scope: Sequence[str], f: CertificateFilter, *, limit: int = PAGE) -> list[dict[str, Any]]:
        """The newest ``limit`` matching certificates (for everything, see ``all_certificates``)."""
        stmt = _listed(_certificate_query(scope, f), f)
        with self.sessions() as s:
            rows = s.execute(stmt.order_by(m.Certificate.created_at.desc(), m.Certificate.id.desc())
                             .limit(limit)).all()
            return _certificate_rows(s, rows)

    def all_certificates(self, scope: Sequence[str], f: CertificateFilter, *,
                         batch: int = 500) -> Iterator[dict[str, Any]]:
        """Every matching certificate, newest first, read ``batch`` rows per query (keyset on the id, one
        short session per batch): the export streams any number of rows without holding them all."""
        after: int | None = None
        while True:
            stmt = _listed(_certificate_query(scope, f), f)
            if after is not None:
                stmt = stmt.where(m.Certificate.id < after)
            with self.sessions() as s:
                rows = s.execute(stmt.order_by(m.Certificate.id.desc()).limit(batch)).all()
                out = _certificate_rows(s, rows)
            yield from out
            if len(rows) < batch:
                return
            after = rows[-1][0].id

    def statistics(self, scope: Sequence[str], date_from: datetime | None = None,
                   date_to: datetime | None = None) -> dict[str, dict[str, int]]:
        """Counts of accepted certificates (rejected input is not a declaration) by type, principal, clerk,
        counted in SQL over every certificate in the range."""
        base = _certificate_query(scope, CertificateFilter(date_from=date_from, date_to=date_to)) \
            .where(m.Message.state != "REJECTED")
        clerk = (select(m.MessageEvent.actor).where(m.MessageEvent.message_pk == m.Message.id,
                                                     m.MessageEvent.from_state.is_(None))
                 .order_by(m.MessageEvent.id).limit(1).correlate(m.Message).scalar_subquery())
        out: dict[str, dict[str, int]] = {"cert_type": {}, "enterprise_id": {}, "clerk": {}}
        with self.sessions() as s:
            for key, column in (("cert_type", m.Certificate.cert_type),
                                ("enterprise_id", m.Certificate.enterprise_id), ("clerk", clerk)):
                labelled = base.with_only_columns(column.label("k"), func.count().label("n"))
                for k, n in s.execute(labelled.group_by("k").order_by("k")):
                    label = (k or "").removeprefix("ui:") or "(unknown)"
                    out[key][label] = out[key].get(label, 0) + n
        out["user"] = self._by_user(scope, out["clerk"])
        return out

    def _by_user(self, scope: Sequence[str], by_clerk: dict[str, int]) -> dict[str, int]:
        """Every UI user of the scope's enterprises (those who declared nothing too), then ERP pushes."""
        with self.sessions() as s:
            users = s.execute(select(m.User.username, m.User.enterprise_id).where(m.User.enterprise_id.in_(scope))
                              .order_by(m.User.enterprise_id, m.User.username)).all()
        out = {f"{name} ({ent})": by_clerk.get(name, 0) for name, ent in users}
        known = {name for name, _ in users}
        for clerk, n in by_clerk.items():
            if clerk not in known:
                out["ERP API" if clerk == "api" else clerk] = n
        return out


def _listed(stmt: Select[m.Certificate, m.Message], f: CertificateFilter) -> Select[m.Certificate, m.Message]:
    """What the certificate list shows: the archived ones only when asked for (statistics count both)."""
    return stmt.where(m.Certificate.archived_at.is_not(None) if f.archived else m.Certificate.archived_at.is_(None))


def _certificate_query(scope: Sequence[str], f: CertificateFilter) -> Select[m.Certificate, m.Message]:
    # A certificate the declarant deleted is hidden everywhere (its message and receipts stay in the gateway).
    stmt = (select(m.Certificate, m.Message).join(m.Message, m.Message.id == m.Certificate.message_pk)
            .where(m.Certificate.enterprise_id.in_(scope), m.Certificate.deleted_at.is_(None)))
    for column, value in ((m.Certificate.cert_no, f.cert_no), (m.Certificate.cert_type, f.cert_type),
                          (m.Certificate.status, f.status), (m.Certificate.dest_country, f.dest_country),
                          (m.Certificate.document_no, f.document_no),
                          (m.Certificate.enterprise_id, f.enterprise_id)):
        if value:
            stmt = stmt.where(column == value.strip())
    if f.date_from:
        stmt = stmt.where(m.Certificate.created_at >= f.date_from)
    if f.date_to:
        stmt = stmt.where(m.Certificate.created_at < f.date_to)
    return stmt


def _certificate_rows(s: Session, rows: Sequence[Row[m.Certificate, m.Message]]) -> list[dict[str, Any]]:
    clerks = _clerks(s, [msg.id for _, msg in rows])
    return [{**_cert(c), "message_id": msg.message_id, "state": msg.state, "clerk": clerks.get(msg.id, "")}
            for c, msg in rows]


def _quarantine_visible(scope: Sequence[str], operator: bool) -> ColumnElement[bool]:
    if operator:
        return or_(m.QuarantinedFile.enterprise_id.is_(None),
                   m.QuarantinedFile.enterprise_id.not_in(select(m.Enterprise.id)))
    return m.QuarantinedFile.enterprise_id.in_(scope)


def _text(content: bytes | None) -> str:
    return "" if content is None else content.decode("utf-8", errors="replace")


def _cert(c: m.Certificate) -> dict[str, Any]:
    return {"cert_no": c.cert_no, "cert_type": c.cert_type, "status": c.status, "status_at": iso(c.status_at),
            "dest_country": c.dest_country, "document_no": c.document_no, "enterprise_id": c.enterprise_id,
            "created_at": iso(c.created_at), "reasons_json": c.reasons_json,
            "archived": c.archived_at is not None, "deleted": c.deleted_at is not None}


def _certs_by_pk(s: Session, pks: Sequence[int]) -> dict[int, dict[str, Any]]:
    if not pks:
        return {}
    return {c.message_pk: _cert(c) for c in s.scalars(select(m.Certificate).where(m.Certificate.message_pk.in_(pks)))}


def _clerks(s: Session, pks: Sequence[int]) -> dict[int, str]:
    """Who submitted each message: the actor of its first event (``ui:<user>`` or ``api``)."""
    if not pks:
        return {}
    rows = s.execute(select(m.MessageEvent.message_pk, m.MessageEvent.actor)
                     .where(m.MessageEvent.message_pk.in_(pks), m.MessageEvent.from_state.is_(None)))
    return {pk: actor.removeprefix("ui:") for pk, actor in rows}


def _message_row(r: m.Message, cert: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"message_id": r.message_id, "enterprise_id": r.enterprise_id, "family": r.family,
            "message_type": r.message_type, "authority": r.authority, "state": r.state,
            "document_no": r.document_no or "", "attempts": r.attempts, "created_at": iso(r.created_at),
            "updated_at": iso(r.updated_at), "cert_no": cert["cert_no"] if cert else "",
            "cert_status": cert["status"] if cert else "", "last_error": r.last_error or ""}


def day_range(date_from: str, date_to: str) -> tuple[datetime | None, datetime | None]:
    """Inclusive from/to days ('YYYY-MM-DD' or '') → [start, end) in UTC. Raises ValueError."""
    start, end = utc_day(date_from), utc_day(date_to)
    return start, (end + timedelta(days=1) if end else None)


def utc_day(value: str) -> datetime | None:
    """'2026-11-23' → midnight UTC; '' → None. Raises ValueError with the bad value."""
    value = value.strip()
    if not value:
        return None
    return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
