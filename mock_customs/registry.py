"""The mock authority's own records (SQLite in the state directory, safe across threads).

- ``enterprises``: who is registered with which authority (id = the SenderId the enterprise uses, its
  CO registration number AplRegNo, its X.509 certificate PEM).
- ``certificates``: certificate numbers the authority has seen, with status PENDING / APPROVED /
  RETURNED, so a number may not be used twice while pending or approved.
- ``observations``: per (authority, MessageId): how often it was received, the files, the decision,
  the reasons.
- ``records``: what the authority knows beyond certificates, per (authority, enterprise, kind, key):
  enterprise sync state, product pre-reviews, product registrations, verification records, blank-form
  allocations and write-offs, supplements, self-print authorisations and layouts, base data … with a
  status and JSON data (``mock_customs/handlers`` read and write them).
- ``receipts``: the scheduled-emission queue and the log of emitted receipts (due time, emitted time,
  the receipt's fields as JSON). Persisting the queue means a restart keeps the timeline.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DB_FILE = "mock_customs.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS enterprises (
    authority TEXT NOT NULL,
    id TEXT NOT NULL,
    reg_no TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    PRIMARY KEY (authority, id)
);
CREATE TABLE IF NOT EXISTS certificates (
    authority TEXT NOT NULL,
    cert_no TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (authority, cert_no, message_id)
);
CREATE TABLE IF NOT EXISTS observations (
    authority TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sender_id TEXT,
    message_type TEXT,
    cert_no TEXT,
    receive_count INTEGER NOT NULL,
    first_received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    files TEXT NOT NULL,
    decision TEXT,
    reasons TEXT NOT NULL,
    PRIMARY KEY (authority, message_id)
);
CREATE TABLE IF NOT EXISTS receipts (
    receipt_id TEXT PRIMARY KEY,
    authority TEXT NOT NULL,
    message_id TEXT NOT NULL,
    stage INTEGER NOT NULL,
    kind TEXT NOT NULL,
    due_at TEXT NOT NULL,
    emitted_at TEXT,
    emit_count INTEGER NOT NULL DEFAULT 0,
    file_name TEXT,
    fields TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    authority TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    message_id TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (authority, sender_id, kind, key)
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS receipts_due ON receipts (authority, emitted_at, due_at);
"""


@dataclass(frozen=True)
class Record:
    """One fact the authority holds about an enterprise (a pre-review, a registration, …)."""

    authority: str
    sender_id: str
    kind: str
    key: str
    status: str
    data: dict[str, Any]
    message_id: str | None
    updated_at: str

    def public(self) -> dict[str, Any]:
        return {
            "authority": self.authority, "enterprise": self.sender_id, "kind": self.kind, "key": self.key,
            "status": self.status, "data": self.data, "message_id": self.message_id,
            "updated_at": self.updated_at,
        }


# certificate statuses that hold a number
HOLDING = ("PENDING", "APPROVED")


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Enterprise:
    authority: str
    id: str
    reg_no: str
    certificate_pem: str
    registered_at: str

    def public(self) -> dict[str, str]:
        return {
            "authority": self.authority,
            "id": self.id,
            "reg_no": self.reg_no,
            "certificate_pem": self.certificate_pem,
            "registered_at": self.registered_at,
        }


@dataclass(frozen=True)
class ScheduledReceipt:
    receipt_id: str
    authority: str
    message_id: str
    stage: int
    kind: str  # "ImportResponse" | "BusinessReceipt"
    due_at: datetime
    fields: dict[str, Any]
    emitted_at: datetime | None = None
    emit_count: int = 0
    file_name: str | None = None

    def public(self) -> dict[str, Any]:
        from mock_customs.wire import derived_message_id

        return {
            "receipt_id": self.receipt_id,
            "envelope_message_id": derived_message_id(self.receipt_id),  # the MessageId the enterprise sees
            "stage": self.stage,
            "kind": self.kind,
            "due_at": _ts(self.due_at),
            "emitted_at": _ts(self.emitted_at) if self.emitted_at else None,
            "emit_count": self.emit_count,
            "file_name": self.file_name,
            "fields": self.fields,
        }


