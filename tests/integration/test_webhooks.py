"""Webhooks end to end on a real database and a real HTTP receiver on a loopback port: the receiver checks
the HMAC signature with its own code, failures are retried with backoff, and every attempt is in the
delivery log the API shows. Time is driven by the test's clock, never by sleeping."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from gateway.db import erp_models as e
from gateway.demo import sample_bytes
from gateway.domain.webhook_signature import verify
from tests.integration.erp_world import SECRET_KEY, Hub, Receiver


def _register(hub: Hub, receiver: Receiver, key: str | None = None) -> str:
    r = hub.client.put("/api/v1/webhook", json={"url": receiver.url}, headers=hub.auth(key))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["url"] == receiver.url and len(body["secret"]) >= 32
    receiver.secret = body["secret"]
    return str(body["secret"])


def _deliveries(hub: Hub, **params: str) -> list[dict]:  # type: ignore[type-arg]
    r = hub.client.get("/api/v1/webhook/deliveries", query_string=params, headers=hub.auth())
    assert r.status_code == 200, r.get_json()
    return list(r.get_json()["deliveries"])


def test_events_are_posted_signed_and_the_receiver_verifies_them(hub: Hub, receiver: Receiver) -> None:
    secret = _register(hub, receiver)
    mid = hub.push(sample_bytes("form_e_approved.xml"))
    hub.container.dispatch_once()
    hub.approve(mid)
    hub.container.ingest_once()
    report = hub.container.deliver_webhooks_once()
    assert report.delivered == 5 and report.failed == report.retrying == 0
    assert [r.signature_ok for r in receiver.received] == [True] * 5
    inbox = hub.inbox()["events"]
    assert [json.loads(r.body) for r in receiver.received] == inbox  # the same events, in cursor order
    first = receiver.received[0]
    assert first.headers["X-Cogw-Event-Id"] == inbox[0]["id"]
    assert first.headers["Content-Type"] == "application/json"
    # the gateway's own verifier agrees, and refuses a tampered body or an old timestamp
    now = int(hub.clock.now().timestamp())
    assert verify(secret, first.headers["X-Cogw-Signature"], first.body, now=now)
    assert not verify(secret, first.headers["X-Cogw-Signature"], first.body + b" ", now=now)
    assert not verify(secret, first.headers["X-Cogw-Signature"], first.body, now=now + 3600)
    assert not receiver.check(first.headers["X-Cogw-Signature"].replace("v1=", "v1=0"), first.body)
    assert hub.container.deliver_webhooks_once().claimed == 0  # nothing delivered twice


def test_the_secret_is_stored_encrypted_and_can_be_rotated(hub: Hub, receiver: Receiver) -> None:
    secret = _register(hub, receiver)
    with hub.container.store.transaction() as tx:
        sealed = tx.s.get(e.WebhookEndpoint, "91350100M000100Y43").secret_encrypted  # type: ignore[union-attr]
    assert secret.encode() not in sealed and hub.container.secretbox.open(sealed) == secret  # type: ignore[union-attr]
    again = hub.client.put("/api/v1/webhook", json={"url": receiver.url + "/v2"}, headers=hub.auth()).get_json()
    assert "secret" not in again and again["url"].endswith("/v2")  # a URL change keeps the secret
    rotated = hub.client.put("/api/v1/webhook", json={"url": receiver.url, "rotate_secret": True},
                             headers=hub.auth()).get_json()
    assert rotated["secret"] != secret
    got = hub.client.get("/api/v1/webhook", headers=hub.auth()).get_json()
    assert "secret" not in got and got["enabled"] is True
    assert hub.client.get("/api/v1/webhook", headers=hub.auth(hub.theirs)).status_code == 404


def test_failures_are_retried_with_backoff_and_logged_until_delivered(hub: Hub, receiver: Receiver) -> None:
    _register(hub, receiver)
    receiver.script = [500, 503]
    mid = hub.push(sample_bytes("form_e_approved.xml"))
    hub.container.dispatch_once()  # one event: SENT
    first = hub.container.deliver_webhooks_once()
    assert (first.claimed, first.retrying) == (1, 1)
    (d,) = _deliveries(hub)
    assert d["state"] == "RETRY_WAIT" and d["log"][0]["status_code"] == 500 and "HTTP 500" in d["log"][0]["error"]
    due = d["next_attempt_at"]
    assert hub.container.deliver_webhooks_once().claimed == 0  # not due yet: backoff holds it
    hub.clock.t += timedelta(seconds=10)  # attempt 1's backoff is within [5, 10] s
    assert hub.container.deliver_webhooks_once().retrying == 1
    (d,) = _deliveries(hub)
    assert d["next_attempt_at"] > due  # backoff grows
    hub.clock.t += timedelta(seconds=20)
    assert hub.container.deliver_webhooks_once().delivered == 1
    (d,) = _deliveries(hub, state="DELIVERED")
    assert [a["status_code"] for a in d["log"]] == [500, 503, 200]
    assert [a["attempt"] for a in d["log"]] == [1, 2, 3] and d["log"][-1]["error"] is None
    assert all(a["latency_ms"] >= 0 for a in d["log"]) and d["message_id"] == mid
    # the receiver saw the event three times and processed it once, by X-COGW-Event-Id
    assert len(receiver.received) == 3 and list(receiver.processed) == [d["event_id"]]
    assert _deliveries(hub, event_id=d["event_id"])[0]["id"] == d["id"]


def test_an_unreachable_endpoint_ends_as_failed_and_can_be_redelivered(hub: Hub, receiver: Receiver) -> None:
    url = receiver.url
    _register(hub, receiver)
    assert receiver.server is not None
    receiver.server.shutdown()
    receiver.server.server_close()  # nothing listens there any more: connection refused
    hub.push(sample_bytes("form_e_approved.xml"))
    hub.container.dispatch_once()
    for _ in range(3):
        hub.container.deliver_webhooks_once()
        hub.clock.t += timedelta(minutes=2)
    (d,) = _deliveries(hub)
    assert d["state"] == "FAILED" and d["attempts"] == 3
    assert all(a["status_code"] is None and "Connect" in a["error"] for a in d["log"])
    assert hub.container.deliver_webhooks_once().claimed == 0  # dead letter: left alone
    # The ERP fixes its endpoint and asks for the event again; the log keeps the history.
    from werkzeug.serving import make_server

    port = int(url.split(":")[2].split("/")[0])
    receiver.server = _listen_again(port, receiver, make_server)
    r = hub.client.post(f"/api/v1/webhook/deliveries/{d['id']}/redeliver", headers=hub.auth())
    assert r.status_code == 202
    assert hub.client.post(f"/api/v1/webhook/deliveries/{d['id']}/redeliver",
                           headers=hub.auth(hub.theirs)).status_code == 404
    assert hub.container.deliver_webhooks_once().delivered == 1
    (d,) = _deliveries(hub)
    assert d["state"] == "DELIVERED" and [a["attempt"] for a in d["log"]] == [1, 2, 3, 4]
    assert receiver.received[-1].signature_ok


def _listen_again(port: int, receiver: Receiver, make_server):  # type: ignore[no-untyped-def]
    import threading

    deadline = time.monotonic() + 10
    while True:  # the port was ours a moment ago; the OS may hold it briefly
        try:
            server = make_server("127.0.0.1", port, receiver, threaded=True)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_other_enterprises_never_see_our_deliveries(hub: Hub, receiver: Receiver) -> None:
    _register(hub, receiver)
    hub.push(sample_bytes("form_e_approved.xml"))
    hub.container.dispatch_once()
    hub.container.deliver_webhooks_once()
    theirs = hub.client.get("/api/v1/webhook/deliveries", headers=hub.auth(hub.theirs)).get_json()
    assert theirs == {"deliveries": []} and len(_deliveries(hub)) == 1


def test_webhook_requests_are_validated(hub: Hub) -> None:
    cases = [({"url": "ftp://x"}, 422), ({"url": "https://erp.example/h", "secret": "short"}, 422),
             ({"url": "https://erp.example/h", "extra": 1}, 400), ({"url": 5}, 400)]
    for body, status in cases:
        r = hub.client.put("/api/v1/webhook", json=body, headers=hub.auth())
        assert r.status_code == status, (body, r.get_json())
    r = hub.client.put("/api/v1/webhook", data="x", headers={**hub.auth(), "Content-Type": "text/plain"})
    assert r.status_code == 400
    assert hub.client.delete("/api/v1/webhook", headers=hub.auth()).status_code == 404
    assert hub.client.get("/api/v1/webhook/deliveries?state=LOST", headers=hub.auth()).status_code == 400


def test_without_a_secret_key_webhooks_are_refused_not_stored_in_clear(hub: Hub) -> None:
    hub.container.secretbox = None  # type: ignore[misc]
    r = hub.client.put("/api/v1/webhook", json={"url": "https://erp.example/h"}, headers=hub.auth())
    assert r.status_code == 503 and "GATEWAY_WEBHOOK_SECRET_KEY" in r.get_json()["title"]
    assert SECRET_KEY  # the fixture's key comes from settings, never from the repository's config
