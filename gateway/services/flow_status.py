"""`cogw status`: the flow at a glance — messages by state, recent failures, what waits for receipts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.domain.delivery import DeliveryState

STATE_ORDER = [s.value for s in DeliveryState]


@dataclass(frozen=True)
class MessageLine:
    message_id: str
    enterprise_id: str
    message_type: str
    state: str
    document_no: str | None
    at: datetime
    detail: str


@dataclass(frozen=True)
class FlowSnapshot:
    counts: dict[str, int]
    failures: list[MessageLine]
    waiting: list[MessageLine]

    def ordered_counts(self) -> list[tuple[str, int]]:
        """Every known state in lifecycle order (zeros included, so the table has a fixed shape)."""
        known = [(s, self.counts.get(s, 0)) for s in STATE_ORDER]
        return known + sorted((s, n) for s, n in self.counts.items() if s not in STATE_ORDER)


class FlowQueries(Protocol):
    def flow_snapshot(self, enterprise_id: str | None, *, limit: int = 10) -> FlowSnapshot: ...


def flow_status(queries: FlowQueries, enterprise_id: str | None = None, *, limit: int = 10) -> FlowSnapshot:
    return queries.flow_snapshot(enterprise_id, limit=limit)
