"""Pure rules of the ERP hand-back: webhook signatures, subscription matching and checks, secret sealing."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from gateway.domain.erp_events import (
    AUTHORITY_MESSAGE,
    RECEIPT_APPLIED,
    STATE_CHANGED,
    EventFacts,
    SubscriptionRule,
    check_subscription,
    is_webhook_url,
    matches,
)
from gateway.domain.webhook_signature import signature, verify
from signing.secretbox import SecretBox, SecretBoxError


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":"x"}'
    header = signature("s3cret-s3cret-s3cret", 1700000000, body)
    expected = hmac.new(b"s3cret-s3cret-s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


@pytest.mark.parametrize("mutate, now, ok", [
    (lambda h, b: (h, b), 1700000100, True),
    (lambda h, b: (h, b + b"x"), 1700000100, False),  # body changed
    (lambda h, b: (h.replace("t=1700000000", "t=1700000001"), b), 1700000100, False),  # timestamp changed
    (lambda h, b: (h, b), 1700000000 + 301, False),  # too old: replay
    (lambda h, b: (h.split(",")[0], b), 1700000100, False),  # no v1
    (lambda h, b: ("garbage", b), 1700000100, False),
])
def test_verify_refuses_tampering_replays_and_garbage(mutate, now: int, ok: bool) -> None:  # type: ignore[no-untyped-def]
    body = b'{"id":"x"}'
    header, sent = mutate(signature("k" * 20, 1700000000, body), body)
    assert verify("k" * 20, header, sent, now=now) is ok
    assert verify("other" * 4, signature("k" * 20, 1700000000, body), body, now=1700000000) is False


FACTS = EventFacts(RECEIPT_APPLIED, document_no="DOC-1", cert_no="E263501000010001", submitted_by="alice")


@pytest.mark.parametrize("rule, facts, expected", [
    (SubscriptionRule("enterprise"), FACTS, True),
    (SubscriptionRule("document", document_no="DOC-1"), FACTS, True),
    (SubscriptionRule("document", document_no="E263501000010001"), FACTS, True),  # by certificate number
    (SubscriptionRule("document", document_no="DOC-2"), FACTS, False),
    (SubscriptionRule("user", user="alice"), FACTS, True),
    (SubscriptionRule("user", user="bob"), FACTS, False),
    (SubscriptionRule("enterprise"), EventFacts(AUTHORITY_MESSAGE, None, None, None), True),
    (SubscriptionRule("enterprise"), EventFacts(STATE_CHANGED, "DOC-1", None, "alice"), False),  # not a receipt
    (SubscriptionRule("document", document_no="DOC-1"), EventFacts(RECEIPT_APPLIED, None, None, None), False),
])
def test_subscription_scopes_match_as_the_manual_describes(rule: SubscriptionRule, facts: EventFacts,
                                                           expected: bool) -> None:
    assert matches(rule, facts) is expected


def test_subscription_check_names_fields_in_english_and_chinese() -> None:
    errors = check_subscription({"scope": "document", "channel": "email", "target": "x"})
    assert {(e.field, e.field_cn) for e in errors} == {("document_no", "业务单据号"), ("target", "接收地址")}
    assert check_subscription({"scope": "user", "user": "王伟", "channel": "webhook",
                               "target": "https://erp.example/hook?x=1"}) == []
    assert not is_webhook_url("https://erp.example/\x00") and not is_webhook_url("javascript:alert(1)")


def test_secret_box_round_trips_rotates_and_refuses_weak_or_wrong_keys() -> None:
    old = SecretBox("old-key-0123456789abcdef")
    sealed = old.seal("hmac-secret")
    assert b"hmac-secret" not in sealed
    rotated = SecretBox("new-key-0123456789abcdef,old-key-0123456789abcdef")
    assert rotated.open(sealed) == "hmac-secret"  # old secrets still open after rotation
    with pytest.raises(SecretBoxError, match="cannot be decrypted"):
        SecretBox("new-key-0123456789abcdef").open(sealed)
    with pytest.raises(SecretBoxError, match="shorter than 16"):
        SecretBox("short")
    with pytest.raises(SecretBoxError, match="not set"):
        SecretBox(" , ")
