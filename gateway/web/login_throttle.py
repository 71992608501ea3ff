"""Login back-off per username and per client address, so passwords cannot be guessed at speed.

After ``free`` failed attempts for a key, each further attempt must wait twice as long as the one
before (1 s, 2 s, 4 s … capped at ``cap``); a correct password clears the username's record. The client
address record is only cleared by time (``forget_after`` quiet seconds), otherwise one valid account
would reset it. Kept in process memory on purpose: no table to clean up, gone on restart, and each
process counts on its own — with N web processes an attacker gets N times the rate, still exponential.
Behind a reverse proxy the client address is the proxy's unless the app is wrapped in ProxyFix.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class _Record:
    failures: int
    last: datetime


class LoginThrottle:
    def __init__(self, *, free_per_user: int = 5, free_per_address: int = 20, cap_seconds: int = 900,
                 forget_after_seconds: int = 3600, max_keys: int = 100_000) -> None:
        self.free = {"user": free_per_user, "addr": free_per_address}
        self.cap = timedelta(seconds=cap_seconds)
        self.forget_after = timedelta(seconds=forget_after_seconds)
        self.max_keys = max_keys
        self._records: dict[tuple[str, str], _Record] = {}
        self._lock = threading.Lock()

    def _keys(self, username: str, address: str) -> list[tuple[str, str]]:
        return [("user", username.strip().lower()), ("addr", address)]

    def wait_seconds(self, username: str, address: str, now: datetime) -> int:
        """0 when an attempt may be made now, else how many seconds until it may."""
        wait = timedelta(0)
        with self._lock:
            for key in self._keys(username, address):
                rec = self._records.get(key)
                if rec is None or now - rec.last >= self.forget_after:
                    continue
                over = rec.failures - self.free[key[0]]
                if over >= 0:
                    wait = max(wait, rec.last + min(timedelta(seconds=2**over), self.cap) - now)
        return max(0, int(wait.total_seconds() + 0.999))

    def failed(self, username: str, address: str, now: datetime) -> None:
        with self._lock:
            if len(self._records) >= self.max_keys:  # a flood of names must not grow memory without bound
                self._records = {k: r for k, r in self._records.items() if now - r.last < self.forget_after}
                if len(self._records) >= self.max_keys:
                    self._records.clear()
            for key in self._keys(username, address):
                rec = self._records.get(key)
                if rec is None or now - rec.last >= self.forget_after:
                    rec = self._records[key] = _Record(0, now)
                rec.failures += 1
                rec.last = now

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._records.pop(("user", username.strip().lower()), None)
