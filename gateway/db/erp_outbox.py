"""The SQL side of the ERP hand-back: events written in the caller's transaction, fan-out to the
enterprise's webhook and matching subscriptions, the pull-inbox cursor, and the delivery log.

Mixed into SqlTransaction so events share the session (and the commit) of the fact they describe.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from gateway import metrics
from gateway.db import erp_models as e
from gateway.db import models as m
from gateway.domain import erp_events as rules
from gateway.services.erp_ports import DeliveryJob, NewSubscription


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ErpOutbox:
    s: Session
    _postgres: bool

    # --- hooks called by SqlTransaction at the moment a fact is written ------------------------
    def _erp_on_move(self, row: m.Message, from_state: str | None, to_state: str, at: datetime, reason: str) -> None:
        metrics.observe_transition(row, to_state, at)
        if to_state not in rules.TOLD_STATES or row.direction != "outbound":
            return
        self._erp_event(row, rules.STATE_CHANGED, at, {
            "message_id": row.message_id, "family": row.family, "message_type": row.message_type,
            "from_state": from_state, "state": to_state, "reason": reason})

    def _erp_on_inbound(self, row: m.Message, at: datetime) -> None:
        self._erp_event(row, rules.AUTHORITY_MESSAGE, at, {
            "message_id": row.message_id, "family": row.family, "message_type": row.message_type,
            "authority": row.authority, "document_no": row.document_no,
            "links": {"message": f"/api/v1/messages/{row.message_id}"}})

    def _erp_on_receipt(self, message_pk: int, values: dict[str, Any]) -> None:
        if values["kind"] == "local":
            return  # our own "sent" note: the ERP hears of it as the SENT state change
        row = self.s.get(m.Message, message_pk)
        if row is None:
            return
        metrics.observe_first_receipt(self.s, row, values["received_at"])
        self._erp_event(row, rules.RECEIPT_APPLIED, values["received_at"], {
            "message_id": row.message_id, "family": row.family, "message_type": row.message_type,
            "receipt": {"receipt_id": values["receipt_id"], "authority": values["authority"],
                        "kind": values["kind"], "seq_no": values["seq_no"], "status_code": values["status_code"],
                        "status": values["status"], "text": values["text"],
                        "reasons": json.loads(values["reasons_json"]), "issued_at": _iso(values["issued_at"])},
            "links": {"message": f"/api/v1/messages/{row.message_id}",
                      "receipts": f"/api/v1/messages/{row.message_id}/receipts"}})

    def _erp_event(self, row: m.Message, event_type: str, at: datetime, data: dict[str, Any]) -> None:
        cert_no = self.s.scalar(select(m.Certificate.cert_no).where(m.Certificate.message_pk == row.id))
        submitted_by = self.s.scalar(select(m.MessageEvent.actor).where(m.MessageEvent.message_pk == row.id)
                                     .order_by(m.MessageEvent.id).limit(1))
        data = {**data, "document_no": row.document_no, "cert_no": cert_no, "submitted_by": submitted_by}
        event = e.ErpEvent(event_uid=uuid.uuid4().hex, enterprise_id=row.enterprise_id, event_type=event_type,
                           message_id=row.message_id, document_no=row.document_no, payload_json="{}", created_at=at)
        self.s.add(event)
        self.s.flush()
        event.payload_json = json.dumps(_envelope(event, data), ensure_ascii=False, sort_keys=True)
        self._fan_out(event, rules.EventFacts(event_type, row.document_no, cert_no, submitted_by))

    def _fan_out(self, event: e.ErpEvent, facts: rules.EventFacts) -> None:
        destinations: list[tuple[str, int | None, str]] = []
        endpoint = self.s.get(e.WebhookEndpoint, event.enterprise_id)
        if endpoint is not None and endpoint.enabled:
            destinations.append(("endpoint", None, "webhook"))
        for sub in self.s.scalars(select(e.Subscription).where(e.Subscription.enterprise_id == event.enterprise_id,
                                                                 e.Subscription.active == 1)):
            if rules.matches(rules.SubscriptionRule(sub.scope, sub.document_no, sub.user), facts):
                destinations.append((f"subscription:{sub.id}", sub.id, sub.channel))
        for destination, sub_id, channel in destinations:
            self.s.add(e.Delivery(event_id=event.id, enterprise_id=event.enterprise_id, destination=destination,
                                  subscription_id=sub_id, channel=channel, state="PENDING", attempts=0,
                                  next_attempt_at=None, created_at=event.created_at))

    # --- pull inbox -------------------------------------------------------------------------------
    def inbox_events(self, enterprise_id: str, after: int, limit: int) -> list[dict[str, Any]]:
        rows = self.s.scalars(select(e.ErpEvent).where(e.ErpEvent.enterprise_id == enterprise_id,
                                                       e.ErpEvent.id > after).order_by(e.ErpEvent.id).limit(limit))
        return [json.loads(r.payload_json) for r in rows]

    def inbox_acked(self, enterprise_id: str) -> int:
        row = self.s.get(e.ErpInboxCursor, enterprise_id)
        return row.acked_through if row else 0

    def inbox_last(self, enterprise_id: str) -> int:
        return int(self.s.scalar(select(func.coalesce(func.max(e.ErpEvent.id), 0))
                                 .where(e.ErpEvent.enterprise_id == enterprise_id)) or 0)

    def ack_inbox(self, enterprise_id: str, cursor: int, at: datetime) -> int:
        """Move the acknowledged cursor forward (never back); returns where it stands now."""
        row = self.s.get(e.ErpInboxCursor, enterprise_id, with_for_update=self._postgres)
        if row is None:
            row = e.ErpInboxCursor(enterprise_id=enterprise_id, acked_through=0, updated_at=at)
            self.s.add(row)
        if cursor > row.acked_through:
            row.acked_through, row.updated_at = cursor, at
        self.s.flush()
        return row.acked_through

    # --- webhook endpoint ------------------------------------------------------------------------
    def set_webhook_endpoint(self, enterprise_id: str, url: str, secret_sealed: bytes | None, at: datetime) -> None:
        row = self.s.get(e.WebhookEndpoint, enterprise_id)
        if row is None:
            assert secret_sealed is not None
            self.s.add(e.WebhookEndpoint(enterprise_id=enterprise_id, url=url, secret_encrypted=secret_sealed,
                                         enabled=1, created_at=at, updated_at=at))
        else:
            row.url, row.updated_at, row.enabled = url, at, 1
            if secret_sealed is not None:
                row.secret_encrypted = secret_sealed
        self.s.flush()

    def webhook_endpoint(self, enterprise_id: str) -> dict[str, Any] | None:
        row = self.s.get(e.WebhookEndpoint, enterprise_id)
        if row is None:
            return None
        return {"url": row.url, "enabled": bool(row.enabled), "created_at": _iso(row.created_at),
                "updated_at": _iso(row.updated_at)}

    def delete_webhook_endpoint(self, enterprise_id: str) -> bool:
        row = self.s.get(e.WebhookEndpoint, enterprise_id)
        if row is None:
            return False
        # Deliveries already owed to it stay in the log; with no endpoint they fail on their next attempt.
        self.s.delete(row)
        return True

    # --- subscriptions ---------------------------------------------------------------------------
    def add_subscription(self, new: NewSubscription, at: datetime) -> dict[str, Any]:
        row = e.Subscription(enterprise_id=new.enterprise_id, scope=new.scope, document_no=new.document_no,
                             user=new.user, channel=new.channel, target=new.target,
                             secret_encrypted=new.secret_sealed, active=1, created_at=at)
        self.s.add(row)
        self.s.flush()
        return _subscription_view(row)

    def subscriptions(self, enterprise_id: str, *, include_cancelled: bool) -> list[dict[str, Any]]:
        stmt = select(e.Subscription).where(e.Subscription.enterprise_id == enterprise_id)
        if not include_cancelled:
            stmt = stmt.where(e.Subscription.active == 1)
        return [_subscription_view(r) for r in self.s.scalars(stmt.order_by(e.Subscription.id))]

    def subscription(self, enterprise_id: str, subscription_id: int) -> dict[str, Any] | None:
        row = self._own_subscription(enterprise_id, subscription_id)
        return None if row is None else _subscription_view(row)

    def cancel_subscription(self, enterprise_id: str, subscription_id: int, at: datetime) -> bool:
        row = self._own_subscription(enterprise_id, subscription_id)
        if row is None:
            return False
        if row.active:
            row.active, row.cancelled_at = 0, at
        return True

    def _own_subscription(self, enterprise_id: str, subscription_id: int) -> e.Subscription | None:
        return self.s.scalar(select(e.Subscription).where(e.Subscription.id == subscription_id,
                                                          e.Subscription.enterprise_id == enterprise_id))

    # --- deliveries ------------------------------------------------------------------------------
    def claim_deliveries(self, *, now: datetime, lease_until: datetime, limit: int) -> list[DeliveryJob]:
        due = or_(e.Delivery.state == "PENDING",  # new (or redelivered): due at once, whatever the clocks say
                  and_(e.Delivery.state == "RETRY_WAIT", e.Delivery.next_attempt_at <= now),
                  and_(e.Delivery.state == "DELIVERING", e.Delivery.lease_until < now))  # crashed deliverer
        stmt = select(e.Delivery).where(due).order_by(e.Delivery.id).limit(limit)
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        jobs = []
        for d in self.s.scalars(stmt).all():
            d.state, d.lease_until, d.attempts = "DELIVERING", lease_until, d.attempts + 1
            event = self.s.get(e.ErpEvent, d.event_id)
            assert event is not None
            target, sealed = self._target(d)
            jobs.append(DeliveryJob(delivery_id=d.id, event_uid=event.event_uid, event_type=event.event_type,
                                    enterprise_id=d.enterprise_id, message_id=event.message_id,
                                    document_no=event.document_no, channel=d.channel, target=target,
                                    secret_sealed=sealed, attempts=d.attempts, body=event.payload_json.encode()))
        return jobs

    def _target(self, d: e.Delivery) -> tuple[str | None, bytes | None]:
        if d.subscription_id is None:
            endpoint = self.s.get(e.WebhookEndpoint, d.enterprise_id)
            return (endpoint.url, endpoint.secret_encrypted) if endpoint and endpoint.enabled else (None, None)
        sub = self.s.get(e.Subscription, d.subscription_id)
        if sub is None or not sub.active:
            return None, None
        if sub.channel == "webhook" and sub.secret_encrypted is None:  # signed with the enterprise's secret
            endpoint = self.s.get(e.WebhookEndpoint, d.enterprise_id)
            return sub.target, endpoint.secret_encrypted if endpoint else None
        return sub.target, sub.secret_encrypted

    def record_attempt(self, delivery_id: int, *, at: datetime, status_code: int | None, latency_ms: int,
                       error: str | None, outcome: str, next_attempt_at: datetime | None) -> None:
        # Numbered by the log, not by `attempts`: a manual redelivery restarts the budget, not the log.
        logged = self.s.scalar(select(func.count()).select_from(e.DeliveryAttempt)
                               .where(e.DeliveryAttempt.delivery_id == delivery_id)) or 0
        self.s.add(e.DeliveryAttempt(delivery_id=delivery_id, attempt=logged + 1, at=at, status_code=status_code,
                                     latency_ms=latency_ms, error=error))
        values: dict[str, Any] = {"state": outcome, "lease_until": None, "next_attempt_at": next_attempt_at,
                                  "last_error": error}
        if outcome == "DELIVERED":
            values["delivered_at"] = at
        self.s.execute(update(e.Delivery).where(e.Delivery.id == delivery_id).values(**values))
        channel = self.s.scalar(select(e.Delivery.channel).where(e.Delivery.id == delivery_id)) or "webhook"
        metrics.observe_delivery(channel, outcome, latency_ms)

    def deliveries_view(self, enterprise_id: str, *, event_uid: str | None, state: str | None,
                        after: int, limit: int) -> list[dict[str, Any]]:
        stmt = (select(e.Delivery, e.ErpEvent).join(e.ErpEvent, e.ErpEvent.id == e.Delivery.event_id)
                .where(e.Delivery.enterprise_id == enterprise_id, e.Delivery.id > after))
        if event_uid is not None:
            stmt = stmt.where(e.ErpEvent.event_uid == event_uid)
        if state is not None:
            stmt = stmt.where(e.Delivery.state == state)
        rows = list(self.s.execute(stmt.order_by(e.Delivery.id).limit(limit)))
        logs: dict[int, list[e.DeliveryAttempt]] = {}
        if rows:  # one query for every log on the page
            for a in self.s.scalars(select(e.DeliveryAttempt)
                                    .where(e.DeliveryAttempt.delivery_id.in_([d.id for d, _ in rows]))
                                    .order_by(e.DeliveryAttempt.attempt, e.DeliveryAttempt.id)):
                logs.setdefault(a.delivery_id, []).append(a)
        out = []
        for d, ev in rows:
            attempts = logs.get(d.id, [])
            out.append({
                "id": d.id, "event_id": ev.event_uid, "event_type": ev.event_type, "cursor": ev.id,
                "message_id": ev.message_id, "destination": d.destination, "channel": d.channel,
                "state": d.state, "attempts": d.attempts, "next_attempt_at": _iso(d.next_attempt_at),
                "last_error": d.last_error, "created_at": _iso(d.created_at), "delivered_at": _iso(d.delivered_at),
                "log": [{"attempt": a.attempt, "at": _iso(a.at), "status_code": a.status_code,
                         "latency_ms": a.latency_ms, "error": a.error} for a in attempts]})
        return out

    def redeliver(self, enterprise_id: str, delivery_id: int, at: datetime) -> bool:
        """Put a dead-lettered (or delivered) delivery back in the queue, keeping its log."""
        result = self.s.execute(update(e.Delivery).where(
            e.Delivery.id == delivery_id, e.Delivery.enterprise_id == enterprise_id,
            e.Delivery.state.in_(("FAILED", "DELIVERED"))).values(state="PENDING", next_attempt_at=None,
                                                                  attempts=0, last_error=None))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _envelope(event: e.ErpEvent, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": event.event_uid, "cursor": event.id, "type": event.event_type,
            "enterprise_id": event.enterprise_id, "message_id": event.message_id,
            "created_at": _iso(event.created_at), "data": data}


def _subscription_view(row: e.Subscription) -> dict[str, Any]:
    return {"id": row.id, "scope": row.scope, "document_no": row.document_no, "user": row.user,
            "channel": row.channel, "target": row.target, "own_secret": row.secret_encrypted is not None,
            "active": bool(row.active), "created_at": _iso(row.created_at), "cancelled_at": _iso(row.cancelled_at)}
