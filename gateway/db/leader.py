"""Leader election for the one scheduler of a deployment.

PostgreSQL: ``pg_try_advisory_lock`` on a dedicated connection (not from the pool) held for the life of
the process; the server releases it when that session ends, so a killed leader's successor takes over at
its next try. A follower keeps its session too and retries on it (no new connection per try). SQLite: an
exclusive ``flock`` on a file beside the database, released by the kernel when the process dies.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from gateway.db.filelock import FileLock, sqlite_lock_path

log = logging.getLogger(__name__)

#: Advisory lock key of the scheduler leader (the migration lock uses another one).
LEADER_LOCK_KEY = 0x636F67775F6C6472  # "cogw_ldr"

# pg_locks shows a bigint advisory key as classid (high 32 bits), objid (low 32 bits), objsubid 1.
_HELD_SQL = ("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
             " AND pid = pg_backend_pid() AND classid = %s AND objid = %s AND objsubid = 1)")
_KEY_PARTS = (LEADER_LOCK_KEY >> 32, LEADER_LOCK_KEY & 0xFFFFFFFF)


class LeaderLock:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._conn: Any = None  # the dedicated PostgreSQL session, kept while following too
        self._pg_locked = False
        self._file = FileLock(sqlite_lock_path(database_url, ".leader.lock"))

    @property
    def held(self) -> bool:
        return self._pg_locked or self._file.held

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True while we hold it. Checks a held PostgreSQL session is alive."""
        if self.database_url.startswith("sqlite"):
            return self._file.try_acquire()
        return self._try_pg()

    def confirm(self) -> bool:
        """True only while we still hold the lock; never takes it. On PostgreSQL the server is asked (a
        dropped or terminated session has lost the lock, and another process may hold it by now)."""
        if self._file.held:
            return True  # a flock lasts as long as our open file
        return self._pg_locked and self._pg_still_held()

    def _pg_still_held(self) -> bool:
        import psycopg

        try:
            row = self._conn.execute(_HELD_SQL, _KEY_PARTS).fetchone()
        except psycopg.Error:  # the session (and with it the lock) is gone
            row = None
        if row and row[0]:
            return True
        log.warning("leader lock lost (session gone or lock released); stepping down")
        self._drop_conn()
        return False

    def _try_pg(self) -> bool:
        import psycopg

        if self._pg_locked and self._pg_still_held():
            return True
        if self._conn is None:
            url = self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
            try:
                self._conn = psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="cogw-leader")
            except psycopg.Error as exc:
                log.warning("leader lock: cannot connect: %s", exc)
                return False
        try:
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK_KEY,)).fetchone()
        except psycopg.Error as exc:  # the standby session died: a new one next time
            log.warning("leader lock: session lost: %s", exc)
            self._drop_conn()
            return False
        self._pg_locked = bool(row and row[0])
        return self._pg_locked

    def release(self) -> None:
        self._file.release()
        if self._pg_locked:
            # Unlock before closing: the server ends a closed session asynchronously, and a follower
            # retrying on its own session at once must find the lock free.
            with contextlib.suppress(Exception):  # a dead session has released it already
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (LEADER_LOCK_KEY,))
        self._drop_conn()

    def _drop_conn(self) -> None:
        self._pg_locked = False
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a dead session may fail; it is gone either way
                self._conn.close()
            self._conn = None
