"""The ERP's pull inbox: events after a cursor, and an acknowledgement that moves the cursor forward.

Without `after`, a read starts after the acknowledged cursor, so an ERP that reads, processes and
acknowledges never misses or re-reads an event; one that crashes before acknowledging reads it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.services.erp_ports import ErpStore
from gateway.services.ports import Clock

MAX_LIMIT = 500


@dataclass(frozen=True)
class InboxPage:
    events: list[dict[str, Any]]
    next_cursor: int
    acked_through: int
    has_more: bool


def read_inbox(store: ErpStore, enterprise_id: str, *, after: int | None, limit: int) -> InboxPage:
    with store.transaction() as tx:
        acked = tx.inbox_acked(enterprise_id)
        start = acked if after is None else after
        rows = tx.inbox_events(enterprise_id, start, limit + 1)
    events = rows[:limit]
    return InboxPage(events, events[-1]["cursor"] if events else start, acked, len(rows) > limit)


class AckError(ValueError):
    pass


def ack_inbox(store: ErpStore, clock: Clock, enterprise_id: str, cursor: int) -> int:
    with store.transaction() as tx:
        last = tx.inbox_last(enterprise_id)
        if cursor > last:
            raise AckError(f"cursor {cursor} is beyond the last event of this enterprise ({last})")
        return tx.ack_inbox(enterprise_id, cursor, clock.now())
