"""Webhook targets and the gateway's own network (SSRF): loopback, link-local, private and metadata
addresses are refused unless GATEWAY_WEBHOOK_ALLOWED_TARGETS allows them, at registration and again at
delivery against what the name resolves to then (DNS rebinding); the delivery connects to the address it
checked. Real database, real HTTP(S) receivers on loopback, a scripted resolver for the names."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server

from adapters.egress import Unresolved
from adapters.webhook import HttpWebhookSender
from gateway.demo import sample_bytes
from tests.integration.erp_world import Hub, Receiver, make_hub


class Names:
    """A resolver the test scripts: name -> addresses, changed at will (as a rebinding DNS server would)."""

    def __init__(self) -> None:
        self.table: dict[str, list[str]] = {}

    def __call__(self, host: str, port: int) -> Sequence[str]:
        if host not in self.table:
            raise Unresolved(f"{host} does not resolve")
        return self.table[host]


@pytest.fixture
def strict_hub(database_url: str, pki_dir: Path, pki_passphrase: str) -> Iterator[Hub]:
    """A gateway with the default egress rules: nothing but public addresses."""
    h = make_hub(database_url, pki_dir, pki_passphrase, webhook_allowed_targets="")
    yield h
    h.container.close()


def _names(hub: Hub) -> Names:
    names = Names()
    hub.container.egress_guard.resolve = names
    return names


def _event_for_delivery(hub: Hub, sample: str = "form_e_approved.xml") -> None:
    hub.push(sample_bytes(sample))
    hub.container.dispatch_once()  # SENT: one event to deliver


def _deliveries(hub: Hub) -> list[dict]:  # type: ignore[type-arg]
    return list(hub.client.get("/api/v1/webhook/deliveries", headers=hub.auth()).get_json()["deliveries"])


@pytest.mark.parametrize(("url", "rule"), [
    ("http://127.0.0.1:8080/hooks", "EGRESS.LOOPBACK"), ("http://localhost/hooks", "EGRESS.LOOPBACK"),
    ("http://[::ffff:127.0.0.1]/hooks", "EGRESS.LOOPBACK"),
    ("http://169.254.169.254/latest/meta-data/", "EGRESS.METADATA"),
    ("http://[fe80::1]/hooks", "EGRESS.LINK_LOCAL"), ("https://10.1.2.3/hooks", "EGRESS.PRIVATE"),
    ("https://192.168.0.10/hooks", "EGRESS.PRIVATE"), ("http://[fd00::5]/hooks", "EGRESS.PRIVATE"),
])
def test_non_public_targets_are_refused_at_registration_naming_field_and_rule(strict_hub: Hub, url: str,
                                                                              rule: str) -> None:
    r = strict_hub.client.put("/api/v1/webhook", json={"url": url}, headers=strict_hub.auth())
    assert r.status_code == 422, r.get_json()
    (error,) = r.get_json()["errors"]
    assert (error["field"], error["field_cn"], error["rule"]) == ("url", "回执推送地址", rule)
    assert r.get_json()["title"].startswith("url: ") and "GATEWAY_WEBHOOK_ALLOWED_TARGETS" in error["message"]
    assert strict_hub.client.get("/api/v1/webhook", headers=strict_hub.auth()).status_code == 404  # nothing kept
    sub = strict_hub.client.post("/api/v1/subscriptions", headers=strict_hub.auth(),
                                 json={"scope": "enterprise", "channel": "webhook", "target": url})
    assert sub.status_code == 422, sub.get_json()
    assert [(e["field"], e["field_cn"], e["rule"]) for e in sub.get_json()["errors"]] == [("target", "接收地址", rule)]


def test_a_name_resolving_to_a_private_address_is_refused_and_public_ones_pass(strict_hub: Hub) -> None:
    names = _names(strict_hub)
    names.table = {"erp.inside.test": ["203.0.113.9", "10.0.0.7"], "erp.public.test": ["93.184.216.34"]}
    r = strict_hub.client.put("/api/v1/webhook", json={"url": "https://erp.inside.test/h"}, headers=strict_hub.auth())
    assert r.status_code == 422 and r.get_json()["errors"][0]["rule"] == "EGRESS.NOT_PUBLIC"  # 203.0.113/24 first
    names.table["erp.inside.test"] = ["93.184.216.34", "10.0.0.7"]
    r = strict_hub.client.put("/api/v1/webhook", json={"url": "https://erp.inside.test/h"}, headers=strict_hub.auth())
    assert r.status_code == 422 and r.get_json()["errors"][0]["rule"] == "EGRESS.PRIVATE"
    assert "erp.inside.test resolves to 10.0.0.7" in r.get_json()["title"]
    ok = strict_hub.client.put("/api/v1/webhook", json={"url": "https://erp.public.test/h"}, headers=strict_hub.auth())
    assert ok.status_code == 200, ok.get_json()
    email = strict_hub.client.post("/api/v1/subscriptions", headers=strict_hub.auth(),
                                   json={"scope": "enterprise", "channel": "email", "target": "ops@erp.test"})
    assert email.status_code == 201  # e-mail goes to the operator's relay: not a webhook target


def test_a_name_that_rebinds_to_loopback_after_registration_is_refused_at_delivery(strict_hub: Hub,
                                                                                   receiver: Receiver) -> None:
    assert receiver.server is not None
    names = _names(strict_hub)
    names.table["erp.rebind.test"] = ["93.184.216.34"]  # public when the ERP registers it
    url = f"http://erp.rebind.test:{receiver.server.server_port}/hooks/cogw"
    registered = strict_hub.client.put("/api/v1/webhook", json={"url": url}, headers=strict_hub.auth())
    assert registered.status_code == 200, registered.get_json()
    names.table["erp.rebind.test"] = ["127.0.0.1"]  # ... and the gateway's own loopback when it delivers
    _event_for_delivery(strict_hub)
    report = strict_hub.container.deliver_webhooks_once()
    assert (report.claimed, report.failed, report.retrying) == (1, 1, 0)  # refused: retrying cannot help
    assert receiver.received == []  # not one byte reached the loopback receiver
    (d,) = _deliveries(strict_hub)
    assert d["state"] == "FAILED" and d["log"][0]["status_code"] is None
    assert d["log"][0]["error"].startswith("webhook URL refused: erp.rebind.test resolves to 127.0.0.1, a loopback")
    assert d["log"][0]["error"].endswith("(rule EGRESS.LOOPBACK)")


def test_an_allowed_name_is_delivered_to_the_address_that_was_checked(hub: Hub, receiver: Receiver) -> None:
    """The name exists only in the gateway's scripted resolver: the POST reaching the receiver proves the
    connection went to the checked address, not to a second lookup by the HTTP client."""
    assert receiver.server is not None
    _names(hub).table["erp.allowed.test"] = ["127.0.0.1"]  # make_hub allows 127.0.0.1
    port = receiver.server.server_port
    r = hub.client.put("/api/v1/webhook", json={"url": f"http://erp.allowed.test:{port}/hooks/cogw"},
                       headers=hub.auth())
    receiver.secret = r.get_json()["secret"]
    _event_for_delivery(hub)
    assert hub.container.deliver_webhooks_once().delivered == 1
    (got,) = receiver.received
    assert got.signature_ok and got.headers["Host"] == f"erp.allowed.test:{port}"


def _tls_pair(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A throwaway CA and a server certificate for `name` only: (server context, client context)."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "egress test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                            serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return server, client


def test_https_to_the_checked_address_still_verifies_the_certificate_against_the_name(
        hub: Hub, tmp_path: Path) -> None:
    server_ctx, client_ctx = _tls_pair(tmp_path, "erp.tls.test")
    receiver = Receiver()
    receiver.server = make_server("127.0.0.1", 0, receiver, threaded=True, ssl_context=server_ctx)
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    try:
        names = _names(hub)
        names.table = {"erp.tls.test": ["127.0.0.1"], "other.tls.test": ["127.0.0.1"]}
        hub.container.webhook_sender = HttpWebhookSender(hub.container.egress_guard, 5, verify=client_ctx)  # type: ignore[misc]
        port = receiver.server.server_port
        r = hub.client.put("/api/v1/webhook", json={"url": f"https://erp.tls.test:{port}/hooks/cogw"},
                           headers=hub.auth())
        receiver.secret = r.get_json()["secret"]
        _event_for_delivery(hub)
        assert hub.container.deliver_webhooks_once().delivered == 1  # SNI and the check used the name
        # the same address under a name the certificate does not carry: TLS refuses it
        hub.client.put("/api/v1/webhook", json={"url": f"https://other.tls.test:{port}/hooks/cogw"},
                       headers=hub.auth())
        _event_for_delivery(hub, "general_co_approved.xml")
        report = hub.container.deliver_webhooks_once()
        assert report.delivered == 0 and report.retrying >= 1
        assert any("CERTIFICATE_VERIFY_FAILED" in (a["error"] or "") for d in _deliveries(hub) for a in d["log"])
        assert len(receiver.received) == 1
    finally:
        receiver.server.shutdown()
