"""Retry timing: capped exponential backoff with jitter, per authority and error class.

Two error classes: *transient* (network, timeouts, a busy or failing server: retrying later helps) and
*permanent* (authentication, a refused document, a bug: retrying the same bytes will not help until
someone changes something). Each (authority, class) pair has its own policy; by default a permanent
error dead-letters at once and a transient one is retried with backoff up to ``max_attempts``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class ErrorClass(StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"

    @classmethod
    def of(cls, transient: bool) -> ErrorClass:
        return cls.TRANSIENT if transient else cls.PERMANENT


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 2.0
    cap_seconds: float = 300.0
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.base_seconds < 0 or self.cap_seconds < self.base_seconds:
            raise ValueError("retry policy: need 0 <= base_seconds <= cap_seconds")
        if self.max_attempts < 1:
            raise ValueError("retry policy: max_attempts must be at least 1")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based): full-jitter in [d/2, d]."""
        d = min(self.cap_seconds, self.base_seconds * 2 ** max(0, min(attempt, 64) - 1))
        r = (rng or random).random()
        return d / 2 + r * d / 2

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def next_delay(self, attempts: int, retry_after: float | None = None,
                   rng: random.Random | None = None) -> float | None:
        """Seconds until the next attempt after `attempts` attempts, or None when the policy gives up.

        A server's Retry-After is a floor (it knows better than our backoff when it will be back), but
        never beyond the cap: a server asking for a day must not park a declaration for a day unseen.
        """
        if self.exhausted(attempts):
            return None
        delay = self.delay(attempts, rng)
        if retry_after is not None and retry_after > 0:
            delay = max(delay, min(retry_after, self.cap_seconds))
        return delay


#: Permanent errors dead-letter on the first occurrence unless an authority says otherwise.
PERMANENT_DEFAULT = RetryPolicy(base_seconds=60.0, cap_seconds=3600.0, max_attempts=1)


@dataclass(frozen=True)
class RetryPolicies:
    """The policy for each (authority, error class); unknown authorities use the defaults."""

    transient: RetryPolicy = field(default_factory=RetryPolicy)
    permanent: RetryPolicy = PERMANENT_DEFAULT
    by_authority: Mapping[str, Mapping[ErrorClass, RetryPolicy]] = field(default_factory=dict)

    def policy(self, authority: str, error_class: ErrorClass) -> RetryPolicy:
        own = self.by_authority.get(authority, {}).get(error_class)
        if own is not None:
            return own
        return self.transient if error_class == ErrorClass.TRANSIENT else self.permanent

    def max_attempts(self, authority: str) -> int:
        """Attempts after which a message of `authority` is dead-lettered whatever the error was."""
        return max(self.policy(authority, c).max_attempts for c in ErrorClass)

    def max_attempts_by_authority(self) -> dict[str, int]:
        return {a: self.max_attempts(a) for a in self.by_authority}

    @property
    def default_max_attempts(self) -> int:
        return max(self.transient.max_attempts, self.permanent.max_attempts)
