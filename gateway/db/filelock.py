"""Exclusive, non-blocking ``flock`` on a file beside the SQLite database.

The lock belongs to the open file, so the kernel releases it when the process ends, SIGKILL included:
no stale lock to clean up after a crash. The holder writes its pid into the file for the operator.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


def sqlite_lock_path(database_url: str, suffix: str) -> Path:
    """``<database file><suffix>``; an in-memory or unnamed database locks beside the default file."""
    db = database_url.split("///", 1)[-1]
    if not db or db == ":memory:":
        db = "var/gateway.db"
    return Path(db + suffix)


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if no other open file holds it; True while we hold it."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by child processes
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder_pid(self) -> int | None:
        """The pid the holder wrote into the file, for messages (None if unreadable)."""
        with contextlib.suppress(OSError, ValueError):
            return int(self.path.read_text().strip())
        return None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
