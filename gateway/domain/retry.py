"""Retry timing: capped exponential backoff with jitter, so a recovering authority is not hammered."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 2.0
    cap_seconds: float = 300.0
    max_attempts: int = 8

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based): full-jitter in [d/2, d]."""
        d = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        r = (rng or random).random()
        return d / 2 + r * d / 2

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
