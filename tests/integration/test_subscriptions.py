"""Receipt subscriptions (seed 001 ch. 16) on a real database: by document number, by enterprise and by
user; delivered by e-mail to a real SMTP server on a loopback port (aiosmtpd) and by signed webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.demo import sample_bytes
from tests.integration.erp_world import Hub, Receiver, SmtpSink, make_hub

CERT_NO = "E263501000010001"


@pytest.fixture
def mail_hub(database_url: str, pki_dir: Path, pki_passphrase: str, smtp_sink: SmtpSink) -> Iterator[Hub]:
    h = make_hub(database_url, pki_dir, pki_passphrase, smtp_host="127.0.0.1", smtp_port=smtp_sink.port,
                 smtp_from="gateway@cogw.test")
    yield h
    h.container.close()


def _subscribe(hub: Hub, key: str | None = None, **body: str) -> dict:  # type: ignore[type-arg]
    r = hub.client.post("/api/v1/subscriptions", json=body, headers=hub.auth(key))
    assert r.status_code == 201, r.get_json()
    assert r.headers["Location"] == f"/api/v1/subscriptions/{r.get_json()['id']}"
    return dict(r.get_json())


def _approve_one(hub: Hub) -> str:
    mid = hub.push(sample_bytes("form_e_approved.xml"))
    hub.container.dispatch_once()
    hub.approve(mid)
    assert hub.container.ingest_once().applied == 2
    return mid


def test_each_scope_mails_the_receipts_it_covers(mail_hub: Hub, smtp_sink: SmtpSink) -> None:
    hub = mail_hub
    by_document = _subscribe(hub, scope="document", document_no=CERT_NO, channel="email", target="doc@erp.test")
    _subscribe(hub, scope="document", document_no="E269999999990001", channel="email", target="other@erp.test")
    _subscribe(hub, scope="enterprise", channel="email", target="all@erp.test")
    _subscribe(hub, scope="user", user="api", channel="email", target="me@erp.test")
    _subscribe(hub, scope="user", user="alice", channel="email", target="alice@erp.test")
    _subscribe(hub, hub.theirs, scope="enterprise", channel="email", target="theirs@erp.test")
    assert by_document["active"] is True and by_document["document_no"] == CERT_NO
    mid = _approve_one(hub)
    report = hub.container.deliver_webhooks_once()
    assert report.delivered == 6 and report.failed == 0  # 2 receipts x 3 matching subscriptions
    to = sorted(m["To"] for m in smtp_sink.messages)
    assert to == ["all@erp.test"] * 2 + ["doc@erp.test"] * 2 + ["me@erp.test"] * 2
    approved = next(m for m in smtp_sink.messages if "审核通过" in str(m["Subject"]))
    assert approved["From"] == "gateway@cogw.test" and CERT_NO in str(approved["Subject"])
    assert mid in approved.get_content() and approved["X-COGW-Event-Id"]
    # state changes are not receipts: they go to the webhook/inbox, not to subscribers
    assert not any("SENT" in str(m["Subject"]) for m in smtp_sink.messages)


def test_a_cancelled_subscription_stays_on_record_and_gets_nothing(mail_hub: Hub, smtp_sink: SmtpSink) -> None:
    hub = mail_hub
    sub = _subscribe(hub, scope="enterprise", channel="email", target="all@erp.test")
    assert hub.client.delete(f"/api/v1/subscriptions/{sub['id']}", headers=hub.auth(hub.theirs)).status_code == 404
    assert hub.client.delete(f"/api/v1/subscriptions/{sub['id']}", headers=hub.auth()).status_code == 204
    _approve_one(hub)
    assert hub.container.deliver_webhooks_once().claimed == 0 and smtp_sink.messages == []
    listed = hub.client.get("/api/v1/subscriptions", headers=hub.auth()).get_json()["subscriptions"]
    assert listed == []
    everything = hub.client.get("/api/v1/subscriptions?include_cancelled=true", headers=hub.auth()).get_json()
    (row,) = everything["subscriptions"]
    assert row["active"] is False and row["cancelled_at"]
    assert hub.client.get(f"/api/v1/subscriptions/{sub['id']}", headers=hub.auth(hub.theirs)).status_code == 404


def test_a_webhook_subscription_is_signed_with_its_own_secret(hub: Hub, receiver: Receiver) -> None:
    receiver.secret = "subscription-secret-0123456789"
    _subscribe(hub, scope="document", document_no=CERT_NO, channel="webhook", target=receiver.url,
               secret=receiver.secret)
    mid = _approve_one(hub)
    assert hub.container.deliver_webhooks_once().delivered == 2
    assert [r.signature_ok for r in receiver.received] == [True, True]
    assert {json.loads(r.body)["message_id"] for r in receiver.received} == {mid}


def test_without_smtp_an_email_subscription_waits_and_says_why(hub: Hub) -> None:
    _subscribe(hub, scope="enterprise", channel="email", target="all@erp.test")
    _approve_one(hub)
    assert hub.container.deliver_webhooks_once().retrying == 2
    deliveries = hub.client.get("/api/v1/webhook/deliveries", headers=hub.auth()).get_json()["deliveries"]
    assert {d["last_error"] for d in deliveries} == {"SMTP is not configured (GATEWAY_SMTP_HOST)"}


@pytest.mark.parametrize("body, fields", [
    ({"scope": "document", "channel": "email", "target": "a@b.test"}, {"document_no"}),
    ({"scope": "everyone", "channel": "sms", "target": "x"}, {"scope", "channel"}),
    ({"scope": "user", "channel": "email", "target": "not-an-address"}, {"user", "target"}),
    ({"scope": "enterprise", "channel": "webhook", "target": "ftp://erp"}, {"target"}),
    ({"scope": "enterprise", "channel": "email", "target": "a@b.test", "secret": "x" * 20}, {"secret"}),
    ({"scope": "enterprise", "channel": "email", "target": "a@b.test", "document_no": "E1"}, {"document_no"}),
    ({"scope": "enterprise", "channel": "email", "target": "a@b.test", "colour": "red"}, {"colour"}),
])
def test_invalid_subscriptions_name_every_bad_field(hub: Hub, body: dict, fields: set[str]) -> None:  # type: ignore[type-arg]
    r = hub.client.post("/api/v1/subscriptions", json=body, headers=hub.auth())
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert {e["field"] for e in errors} == fields
    assert all(e["message"] and e["rule"].startswith("SUB.") for e in errors)
    named = {e["field"]: e["field_cn"] for e in errors}
    if "scope" in named:
        assert named["scope"] == "订阅方式"
    if "document_no" in named:
        assert named["document_no"] == "业务单据号"


def test_a_document_the_authority_sends_on_its_own_reaches_inbox_and_subscribers(mail_hub: Hub,
                                                                                  smtp_sink: SmtpSink) -> None:
    from lxml import etree

    from messages import envelope

    hub = mail_hub
    _subscribe(hub, scope="enterprise", channel="email", target="all@erp.test")
    families = Path(__file__).resolve().parents[1] / "data" / "families"
    body = etree.fromstring((families / "gacc_verification/inbound_record_pending.xml").read_bytes())
    head = envelope.EnvelopeHead(message_id="a" * 32, message_type="GACC_VERIFICATION_RECORD", sender_id="GACC",
                                 receiver_id="91350100M000100Y43", send_time=hub.clock.now())
    raw = envelope.to_bytes(hub.container.keystore.signer("GACC").sign(envelope.wrap(head, body)))
    for name in ("v.xml", "v-again.xml"):  # a lost ack: the same document fetched twice
        hub.transport.deliver(name, raw)
        hub.container.ingest_once()
    (event,) = hub.inbox()["events"]
    assert event["type"] == "message.inbound" and event["message_id"] == "a" * 32
    assert event["data"]["message_type"] == "GACC_VERIFICATION_RECORD" and event["data"]["authority"] == "GACC"
    assert hub.inbox(hub.theirs)["events"] == []
    assert hub.container.deliver_webhooks_once().delivered == 1
    (mail,) = smtp_sink.messages
    assert "GACC_VERIFICATION_RECORD" in str(mail["Subject"]) and "a" * 32 in mail.get_content()
