"""Envelope: wrap/unwrap keep the head and exactly one body document; times are UTC."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from messages import envelope, safexml
from messages.catalogue import NS_DSIG
from messages.errors import InvalidMessage
from messages.validate import get_validator

DATA = Path(__file__).resolve().parents[1] / "data"
HEAD = envelope.EnvelopeHead(
    message_id="3f2b8c1d9e4a4b6f8a7c5d2e1f0a9b8c",
    message_type="CO_APPLICATION",
    sender_id="91320594MA1MXB7Y3E",
    receiver_id="GACC",
    send_time=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
)


def _body() -> etree._Element:
    return safexml.parse((DATA / "certificate_E_valid.xml").read_bytes())


def test_wrap_then_unwrap_gives_back_head_and_body() -> None:
    body = _body()
    wire = envelope.to_bytes(envelope.wrap(HEAD, body))
    assert wire.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    result = get_validator().validate(wire)
    assert result.problems == [] and result.entry is not None and result.entry.family == "envelope"
    assert result.root is not None
    head, inner = envelope.unwrap(result.root)
    assert head == HEAD
    assert b"<SendTime>2026-11-23T10:00:00Z</SendTime>" in wire
    assert etree.tostring(inner, method="c14n") == etree.tostring(body, method="c14n")
    assert get_validator().validate_element(inner).problems == []


def test_wrap_copies_the_body() -> None:
    body = _body()
    wrapped = envelope.wrap(HEAD, body)
    assert body.getparent() is None
    assert envelope.unwrap(wrapped)[1] is not body


def test_send_time_is_converted_to_utc_and_keeps_microseconds() -> None:
    beijing = timezone(timedelta(hours=8))
    head = envelope.EnvelopeHead("a" * 32, "CO_APPLICATION", "A", "GACC",
                                 datetime(2026, 11, 23, 18, 0, 0, 250000, tzinfo=beijing))
    wrapped = envelope.wrap(head, _body())
    assert b"<SendTime>2026-11-23T10:00:00.250000Z</SendTime>" in envelope.to_bytes(wrapped)
    assert get_validator().validate_element(wrapped).problems == []
    back = envelope.unwrap(wrapped)[0].send_time
    assert back == head.send_time and back.tzinfo == UTC


def test_naive_send_time_is_refused() -> None:
    head = envelope.EnvelopeHead("a" * 32, "CO_APPLICATION", "A", "GACC", datetime(2026, 11, 23, 10, 0))
    with pytest.raises(InvalidMessage, match="time zone"):
        envelope.wrap(head, _body())


def test_send_time_as_text_is_a_type_error() -> None:
    head = envelope.EnvelopeHead("a" * 32, "CO_APPLICATION", "A", "GACC", "2026-11-23T10:00:00Z")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="aware datetime"):
        envelope.wrap(head, _body())


def test_signature_as_last_child_is_allowed_and_ignored_by_unwrap() -> None:
    wrapped = envelope.wrap(HEAD, _body())
    signature = etree.SubElement(wrapped, f"{{{NS_DSIG}}}Signature")
    etree.SubElement(signature, f"{{{NS_DSIG}}}SignedInfo")
    assert get_validator().validate_element(wrapped).problems == []
    assert envelope.unwrap(wrapped)[0] == HEAD


def test_schema_refuses_two_body_documents_and_foreign_trailers() -> None:
    wrapped = envelope.wrap(HEAD, _body())
    wrapped[1].append(_body())
    problems = get_validator().validate_element(wrapped).problems
    assert [(p.path, p.rule) for p in problems] == [("/Envelope/Body/Certificate[2]", "XSD.maxOccurs")]
    with pytest.raises(InvalidMessage, match="exactly one"):
        envelope.unwrap(wrapped)
    trailer = envelope.wrap(HEAD, _body())
    etree.SubElement(trailer, "{urn:example}Extra")
    assert [p.rule for p in get_validator().validate_element(trailer).problems] == ["XSD.content"]


def test_schema_refuses_a_bad_head() -> None:
    head = envelope.EnvelopeHead("not-a-uuid", "co application", "A", "GACC", HEAD.send_time)
    problems = get_validator().validate_element(envelope.wrap(head, _body())).problems
    assert [(p.path, p.rule) for p in problems] == [
        ("/Envelope/Head/MessageId", "XSD.pattern"),
        ("/Envelope/Head/MessageType", "XSD.pattern"),
    ]


def test_send_time_without_zone_is_refused_by_schema() -> None:
    wire = envelope.to_bytes(envelope.wrap(HEAD, _body())).replace(b"10:00:00Z", b"10:00:00")
    assert [p.rule for p in get_validator().validate(wire).problems] == ["XSD.pattern"]


def test_unwrap_refuses_other_roots() -> None:
    with pytest.raises(InvalidMessage):
        envelope.unwrap(_body())
