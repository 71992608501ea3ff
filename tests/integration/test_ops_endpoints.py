"""Operator endpoints on a real database: /healthz, /readyz with each check able to fail, and /metrics
with gauges read from the database and counters moved by real traffic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from prometheus_client.parser import text_string_to_metric_families

from adapters.base import TransportError
from gateway.bootstrap import Container
from gateway.config import AuthorityEndpoint, Settings
from gateway.db.migrate import alembic_config
from gateway.demo import sample_bytes
from gateway.services.enterprises import register_enterprise
from gateway.web.app import create_app
from tests.integration.erp_world import OURS, Hub, Receiver


def _container(database_url: str, pki_dir: Path, pki_passphrase: str, **over: object) -> Container:
    authorities = over.pop("authorities", {"GACC": AuthorityEndpoint("GACC", transport="http", url="http://127.0.0.1:9",
                                                                     token="t")})
    return Container(Settings(database_url=database_url, pki_dir=str(pki_dir), pki_passphrase=pki_passphrase,
                              authorities=authorities, **over))  # type: ignore[arg-type]


@pytest.fixture
def ready_container(database_url: str, pki_dir: Path, pki_passphrase: str) -> Iterator[Container]:
    c = _container(database_url, pki_dir, pki_passphrase, webhook_secret_key="x" * 32)
    c.migrate()
    register_enterprise(c.store, OURS)
    yield c
    c.close()


def test_healthz_and_a_fully_configured_gateway_is_ready(ready_container: Container) -> None:
    client = create_app(ready_container).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    r = client.get("/readyz")
    body = r.get_json()
    assert r.status_code == 200 and body["status"] == "ready", body
    assert set(body["checks"]) == {"database", "migrations", "keys", "transports"}
    assert "GACC: HttpTransport" in body["checks"]["transports"]["detail"]
    assert "1 enterprise key(s)" in body["checks"]["keys"]["detail"]


def test_readyz_fails_when_migrations_are_behind(ready_container: Container) -> None:
    command.downgrade(alembic_config(ready_container.settings.database_url), "0002")
    r = create_app(ready_container).test_client().get("/readyz")
    assert r.status_code == 503
    migrations = r.get_json()["checks"]["migrations"]
    assert migrations["ok"] is False and "cogw db upgrade" in migrations["detail"]


def test_readyz_fails_without_transports_or_keys(database_url: str, pki_dir: Path, pki_passphrase: str) -> None:
    c = _container(database_url, pki_dir, pki_passphrase, authorities={})
    c.migrate()
    checks = create_app(c).test_client().get("/readyz").get_json()["checks"]
    assert checks["transports"]["ok"] is False and "no authority configured" in checks["transports"]["detail"]
    c.close()
    unknown = {"MARS": AuthorityEndpoint("MARS", transport="http", url="http://127.0.0.1:9", token="t")}
    c = _container(database_url, pki_dir, pki_passphrase, authorities=unknown)
    r = create_app(c).test_client().get("/readyz")
    assert r.status_code == 503 and "MARS" in r.get_json()["checks"]["keys"]["detail"]
    c.close()


def test_readyz_fails_when_the_database_is_unreachable(tmp_path: Path, pki_dir: Path, pki_passphrase: str) -> None:
    c = _container("postgresql://nobody@127.0.0.1:1/none", pki_dir, pki_passphrase)
    r = create_app(c).test_client().get("/readyz")
    assert r.status_code == 503
    assert list(r.get_json()["checks"]) == ["database"] and r.get_json()["checks"]["database"]["ok"] is False
    c.close()


def _scrape(hub: Hub) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = hub.client.get("/metrics")
    assert r.status_code == 200 and r.content_type.startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(r.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_follow_traffic(hub: Hub, receiver: Receiver) -> None:
    r = hub.client.put("/api/v1/webhook", json={"url": receiver.url}, headers=hub.auth())
    receiver.secret = r.get_json()["secret"]
    before = _scrape(hub)
    mid = hub.push(sample_bytes("form_e_approved.xml"))
    queued = _scrape(hub)
    assert queued[("cogw_queue_depth", ())] == 1 and queued[("cogw_queue_due", ())] == 1
    hub.container.dispatch_once()
    hub.clock.t += timedelta(minutes=2)  # sent two minutes ago (on the gateway's clock) and nothing came back
    sent = _scrape(hub)
    assert sent[("cogw_receipt_lag_seconds", ())] >= 120
    assert sent[("cogw_messages", (("direction", "outbound"), ("state", "SENT")))] == 1
    hub.approve(mid)
    hub.container.ingest_once()
    hub.container.deliver_webhooks_once()
    after = _scrape(hub)

    def delta(name: str, *labels: tuple[str, str]) -> float:
        key = (name, tuple(sorted(labels)))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert after[("cogw_messages", (("direction", "outbound"), ("state", "DONE")))] == 1
    assert after[("cogw_queue_depth", ())] == 0 and after[("cogw_receipt_lag_seconds", ())] == 0
    assert delta("cogw_intake_to_sent_seconds_count") == 1
    assert delta("cogw_sent_to_first_receipt_seconds_count") == 1  # the second receipt is not "first"
    assert delta("cogw_message_transitions_total", ("to_state", "DONE")) == 1
    assert delta("cogw_webhook_deliveries_total", ("channel", "webhook"), ("outcome", "DELIVERED")) == 5
    assert after[("cogw_deliveries", (("channel", "webhook"), ("state", "DELIVERED")))] == 5
    # the latency histogram observed each real POST, with the latency the delivery log recorded for it
    log = [a for d in hub.client.get("/api/v1/webhook/deliveries", headers=hub.auth()).get_json()["deliveries"]
           for a in d["log"]]
    assert len(log) == 5
    assert delta("cogw_webhook_delivery_seconds_count", ("channel", "webhook")) == 5
    assert delta("cogw_webhook_delivery_seconds_sum", ("channel", "webhook")) == pytest.approx(
        sum(a["latency_ms"] for a in log) / 1000)


def test_the_retries_counter_counts_each_transient_failure_the_worker_will_retry(hub: Hub) -> None:
    before = _scrape(hub)
    mid = hub.push(sample_bytes("form_e_approved.xml"))
    for _ in range(2):
        hub.transport.fail_next("send", TransportError("connection reset by peer", transient=True))
        assert hub.container.dispatch_once().retrying == 1
        hub.clock.t += timedelta(minutes=10)  # past the longest backoff (retry cap 300 s by default)
    assert hub.container.dispatch_once().sent == 1
    # a permanent error dead-letters at once: not a retry
    hub.push(sample_bytes("general_co_approved.xml"))
    hub.transport.fail_next("send", TransportError("401 unauthorized", transient=False))
    assert hub.container.dispatch_once().failed == 1
    after = _scrape(hub)
    key = ("cogw_message_retries_total", ())
    assert after[key] - before.get(key, 0.0) == 2
    view = hub.client.get(f"/api/v1/messages/{mid}", headers=hub.auth()).get_json()
    assert (view["state"], view["attempts"]) == ("SENT", 3)


def test_counters_of_a_worker_process_show_in_another_process_in_multiprocess_mode(tmp_path: Path) -> None:
    """`cogw web` and `cogw worker` as separate processes: PROMETHEUS_MULTIPROC_DIR joins their counters."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    (tmp_path / "prom").mkdir()
    worker = "from gateway import metrics; metrics.RETRIES.inc(3); metrics.observe_delivery('email', 'FAILED', 20)"
    subprocess.run([sys.executable, "-c", worker], env=env, check=True, timeout=60)
    db = f"sqlite:///{tmp_path / 'g.db'}"
    web = ("import sys; from gateway import metrics; from gateway.db.engine import make_engine; "
           "from gateway.db.migrate import upgrade; from gateway.services.ports import SystemClock; "
           "upgrade(sys.argv[1]); "
           "sys.stdout.write(metrics.exposition(make_engine(sys.argv[1]), SystemClock()).decode())")
    out = subprocess.run([sys.executable, "-c", web, db], env=env, check=True, timeout=60, capture_output=True,
                         text=True).stdout
    values = {(s.name, tuple(sorted(s.labels.items()))): s.value
              for f in text_string_to_metric_families(out) for s in f.samples}
    assert values[("cogw_message_retries_total", ())] == 3
    assert values[("cogw_webhook_deliveries_total", (("channel", "email"), ("outcome", "FAILED")))] == 1
    assert values[("cogw_queue_depth", ())] == 0  # the gauges still come from the database
