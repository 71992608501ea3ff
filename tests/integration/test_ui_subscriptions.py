"""回执订阅 page (seed 001 ch. 16): list, create and cancel subscriptions through the UI, with the errors of
the subscription service shown next to their field; tenant-scoped like the rest of the UI."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from gateway.domain.erp_events import CHANNELS, SCOPES
from gateway.services.ports import ReceiptRecord
from gateway.services.subscriptions import subscribe
from gateway.web.ui_subscriptions import CHANNEL_CN, SCOPE_CN
from tests.integration.test_ui import COMPLETE, _form_e_fields
from tests.integration.ui_world import AGENT, OTHER, PRINCIPAL, UiWorld, csrf_of


def _ids(page: str, active: str = "yes") -> set[int]:
    return {int(i) for i in re.findall(rf'data-subscription-id="(\d+)" data-active="{active}"', page)}


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*>(.*?)</label>', page, re.S)
    assert found, f"no field {name}"
    return found.group(1)


def test_the_page_offers_every_scope_and_channel_of_the_rule(ui_world: UiWorld) -> None:
    assert set(SCOPE_CN) == set(SCOPES) and set(CHANNEL_CN) == set(CHANNELS)
    page = ui_world.client("agent-declarant").get("/ui/subscriptions").get_data(as_text=True)
    for value in (*SCOPES, *CHANNELS):
        assert f'value="{value}"' in page
    # by-user subscriptions match who declared: the ERP API or a UI user as ui:<username>
    assert '<option value="api">' in page and '<option value="ui:agent-declarant">' in page
    assert "ui:other-declarant" not in page


def test_create_list_and_cancel_a_subscription(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    token = csrf_of(client, "/ui/subscriptions")
    r = client.post("/ui/subscriptions", data={"csrf_token": token, "enterprise_id": AGENT.id, "scope": "document",
                                               "document_no": "E263501000010001", "channel": "email",
                                               "target": "clerk@agent.test"})
    assert r.status_code == 303
    page = client.get("/ui/subscriptions").get_data(as_text=True)
    (sub_id,) = _ids(page)
    assert "clerk@agent.test" in page and "E263501000010001" in page and "订阅成功" in page
    with ui_world.container.store.transaction() as tx:
        stored = tx.subscription(AGENT.id, sub_id)
    assert stored is not None and stored["scope"] == "document" and stored["active"]

    r = client.post(f"/ui/subscriptions/{sub_id}/cancel", data={"csrf_token": token}, follow_redirects=True)
    assert r.status_code == 200 and "取消订阅" in r.get_data(as_text=True)
    assert _ids(client.get("/ui/subscriptions").get_data(as_text=True)) == set()
    everything = client.get("/ui/subscriptions?cancelled=1").get_data(as_text=True)
    assert _ids(everything, "no") == {sub_id}  # the record stays, inactive
    with ui_world.container.store.transaction() as tx:
        assert tx.subscription(AGENT.id, sub_id)["active"] is False  # type: ignore[index]


def test_errors_are_shown_next_to_their_field_and_nothing_is_subscribed(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-engineer")
    token = csrf_of(client, "/ui/subscriptions")
    r = client.post("/ui/subscriptions", data={"csrf_token": token, "scope": "document", "channel": "email",
                                               "target": "not-an-address", "user": "ui:agent-engineer"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "SUB.document_no" in _field_error(page, "document_no") and "业务单据号" in _field_error(page, "document_no")
    assert "SUB.target" in _field_error(page, "target") and "接收地址" in _field_error(page, "target")
    assert "only allowed with scope user" in _field_error(page, "user")
    assert 'value="not-an-address"' in page  # the input is kept for correction
    r = client.post("/ui/subscriptions", data={"csrf_token": token, "scope": "enterprise", "channel": "webhook",
                                               "target": "https://erp.agent.test/cogw", "secret": "short"})
    assert r.status_code == 422 and "密钥" in _field_error(r.get_data(as_text=True), "secret")
    with ui_world.container.store.transaction() as tx:
        assert tx.subscriptions(AGENT.id, include_cancelled=True) == []


def test_a_by_user_subscription_gets_the_receipts_of_that_users_declarations(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    token = csrf_of(client, "/ui/subscriptions")
    r = client.post("/ui/subscriptions", data={"csrf_token": token, "scope": "user", "user": "ui:agent-declarant",
                                               "channel": "email", "target": "me@agent.test"})
    assert r.status_code == 303
    form = {**_form_e_fields(client.get("/ui/certificates/new/E").get_data(as_text=True)), **COMPLETE,
            "csrf_token": token, "enterprise_id": AGENT.id, "action": "declare"}
    declared = client.post("/ui/certificates/new/E", data=form)
    assert declared.status_code == 302
    mine = declared.headers["Location"].rsplit("/", 1)[-1]
    with ui_world.container.store.transaction() as tx:
        for n, mid in enumerate((mine, ui_world.agent_msg)):  # a receipt for the UI's and for the API's message
            msg = tx.message_by_message_id(mid)
            assert msg is not None
            tx.add_receipt(msg.pk, ReceiptRecord(authority="GACC", receipt_id=f"R-{n}", kind="business", seq_no=1,
                                                 status_code="STORED", status="海关入库成功", text="ok"),
                           received_at=datetime.now(UTC))
    with ui_world.container.store.transaction() as tx:
        mails = [d for d in tx.deliveries_view(AGENT.id, event_uid=None, state=None, after=0, limit=50)
                 if d["channel"] == "email"]
    assert [d["message_id"] for d in mails] == [mine]


def test_subscriptions_are_tenant_scoped(ui_world: UiWorld) -> None:
    c = ui_world.container
    ids = {}
    for ent, target in ((AGENT, "agent@x.test"), (PRINCIPAL, "principal@x.test"), (OTHER, "other@x.test")):
        made = subscribe(c.store, None, c.clock, ent.id, {"scope": "enterprise", "channel": "email", "target": target})
        assert made.subscription is not None
        ids[ent.id] = made.subscription["id"]
    agent = ui_world.client("agent-engineer")
    page = agent.get("/ui/subscriptions").get_data(as_text=True)
    assert _ids(page) == {ids[AGENT.id], ids[PRINCIPAL.id]} and "other@x.test" not in page
    principal = ui_world.client("principal-declarant")
    assert _ids(principal.get("/ui/subscriptions").get_data(as_text=True)) == {ids[PRINCIPAL.id]}
    token = csrf_of(agent, "/ui/subscriptions")
    assert agent.post(f"/ui/subscriptions/{ids[OTHER.id]}/cancel", data={"csrf_token": token}).status_code == 404
    assert principal.post(f"/ui/subscriptions/{ids[AGENT.id]}/cancel",
                          data={"csrf_token": csrf_of(principal, "/ui/subscriptions")}).status_code == 404
    r = agent.post("/ui/subscriptions", data={"csrf_token": token, "enterprise_id": OTHER.id, "scope": "enterprise",
                                              "channel": "email", "target": "sneaky@x.test"})
    assert r.status_code == 404
    with c.store.transaction() as tx:
        assert all(tx.subscription(e, i)["active"] for e, i in ids.items())  # type: ignore[index]
        assert len(tx.subscriptions(OTHER.id, include_cancelled=True)) == 1
    # the agent may subscribe for its principal, whose record it is then
    r = agent.post("/ui/subscriptions", data={"csrf_token": token, "enterprise_id": PRINCIPAL.id,
                                              "scope": "enterprise", "channel": "email", "target": "p2@x.test"})
    assert r.status_code == 303
    with c.store.transaction() as tx:
        assert "p2@x.test" in {s["target"] for s in tx.subscriptions(PRINCIPAL.id, include_cancelled=False)}
    add = ui_world.client("principal-admin")
    assert add.get("/ui/subscriptions").status_code == 200
