"""Every timestamp the gateway stores comes from its injected clock, never from the machine's.

The gateway runs on a clock fixed in 2001; after a message's whole life (intake, a rejection, dispatch,
receipts, webhook delivery, inbox acknowledgement, keys, users, principals, folder logins, resend) every
date-time column of every table must lie in 2001. One `datetime.now()` left in the store or the services
would put a row in the real year."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from adapters.base import TransportError
from gateway.db.models import Base
from gateway.db.types import UTCDateTime
from gateway.demo import sample_bytes
from gateway.services import people
from gateway.services.enterprises import issue_api_key, revoke_api_key
from gateway.services.folder_logins import set_login
from gateway.services.inbox import ack_inbox
from gateway.services.resend import resend
from tests.integration.erp_world import OURS, THEIRS, Hub, Receiver, make_hub
from tests.integration.world import Clock

FIXED = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)


def _stored_times(hub: Hub) -> dict[str, list[datetime]]:
    """Every non-null value of every UTC date-time column, by table.column."""
    found: dict[str, list[datetime]] = {}
    with hub.container.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, UTCDateTime):
                    values = [v for v in conn.scalars(select(column)) if v is not None]
                    if values:
                        found[f"{table.name}.{column.name}"] = values
    return found


def test_every_stored_timestamp_comes_from_the_injected_clock(database_url: str, pki_dir: Path,
                                                              pki_passphrase: str, receiver: Receiver) -> None:
    clock = Clock()
    clock.t = FIXED
    hub = make_hub(database_url, pki_dir, pki_passphrase, clock=clock)
    try:
        c = hub.container
        registered = hub.client.put("/api/v1/webhook", json={"url": receiver.url}, headers=hub.auth())
        assert registered.status_code == 200, registered.get_json()
        receiver.secret = registered.get_json()["secret"]
        spare = issue_api_key(c.store, OURS.id, label="spare")
        assert revoke_api_key(c.store, c.clock, spare)
        people.add_user(c.store, enterprise_id=OURS.id, username="decl-1", password="a-long-password", role="declarant")
        assert people.add_principal(c.store, agent_id=OURS.id, principal_id=THEIRS.id)
        set_login(c.erp_store, OURS.id, password="folder-password-1", authorized_keys=[], at=c.clock.now())

        mid = hub.push(sample_bytes("form_e_approved.xml"))
        bad = hub.client.post("/api/v1/messages", data=sample_bytes("general_co_xsd_invalid.xml"),
                              headers={**hub.auth(), "Content-Type": "application/xml"})
        assert bad.status_code == 422
        c.dispatch_once()
        hub.approve(mid)
        c.ingest_once()
        assert c.deliver_webhooks_once().delivered > 0
        assert ack_inbox(c.store, c.clock, OURS.id, hub.inbox()["next_cursor"]) > 0
        failed = hub.push(sample_bytes("general_co_approved.xml"))
        hub.transport.fail_next("send", TransportError("permission denied", transient=False))
        c.dispatch_once()  # a permanent error: dead letter at once
        assert resend(c.store, c.clock, [failed], actor="test").requeued == [failed]

        stored = _stored_times(hub)
        assert {"messages.created_at", "message_events.at", "payloads.created_at", "enterprises.created_at",
                "api_keys.created_at", "api_keys.revoked_at", "users.created_at", "principals.created_at",
                "receipts.received_at"} <= set(stored)
        off_clock = {column: sorted({v.isoformat() for v in values if v.year != 2001})
                     for column, values in stored.items()}
        assert {k: v for k, v in off_clock.items() if v} == {}
    finally:
        hub.container.close()
