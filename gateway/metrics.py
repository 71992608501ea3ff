"""Prometheus metrics: counters and latency histograms in-process, gauges computed from the DB at scrape.

Counters live in the process that does the work (the worker delivers and polls). `cogw serve` is one
process, so /metrics shows everything. With separate `cogw web` and `cogw worker` processes on one host,
set PROMETHEUS_MULTIPROC_DIR (an empty directory shared by them, wiped at start) and /metrics aggregates
every process's counters (prometheus_client multiprocess mode). The gauges need nothing: they are read
from the database, so every web process answers the same. Observations are made inside the writing
transaction; a rolled-back transaction can leave a counter one ahead, never behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gateway.services.ports import Clock

COUNTERS = CollectorRegistry(auto_describe=True)
_LATENCY_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600)

TRANSITIONS = Counter("cogw_message_transitions", "Message state transitions", ["to_state"], registry=COUNTERS)
RETRIES = Counter("cogw_message_retries", "Failed delivery attempts that will be retried", registry=COUNTERS)
INTAKE_TO_SENT = Histogram("cogw_intake_to_sent_seconds", "Seconds from intake to SENT", registry=COUNTERS,
                           buckets=_LATENCY_BUCKETS)
SENT_TO_RECEIPT = Histogram("cogw_sent_to_first_receipt_seconds", "Seconds from SENT to the first authority "
                            "receipt", registry=COUNTERS, buckets=_LATENCY_BUCKETS)
DELIVERIES = Counter("cogw_webhook_deliveries", "Webhook and e-mail delivery attempts by outcome",
                     ["channel", "outcome"], registry=COUNTERS)
DELIVERY_LATENCY = Histogram("cogw_webhook_delivery_seconds", "Latency of webhook / e-mail delivery attempts",
                             ["channel"], registry=COUNTERS)


def observe_transition(row: Any, to_state: str, at: datetime) -> None:
    TRANSITIONS.labels(to_state).inc()
    if to_state == "RETRY_WAIT":
        RETRIES.inc()
    elif to_state == "SENT" and row.created_at is not None:
        INTAKE_TO_SENT.observe(max(0.0, (at - row.created_at).total_seconds()))


def observe_first_receipt(session: Session, row: Any, received_at: datetime) -> None:
    from gateway.db import models as m

    authority_receipts = session.scalar(select(func.count()).select_from(m.Receipt).where(
        m.Receipt.message_pk == row.id, m.Receipt.kind != "local")) or 0
    if authority_receipts != 1:
        return  # only the first one measures the authority's reaction time
    sent_at = session.scalar(select(func.min(m.MessageEvent.at)).where(m.MessageEvent.message_pk == row.id,
                                                                       m.MessageEvent.to_state == "SENT"))
    if sent_at is not None:
        SENT_TO_RECEIPT.observe(max(0.0, (received_at - sent_at).total_seconds()))


def observe_delivery(channel: str, outcome: str, latency_ms: int) -> None:
    DELIVERIES.labels(channel, outcome).inc()
    DELIVERY_LATENCY.labels(channel).observe(latency_ms / 1000)


class DatabaseGauges(Collector):
    """Read at scrape time, so every process reports the same truth."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine, self.clock = engine, clock  # ages are measured on the clock that stamped them

    def collect(self) -> Iterator[Metric]:
        from gateway.db import erp_models as e
        from gateway.db import models as m

        now = self.clock.now()
        with Session(self.engine) as s:
            by_state = GaugeMetricFamily("cogw_messages", "Messages by direction and state",
                                         labels=["direction", "state"])
            for direction, state, n in s.execute(select(m.Message.direction, m.Message.state, func.count())
                                                 .group_by(m.Message.direction, m.Message.state)):
                by_state.add_metric([direction, state], n)
            yield by_state
            depth = s.scalar(select(func.count()).select_from(m.Message)
                             .where(m.Message.state.in_(("QUEUED", "RETRY_WAIT", "SENDING")))) or 0
            yield GaugeMetricFamily("cogw_queue_depth", "Messages waiting to be (re)sent or being sent", value=depth)
            due = s.scalar(select(func.count()).select_from(m.Message).where(
                m.Message.state.in_(("QUEUED", "RETRY_WAIT")), m.Message.next_attempt_at <= now)) or 0
            yield GaugeMetricFamily("cogw_queue_due", "Messages due for delivery now", value=due)
            oldest = s.scalar(select(func.min(m.Message.updated_at)).where(m.Message.state == "SENT"))
            lag = 0.0 if oldest is None else max(0.0, (now - _utc(oldest)).total_seconds())
            yield GaugeMetricFamily("cogw_receipt_lag_seconds", "Age of the oldest SENT message still waiting for "
                                    "an authority receipt", value=lag)
            deliveries = GaugeMetricFamily("cogw_deliveries", "Webhook / e-mail deliveries by state",
                                           labels=["channel", "state"])
            for channel, state, n in s.execute(select(e.Delivery.channel, e.Delivery.state, func.count())
                                               .group_by(e.Delivery.channel, e.Delivery.state)):
                deliveries.add_metric([channel, state], n)
            yield deliveries


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class _Counters(Collector):
    def collect(self) -> Iterable[Metric]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return registry.collect()
        return COUNTERS.collect()


def exposition(engine: Engine, clock: Clock) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Counters())
    registry.register(DatabaseGauges(engine, clock))
    return generate_latest(registry)