@dataclass
class Observation:
    authority: str
    message_id: str
    receive_count: int
    first_received_at: str
    last_received_at: str
    files: list[str]
    sender_id: str | None = None
    message_type: str | None = None
    cert_no: str | None = None
    decision: str | None = None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    receipts: list[ScheduledReceipt] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return max(0, self.receive_count - 1)

    def public(self) -> dict[str, Any]:
        return {
            "authority": self.authority,
            "message_id": self.message_id,
            "sender_id": self.sender_id,
            "message_type": self.message_type,
            "cert_no": self.cert_no,
            "receive_count": self.receive_count,
            "duplicates": self.duplicates,
            "first_received_at": self.first_received_at,
            "last_received_at": self.last_received_at,
            "files": self.files,
            "decision": self.decision,
            "reasons": self.reasons,
            "receipts": [r.public() for r in self.receipts],
        }


class Registry:
    """All mock state in one SQLite file. One connection, serialised by a lock (the mock is small)."""

    def __init__(self, path: Path) -> None:
        path = Path(path)
        if path.is_dir():
            path = path / DB_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit (re-entrant within a thread)."""
        with self._lock:
            if self._db.in_transaction:
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # enterprises -------------------------------------------------------------------------------
    def register_enterprise(
        self, authority: str, enterprise_id: str, reg_no: str, certificate_pem: str, now: datetime
    ) -> Enterprise:
        """Register or update (re-registration replaces the certificate: a key rollover)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO enterprises (authority, id, reg_no, certificate_pem, registered_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (authority, id) DO UPDATE SET"
                " reg_no = excluded.reg_no, certificate_pem = excluded.certificate_pem,"
                " registered_at = excluded.registered_at",
                (authority, enterprise_id, reg_no, certificate_pem, _ts(now)),
            )
        found = self.enterprise(authority, enterprise_id)
        assert found is not None
        return found

    def enterprise(self, authority: str, enterprise_id: str) -> Enterprise | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM enterprises WHERE authority = ? AND id = ?", (authority, enterprise_id)
            ).fetchone()
        return Enterprise(**dict(row)) if row else None

    def enterprises(self, authority: str | None = None) -> list[Enterprise]:
        with self._lock:
            if authority is None:
                rows = self._db.execute("SELECT * FROM enterprises ORDER BY authority, id").fetchall()
            else:
                rows = self._db.execute(
                    "SELECT * FROM enterprises WHERE authority = ? ORDER BY id", (authority,)
                ).fetchall()
        return [Enterprise(**dict(r)) for r in rows]

    # certificate numbers -----------------------------------------------------------------------
    def cert_no_holders(self, authority: str, cert_no: str, *, excluding_message: str) -> list[str]:
        """MessageIds of other messages holding ``cert_no`` (pending or approved)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT message_id FROM certificates WHERE authority = ? AND cert_no = ?"
                " AND message_id <> ? AND status IN (?, ?) ORDER BY updated_at",
                (authority, cert_no, excluding_message, *HOLDING),
            ).fetchall()
        return [r["message_id"] for r in rows]

    def is_approved(self, authority: str, cert_no: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM certificates WHERE authority = ? AND cert_no = ? AND status = 'APPROVED' LIMIT 1",
                (authority, cert_no),
            ).fetchone()
        return row is not None

    def set_certificate(
        self, authority: str, cert_no: str, message_id: str, sender_id: str, status: str, now: datetime
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO certificates (authority, cert_no, message_id, sender_id, status, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (authority, cert_no, message_id) DO UPDATE SET"
                " status = excluded.status, updated_at = excluded.updated_at",
                (authority, cert_no, message_id, sender_id, status, _ts(now)),
            )

    def certificates(self, authority: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM certificates WHERE authority = ? ORDER BY cert_no, updated_at", (authority,)
            ).fetchall()
        return [dict(r) for r in rows]

    def certificate_status(self, authority: str, cert_no: str) -> tuple[str, str] | None:
        """(status, sender) of ``cert_no``: the issued one (approved, later voided or replaced) before a
        pending one before a returned one; None when never seen."""
        with self._lock:
            row = self._db.execute(
                "SELECT status, sender_id FROM certificates WHERE authority = ? AND cert_no = ?"
                " ORDER BY CASE WHEN status IN ('APPROVED', 'VOIDED', 'REPLACED') THEN 0 WHEN status = 'PENDING' THEN 1"
                " ELSE 2 END, updated_at DESC LIMIT 1",
                (authority, cert_no),
            ).fetchone()
        return (row["status"], row["sender_id"]) if row else None

    def set_certificate_status(self, authority: str, cert_no: str, status: str, now: datetime) -> None:
        """Change every approved row of ``cert_no`` (a void: APPROVED → VOIDED)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE certificates SET status = ?, updated_at = ? WHERE authority = ? AND cert_no = ?"
                " AND status = 'APPROVED'",
                (status, _ts(now), authority, cert_no),
            )

    # records: what the authority knows besides certificates ------------------------------------
    def put_record(
        self, authority: str, sender_id: str, kind: str, key: str, status: str, data: dict[str, Any],
        now: datetime, message_id: str | None = None,
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO records (authority, sender_id, kind, key, status, data, message_id, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (authority, sender_id, kind, key) DO UPDATE SET"
                " status = excluded.status, data = excluded.data,"
                " message_id = COALESCE(excluded.message_id, records.message_id), updated_at = excluded.updated_at",
                (authority, sender_id, kind, key, status, json.dumps(data, ensure_ascii=False), message_id,
                 _ts(now)),
            )

    def record(self, authority: str, sender_id: str, kind: str, key: str) -> Record | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM records WHERE authority = ? AND sender_id = ? AND kind = ? AND key = ?",
                (authority, sender_id, kind, key),
            ).fetchone()
        return self._record(row) if row else None

    def records(
        self, authority: str | None = None, sender_id: str | None = None, kind: str | None = None
    ) -> list[Record]:
        clauses, args = [], []
        for column, value in (("authority", authority), ("sender_id", sender_id), ("kind", kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM records{where} ORDER BY authority, sender_id, kind, key", args  # noqa: S608
            ).fetchall()
        return [self._record(r) for r in rows]

    @staticmethod
    def _record(row: sqlite3.Row) -> Record:
        return Record(
            authority=row["authority"], sender_id=row["sender_id"], kind=row["kind"], key=row["key"],
            status=row["status"], data=json.loads(row["data"]), message_id=row["message_id"],
            updated_at=row["updated_at"],
        )

    def next_number(self, name: str) -> int:
        """A persisted counter (pre-review numbers, registration numbers …): 1, 2, 3 …"""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1)"
                " ON CONFLICT (name) DO UPDATE SET value = counters.value + 1",
                (name,),
            )
            row = db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row["value"])

    # observations ------------------------------------------------------------------------------
    def observe(self, authority: str, message_id: str, file_name: str, now: datetime) -> int:
        """Count one receipt of ``message_id``; returns the receive count (1 = first time)."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT receive_count, files FROM observations WHERE authority = ? AND message_id = ?",
                (authority, message_id),
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO observations (authority, message_id, receive_count, first_received_at,"
                    " last_received_at, files, reasons) VALUES (?, ?, 1, ?, ?, ?, '[]')",
                    (authority, message_id, _ts(now), _ts(now), json.dumps([file_name])),
                )
                return 1
            files = [*json.loads(row["files"]), file_name]
            count = int(row["receive_count"]) + 1
            db.execute(
                "UPDATE observations SET receive_count = ?, last_received_at = ?, files = ?"
                " WHERE authority = ? AND message_id = ?",
                (count, _ts(now), json.dumps(files), authority, message_id),
            )
            return count

    def record_decision(
        self,
        authority: str,
        message_id: str,
        *,
        decision: str,
        reasons: list[dict[str, Any]],
        sender_id: str | None = None,
        message_type: str | None = None,
        cert_no: str | None = None,
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE observations SET decision = ?, reasons = ?, sender_id = COALESCE(?, sender_id),"
                " message_type = COALESCE(?, message_type), cert_no = COALESCE(?, cert_no)"
                " WHERE authority = ? AND message_id = ?",
                (decision, json.dumps(reasons, ensure_ascii=False), sender_id, message_type, cert_no,
                 authority, message_id),
            )

    def observation(self, authority: str, message_id: str) -> Observation | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM observations WHERE authority = ? AND message_id = ?", (authority, message_id)
            ).fetchone()
            if row is None:
                return None
            return self._observation(row)

    def observations(self, authority: str | None = None) -> list[Observation]:
        with self._lock:
            if authority is None:
                rows = self._db.execute("SELECT * FROM observations ORDER BY first_received_at").fetchall()
            else:
                rows = self._db.execute(
                    "SELECT * FROM observations WHERE authority = ? ORDER BY first_received_at", (authority,)
                ).fetchall()
            return [self._observation(r) for r in rows]

    def _observation(self, row: sqlite3.Row) -> Observation:
        return Observation(
            authority=row["authority"],
            message_id=row["message_id"],
            receive_count=row["receive_count"],
            first_received_at=row["first_received_at"],
            last_received_at=row["last_received_at"],
            files=json.loads(row["files"]),
            sender_id=row["sender_id"],
            message_type=row["message_type"],
            cert_no=row["cert_no"],
            decision=row["decision"],
            reasons=json.loads(row["reasons"]),
            receipts=self.receipts_for(row["authority"], row["message_id"]),
        )

    # receipts: the scheduled-emission queue ----------------------------------------------------
    def schedule_receipt(self, receipt: ScheduledReceipt) -> bool:
        """Queue a receipt; False when that ReceiptId already exists (scheduling is idempotent)."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO receipts (receipt_id, authority, message_id, stage, kind, due_at,"
                " fields) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (receipt.receipt_id, receipt.authority, receipt.message_id, receipt.stage, receipt.kind,
                 _ts(receipt.due_at), json.dumps(receipt.fields, ensure_ascii=False)),
            )
            return cursor.rowcount == 1

    def due_receipts(self, authority: str, now: datetime) -> list[ScheduledReceipt]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM receipts WHERE authority = ? AND emitted_at IS NULL AND due_at <= ?"
                " ORDER BY due_at, rowid",  # queue order: effects are applied in the order they were decided
                (authority, _ts(now)),
            ).fetchall()
        return [self._receipt(r) for r in rows]

    def pending_effects(self, authority: str) -> list[dict[str, Any]]:
        """The effects of decisions queued but not yet announced, in the order they will be applied.

        A review must see them (a serial written off by an earlier message of the same tick is used,
        even though the authority has not said so yet), or two messages could both take the same thing.
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT fields FROM receipts WHERE authority = ? AND emitted_at IS NULL"
                " AND fields LIKE '%\"effects\"%' ORDER BY due_at, rowid",
                (authority,),
            ).fetchall()
        effects: list[dict[str, Any]] = []
        for row in rows:
            effects += json.loads(row["fields"]).get("effects") or []
        return effects

    def next_due(self, authority: str) -> datetime | None:
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(due_at) AS due FROM receipts WHERE authority = ? AND emitted_at IS NULL",
                (authority,),
            ).fetchone()
        return _parse_ts(row["due"]) if row and row["due"] else None

    def mark_emitted(self, receipt_id: str, file_name: str, fields: dict[str, Any], now: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE receipts SET emitted_at = ?, file_name = ?, fields = ?, emit_count = emit_count + 1"
                " WHERE receipt_id = ?",
                (_ts(now), file_name, json.dumps(fields, ensure_ascii=False), receipt_id),
            )

    def receipts_for(self, authority: str, message_id: str) -> list[ScheduledReceipt]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM receipts WHERE authority = ? AND message_id = ? ORDER BY stage",
                (authority, message_id),
            ).fetchall()
        return [self._receipt(r) for r in rows]

    @staticmethod
    def _receipt(row: sqlite3.Row) -> ScheduledReceipt:
        return ScheduledReceipt(
            receipt_id=row["receipt_id"],
            authority=row["authority"],
            message_id=row["message_id"],
            stage=row["stage"],
            kind=row["kind"],
            due_at=_parse_ts(row["due_at"]),
            fields=json.loads(row["fields"]),
            emitted_at=_parse_ts(row["emitted_at"]) if row["emitted_at"] else None,
            emit_count=row["emit_count"],
            file_name=row["file_name"],
        )
