from __future__ import annotations

import random

from gateway.domain.retry import RetryPolicy


def test_backoff_doubles_within_jitter_and_is_capped() -> None:
    p = RetryPolicy(base_seconds=2, cap_seconds=30, max_attempts=5)
    rng = random.Random(7)
    for attempt, full in [(1, 2), (2, 4), (3, 8), (4, 16), (5, 30), (9, 30)]:
        d = p.delay(attempt, rng)
        assert full / 2 <= d <= full, (attempt, d)


def test_exhausted_after_max_attempts() -> None:
    p = RetryPolicy(max_attempts=3)
    assert not p.exhausted(2)
    assert p.exhausted(3)
