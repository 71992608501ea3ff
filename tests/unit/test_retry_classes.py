"""Retry rules per authority and error class; the ATTENTION state for receipts that never come."""

from __future__ import annotations

import random

import pytest

from gateway.domain.delivery import RESENDABLE, SETTLED, TERMINAL, DeliveryState, can_transition
from gateway.domain.retry import ErrorClass, RetryPolicies, RetryPolicy

S = DeliveryState


def test_error_class_follows_the_transports_transient_flag() -> None:
    assert ErrorClass.of(True) is ErrorClass.TRANSIENT
    assert ErrorClass.of(False) is ErrorClass.PERMANENT


def test_permanent_errors_dead_letter_at_once_by_default() -> None:
    p = RetryPolicies().policy("GACC", ErrorClass.PERMANENT)
    assert p.next_delay(1) is None


def test_transient_errors_back_off_until_max_attempts() -> None:
    p = RetryPolicies(transient=RetryPolicy(base_seconds=1, cap_seconds=100, max_attempts=4)).policy(
        "GACC", ErrorClass.TRANSIENT)
    rng = random.Random(1)
    delays = [p.next_delay(n, rng=rng) for n in (1, 2, 3)]
    assert all(d is not None for d in delays)
    assert [1 / 2 <= delays[0] <= 1, 1 <= delays[1] <= 2, 2 <= delays[2] <= 4] == [True] * 3  # type: ignore[operator]
    assert p.next_delay(4) is None


def test_each_authority_may_have_its_own_policy_per_class() -> None:
    ccpit = {ErrorClass.TRANSIENT: RetryPolicy(base_seconds=5, cap_seconds=50, max_attempts=2),
             ErrorClass.PERMANENT: RetryPolicy(base_seconds=60, cap_seconds=600, max_attempts=3)}
    policies = RetryPolicies(by_authority={"CCPIT": ccpit})
    assert policies.policy("CCPIT", ErrorClass.TRANSIENT).max_attempts == 2
    assert policies.policy("CCPIT", ErrorClass.PERMANENT).next_delay(1) is not None  # retried twice more
    assert policies.policy("CCPIT", ErrorClass.PERMANENT).next_delay(3) is None
    assert policies.policy("GACC", ErrorClass.TRANSIENT).max_attempts == 8  # defaults elsewhere
    assert policies.max_attempts("CCPIT") == 3
    assert policies.max_attempts_by_authority() == {"CCPIT": 3}


def test_retry_after_is_a_floor_but_never_beyond_the_cap() -> None:
    p = RetryPolicy(base_seconds=1, cap_seconds=60, max_attempts=5)
    rng = random.Random(3)
    assert p.next_delay(1, retry_after=30, rng=rng) == 30
    assert p.next_delay(1, retry_after=86400, rng=rng) == 60  # a day would hide the message: cap wins
    d = p.next_delay(1, retry_after=0.1, rng=rng)
    assert d is not None and 0.5 <= d <= 1  # our own backoff when the server asks for less


def test_backoff_never_overflows_on_huge_attempt_numbers() -> None:
    assert RetryPolicy(base_seconds=2, cap_seconds=300, max_attempts=10_000).delay(5000) <= 300


@pytest.mark.parametrize("bad", [dict(base_seconds=-1), dict(base_seconds=10, cap_seconds=5), dict(max_attempts=0)])
def test_nonsense_policies_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="retry policy"):
        RetryPolicy(**bad)  # type: ignore[arg-type]


def test_attention_is_reached_only_from_sent_and_leads_back_to_normal_paths() -> None:
    assert can_transition(S.SENT, S.ATTENTION)
    assert not can_transition(S.QUEUED, S.ATTENTION)
    assert not can_transition(S.ACKNOWLEDGED, S.ATTENTION)
    for target in (S.ACKNOWLEDGED, S.FAILED, S.QUEUED):  # late receipt, give up, resend
        assert can_transition(S.ATTENTION, target)
    assert not can_transition(S.ATTENTION, S.DONE)  # acknowledged first, as every message is


def test_settled_and_resendable_sets() -> None:
    assert S.ATTENTION not in TERMINAL and S.ATTENTION not in SETTLED
    assert {S.DONE, S.REJECTED, S.FAILED} == SETTLED
    assert {S.FAILED, S.ATTENTION} == RESENDABLE
