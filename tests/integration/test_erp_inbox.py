"""The ERP outbox and pull inbox on a real database: one event per fact, written with the fact, read
after a cursor, acknowledged, and never shown to another enterprise."""

from __future__ import annotations

import pytest

from gateway.db import erp_models as e
from gateway.demo import sample_bytes
from messages import receipt
from tests.integration.erp_world import OURS, Hub


def _types(events: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [f"{ev['type']}:{ev['data'].get('state') or ev['data'].get('receipt', {}).get('status_code')}"
            for ev in events]


def test_receipts_and_state_changes_become_events_once_even_when_a_receipt_comes_twice(hub: Hub) -> None:
    mid = hub.push(sample_bytes("form_e_approved.xml"))
    hub.container.dispatch_once()
    hub.approve(mid)
    assert hub.container.ingest_once().applied == 2
    hub.approve(mid)  # the authority sends both receipts again
    report = hub.container.ingest_once()
    assert report.duplicates == 2 and report.applied == 0
    events = hub.inbox()["events"]
    assert _types(events) == ["message.state_changed:SENT", "receipt.applied:IMPORTED",
                              "message.state_changed:ACKNOWLEDGED", "receipt.applied:APPROVED",
                              "message.state_changed:DONE"]
    approved = events[3]
    assert approved["message_id"] == mid and approved["enterprise_id"] == OURS.id
    assert approved["data"]["receipt"]["status"] == "审核通过"
    assert approved["data"]["cert_no"] == "E263501000010001" and approved["data"]["submitted_by"] == "api"
    assert [ev["cursor"] for ev in events] == sorted(ev["cursor"] for ev in events)
    assert len({ev["id"] for ev in events}) == 5


def test_an_event_is_written_only_if_its_receipt_is(hub: Hub) -> None:
    """Same transaction: when applying the receipt fails, neither the receipt nor its event exists."""
    mid = hub.push(sample_bytes("form_e_approved.xml"))
    hub.container.dispatch_once()
    before = hub.inbox()["events"]
    store = hub.container.store
    with pytest.raises(RuntimeError), store.transaction() as tx:
        msg = tx.message_by_message_id(mid)
        assert msg is not None
        from gateway.services.ports import ReceiptRecord

        assert tx.add_receipt(msg.pk, ReceiptRecord("GACC", "R-1", "business", 1, "STORED", "入库", ""),
                              received_at=hub.clock.now())
        raise RuntimeError("crash before commit")
    assert hub.inbox()["events"] == before
    with store.transaction() as tx:
        assert tx.s.query(e.ErpEvent).filter(e.ErpEvent.event_type == "receipt.applied").count() == 0


def test_inbox_pages_by_cursor_and_ack_moves_the_default_start(hub: Hub) -> None:
    mid = hub.push(sample_bytes("form_e_approved.xml"))
    hub.container.dispatch_once()
    hub.approve(mid)
    hub.container.ingest_once()
    first = hub.inbox(limit=2)
    assert len(first["events"]) == 2 and first["has_more"] is True and first["acked_through"] == 0
    second = hub.inbox(after=first["next_cursor"], limit=2)
    assert second["events"][0]["cursor"] > first["next_cursor"]
    # not acknowledged yet: a fresh read starts at the beginning again (an ERP that crashed re-reads)
    assert hub.inbox(limit=2)["events"] == first["events"]
    r = hub.client.post("/api/v1/inbox/ack", json={"cursor": first["next_cursor"]}, headers=hub.auth())
    assert r.status_code == 200 and r.get_json() == {"acked_through": first["next_cursor"]}
    assert hub.inbox(limit=2)["events"] == second["events"]
    # acknowledging an older cursor never moves it back
    back = hub.client.post("/api/v1/inbox/ack", json={"cursor": 0}, headers=hub.auth())
    assert back.get_json() == {"acked_through": first["next_cursor"]}
    rest = hub.inbox(limit=500)
    assert rest["has_more"] is False and rest["next_cursor"] == rest["events"][-1]["cursor"]


def test_inbox_requests_are_checked_and_scoped_to_the_enterprise(hub: Hub) -> None:
    mid = hub.push(sample_bytes("form_e_approved.xml"))
    hub.container.dispatch_once()
    assert hub.inbox()["events"][0]["message_id"] == mid
    assert hub.inbox(hub.theirs)["events"] == []  # another enterprise sees nothing of ours
    last = hub.inbox()["next_cursor"]
    beyond = hub.client.post("/api/v1/inbox/ack", json={"cursor": last}, headers=hub.auth(hub.theirs))
    assert beyond.status_code == 409 and "beyond the last event" in beyond.get_json()["title"]
    for bad in ({"limit": "0"}, {"limit": "501"}, {"after": "-1"}, {"after": "x"}):
        r = hub.client.get("/api/v1/inbox", query_string=bad, headers=hub.auth())
        assert r.status_code == 400, bad
    for body in ({"cursor": "1"}, {"cursor": True}, {}, [1]):
        r = hub.client.post("/api/v1/inbox/ack", json=body, headers=hub.auth())
        assert r.status_code == 400 and "cursor" in r.get_json()["title"]
    assert hub.client.get("/api/v1/inbox").status_code == 401


def test_failed_delivery_is_told_with_its_reason(hub: Hub) -> None:
    from adapters.base import TransportError

    mid = hub.push(sample_bytes("form_e_approved.xml"))
    hub.transport.fail_next("send", TransportError("mailbox full", transient=False))
    hub.container.dispatch_once()
    (event,) = hub.inbox()["events"]
    assert event["type"] == "message.state_changed" and event["message_id"] == mid
    assert event["data"]["state"] == "FAILED" and "mailbox full" in event["data"]["reason"]


def test_import_failure_receipt_is_told(hub: Hub) -> None:
    mid = hub.push(sample_bytes("form_e_approved.xml"))
    hub.container.dispatch_once()
    hub.authority_sends(receipt.ImportResponse(f"GACC-{mid}-0", mid, "1", "报文格式错误", hub.clock.now()), "x.xml")
    hub.container.ingest_once()
    types = _types(hub.inbox()["events"])
    assert types[-2:] == ["receipt.applied:IMPORT_FAILED", "message.state_changed:FAILED"]
