"""Every route of the app, requested as a user (or API key) of another enterprise, with path parameters
filled with the victim enterprise's object ids: each answer is 403/404 — never 200 with the victim's
data, never a 5xx. Routes without an object id must answer without leaking the victim's ids.

The test walks ``app.url_map``: a route added without an entry in ``ROUTES`` fails here, so every new
route gets a tenancy decision.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime

import pytest

from gateway.services.drafts import find_draft, save_draft
from gateway.services.people import Role, add_user, login
from gateway.web.openapi import document
from messages import envelope
from messages.receipt import BusinessReceipt, to_xml
from tests.integration.ui_world import AGENT, OTHER, PASSWORD, PRINCIPAL, UiWorld, csrf_of

# rule -> how it is protected: "ui" (session + scope), "api" (API key + scope), "public" (no tenant data)
ROUTES: dict[str, str] = {
    "/static/<path:filename>": "public",
    "/healthz": "public",
    "/": "public",
    "/login": "public",
    "/logout": "public",
    "/api/v1/messages": "api",
    "/api/v1/messages/<string(length=32):message_id>": "api",
    "/api/v1/messages/<string(length=32):message_id>/receipts": "api",
    "/api/v1/messages/<string(length=32):message_id>/resend": "api",
    "/api/v1/messages/resend": "api",
    "/api/v1/messages/<string(length=32):message_id>/edit-and-resend": "api",
    "/api/v1/certificate-numbers": "api",
    "/api/v1/templates/goods.xlsx": "api",
    "/api/v1/goods/import": "api",
    "/api/v1/certificates.xlsx": "api",
    "/api/v1/statistics.xlsx": "api",
    "/api/v1/inbox": "api",
    "/api/v1/inbox/ack": "api",
    "/api/v1/webhook": "api",
    "/api/v1/webhook/deliveries": "api",
    "/api/v1/webhook/deliveries/<int:delivery_id>/redeliver": "api",
    "/api/v1/subscriptions": "api",
    "/api/v1/subscriptions/<int:subscription_id>": "api",
    "/api/v1/openapi.json": "public",
    "/readyz": "public",
    "/metrics": "public",
    "/api/v1/certificates/<cert_no>/pdf": "api",
    "/api/v1/certificates/<cert_no>/print": "api",
    "/api/v1/certificates/<cert_no>/print-exceptions": "api",
    "/api/v1/certificates/<cert_no>/archive": "api",
    "/api/v1/prints/batch": "api",
    "/api/v1/seals": "api",
    "/api/v1/seals/<int:stamp_id>": "api",
    "/api/v1/seals/<int:stamp_id>/image": "api",
    "/api/v1/signatures": "api",
    "/api/v1/signatures/<int:stamp_id>": "api",
    "/api/v1/signatures/<int:stamp_id>/image": "api",
    "/api/v1/seal-authorisations": "api",
    "/api/v1/agent-print-authorisations": "api",
    "/api/v1/agent-print-authorisations/<org_code>": "api",
    "/ui/": "ui",
    "/ui/dashboard": "ui",
    "/ui/messages": "ui",
    "/ui/messages/<message_id>": "ui",
    "/ui/messages/<message_id>/signed.xml": "ui",
    "/ui/messages/<message_id>/resend": "ui",
    "/ui/messages/retry": "ui",
    "/ui/messages/<message_id>/edit": "ui",
    "/ui/quarantine": "ui",
    "/ui/certificates": "ui",
    "/ui/certificates/export.csv": "ui",
    "/ui/certificates/export.xlsx": "ui",
    "/ui/certificates/<message_id>": "ui",
    "/ui/certificates/new/<cert_type>": "ui",
    "/ui/certificates/actions": "ui",
    "/ui/certificates/<message_id>/amend/<operation>": "ui",
    "/ui/products": "ui",
    "/ui/products/<message_id>/apply": "ui",
    "/ui/products/<message_id>/change": "ui",
    "/ui/statistics": "ui",
    "/ui/statistics/<dimension>.<kind>.svg": "ui",
    "/ui/account/password": "ui",
    "/ui/statistics/<dimension>.<kind>.png": "ui",
    "/ui/certificates/<message_id>/print": "ui",
    "/ui/certificates/<message_id>/print-exceptions": "ui",
    "/ui/certificates/<message_id>/print-archive": "ui",
    "/ui/prints/batch": "ui",
    "/ui/seals": "ui",
    "/ui/seals/<int:stamp_id>": "ui",
    "/ui/seals/<int:stamp_id>/image": "ui",
    "/ui/signatures": "ui",
    "/ui/signatures/<int:stamp_id>": "ui",
    "/ui/signatures/<int:stamp_id>/image": "ui",
    "/ui/seal-authorisation": "ui",
    "/ui/agent-print-authorisations": "ui",
    "/ui/certificates/drafts/<int:draft_id>": "ui",
    "/ui/certificates/drafts/declare": "ui",
    "/ui/certificates/drafts/delete": "ui",
    "/ui/certificates/goods-template.xlsx": "ui",
    "/ui/subscriptions": "ui",
    "/ui/subscriptions/<int:subscription_id>/cancel": "ui",
    "/ui/users": "ui",
    "/ui/users/<int:user_id>/disable": "ui",
    "/ui/users/<int:user_id>/password": "ui",
    "/ui/verifications": "ui",
    "/ui/verifications/<record_id>": "ui",
    "/ui/verifications/<record_id>/process": "ui",
    "/ui/verifications/<record_id>/files": "ui",
    "/ui/verifications/<record_id>/files/<int:file_id>/delete": "ui",
    "/ui/verifications/<record_id>/products/<int:index>/costs": "ui",
    "/ui/verifications/<record_id>/submit": "ui",
    "/ui/supplements/certificates": "ui",
    "/ui/supplements/certificates/<message_id>/declare": "ui",
    "/ui/supplements/ccpit": "ui",
    "/ui/supplements": "ui",
    "/ui/supplements/<supplement_id>": "ui",
    "/ui/supplements/<supplement_id>/add-again": "ui",
    "/ui/supplements/<supplement_id>/delete": "ui",
    "/ui/blank-forms/write-off": "ui",
    "/ui/blank-forms/write-off/<message_id>": "ui",
    "/ui/blank-forms": "ui",
    "/ui/blank-forms/operations/<message_id>": "ui",
}
PARAMS = {"filename": "app.css", "cert_type": "E", "dimension": "cert_type", "kind": "pie", "operation": "amend",
          "delivery_id": "1", "subscription_id": "1", "draft_id": "1", "user_id": "1",
          "cert_no": "E263501000010001", "stamp_id": "1", "org_code": "MA2Y3K8L5",
          # the victim's verification record, its uploaded file and its supplement (_plant_declarant_documents)
          "record_id": "5e" * 16, "file_id": "1", "index": "1", "supplement_id": "5f" * 16}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DENIED = {302, 400, 401, 403, 404, 405, 422}


VICTIM_QUARANTINE = "VICTIM-QUARANTINE-SECRET"
VICTIM_SEAL = "VICTIM-SEAL-SECRET"  # the victim's seal 1 (印章) and the agent it authorised to print
VICTIM_AGENT = "VICTIM-AGENT-SECRET"
VICTIM_DRAFT = "AG-DRAFT-SECRET"  # document number of the victim's draft 1
VICTIM_SUBSCRIBER = "victim@agent.test"  # target of the victim's subscription 1
VICTIM_RECORD_NO = "HC3501202699990001"  # a verification record of the agent


def _victim_secrets(world: UiWorld, attacker: str) -> list[str]:
    """Strings that only the victim may ever see. Against an outsider the victim is the agent and its
    principal; against the principal (reverse direction) it is the agent alone."""
    agent_only = [world.agent_msg, "E263501000010001", "AG-1", AGENT.id, VICTIM_QUARANTINE, VICTIM_DRAFT,
                  VICTIM_SUBSCRIBER, VICTIM_RECORD_NO, "victim-invoice.pdf", "350120260001234567", VICTIM_SEAL,
                  VICTIM_AGENT]
    return agent_only if attacker == "principal" else [*agent_only, world.principal_msg, "PR-1"]


def _plant_victim_state(world: UiWorld) -> dict[str, object]:
    """The victim's message FAILED (so resend would act on it) and a quarantined file addressed to it."""
    with world.container.store.transaction() as tx:
        msg = tx.message_by_message_id(world.agent_msg)
        assert msg is not None and tx.transition(msg.pk, "FAILED", actor="t", reason="x", last_error="boom")
        head = envelope.EnvelopeHead(message_id="e" * 32, message_type="CO_RECEIPT", sender_id="GACC",
                                     receiver_id=AGENT.id, send_time=datetime.now(UTC))
        receipt = BusinessReceipt(receipt_id="R-VICTIM", message_id="f" * 32, cert_no="E263501000019999", seq_no=1,
                                  status_code="RETURNED", status="退证", text=VICTIM_QUARANTINE,
                                  issued_at=datetime.now(UTC))
        body = envelope.wrap(head, to_xml(receipt))
        tx.quarantine("GACC", "victim.xml", envelope.to_bytes(body), "matches no message", datetime.now(UTC))
        view = tx.message_view(AGENT.id, world.agent_msg)
    assert view is not None
    _plant_victim_seal(world)
    return view


def _plant_declarant_documents(world: UiWorld) -> None:
    """The agent's verification record (with an uploaded file, id 1) and export declaration supplement, under
    the ids PARAMS gives: the attacker asks for the victim's real objects."""
    import hashlib

    from gateway.services.ports import NewMessage
    from tests.integration.declarant_docs import FAMILIES, pdf, record_xml

    c = world.container
    supplement = (FAMILIES / "gacc_supplement" / "valid_add_exported_several.xml").read_bytes()
    for mid, message_type, family, direction, raw in (
            (PARAMS["record_id"], "GACC_VERIFICATION_RECORD", "gacc_verification", "inbound",
             record_xml(VICTIM_RECORD_NO)),
            (PARAMS["supplement_id"], "EXPORT_DECLARATION_SUPPLEMENT", "gacc_supplement", "outbound", supplement)):
        with c.store.transaction() as tx:
            tx.create_message(NewMessage(message_id=mid, enterprise_id=AGENT.id, family=family,
                                         message_type=message_type, direction=direction, authority="GACC",
                                         state="DONE", document_no=None, idempotency_key=f"victim:{mid}",
                                         raw_sha256=hashlib.sha256(raw).hexdigest(), next_attempt_at=None),
                              raw=raw, history=[(None, "RECEIVED", "planted")], actor="test")
    file_id = c.verification_drafts.add_file(AGENT.id, VICTIM_RECORD_NO, file_type="CGFP", pre_review_no="",
                                             file_name="victim-invoice.pdf", content=pdf(), by="agent-declarant",
                                             at=datetime.now(UTC))
    assert str(file_id) == PARAMS["file_id"]
    owner = world.client("agent-declarant")  # the planted objects are real: their owner is served
    for path in (f"/ui/verifications/{PARAMS['record_id']}", f"/ui/supplements/{PARAMS['supplement_id']}"):
        assert owner.get(path).status_code == 200, path


def _agent_messages(world: UiWorld) -> int:
    from sqlalchemy import func, select

    from gateway.db import models as m

    with world.container.store.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(m.Message).where(m.Message.enterprise_id == AGENT.id))
                   or 0)


def _plant_victim_seal(world: UiWorld) -> None:
    """Seal 1 of the victim, enabled and its default, and an agent print authorisation of the victim."""
    from decimal import Decimal

    from gateway.services.print_ports import NewStamp

    at = datetime.now(UTC)
    with world.container.print_store.transaction() as tx:
        seal = tx.add_stamp(AGENT.id, NewStamp(kind="SEAL", name=VICTIM_SEAL, seal_type="COMPANY", shape="ROUND",
                                               width_mm=Decimal(40), height_mm=Decimal(40), valid_from=None,
                                               valid_to=None, holder_name="", holder_id_no="", remark="",
                                               image=b"\x89PNG victim", image_format="PNG"), at=at)
        assert seal.id == int(PARAMS["stamp_id"])
        tx.update_stamp(AGENT.id, seal.id, at=at, is_default=True)
        tx.set_agent_grant(AGENT.id, "MA2Y3K8L5", VICTIM_AGENT, True, at=at)


def _path(rule: str, world: UiWorld) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(2)
        if name == "message_id":
            return world.agent_msg  # the victim's object
        assert name in PARAMS, f"route parameter <{name}> has no filler: add one to PARAMS"
        return PARAMS[name]

    return re.sub(r"<(?:([^:>]+):)?(\w+)>", fill, rule)


def _text_of(data: bytes, mimetype: str) -> str:
    """What a reader of the answer sees: an .xlsx is a zip of XML parts, read them all."""
    if mimetype == XLSX:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return data.decode("utf-8", "replace")


def test_every_route_is_in_the_matrix(ui_world: UiWorld) -> None:
    rules = {r.rule for r in ui_world.app.url_map.iter_rules()}
    assert rules - set(ROUTES) == set(), "new route(s) without a tenancy decision in ROUTES"
    assert set(ROUTES) - rules == set(), "ROUTES lists a route that no longer exists"


@pytest.mark.parametrize("attacker", ["other", "principal"])
def test_every_route_denies_another_enterprises_user_and_key(ui_world: UiWorld, attacker: str) -> None:
    """``other``: an outsider; ``principal``: the agent's own principal, which must not see the agent's
    documents (the agent sees the principal's, never the reverse)."""
    from gateway.services.subscriptions import subscribe

    c = ui_world.container  # the victim's subscription 1 (by its document AG-1): ids 1 below are the victim's
    made = subscribe(c.store, None, c.clock, AGENT.id, {"scope": "document", "document_no": "AG-1",
                                                        "channel": "email", "target": VICTIM_SUBSCRIBER},
                     guard=c.egress_guard)
    assert made.subscription is not None and made.subscription["id"] == 1
    # the victim's draft 1, and its user 1 (agent-admin: the first user made)
    draft = save_draft(c.drafts, c.clock, scope=(AGENT.id,), enterprise_id=AGENT.id, cert_type="E",
                       data={"head": {"DocumentNo": VICTIM_DRAFT, "AplRegNo": AGENT.reg_no}}, user="agent-declarant")
    assert draft.id == 1
    with c.store.transaction() as tx:
        victim_user = tx.user_by_username("agent-admin")
    assert victim_user is not None and victim_user.id == 1
    before = _plant_victim_state(ui_world)
    _plant_declarant_documents(ui_world)
    agent_messages = _agent_messages(ui_world)  # nothing may be declared in the victim's name
    secrets = _victim_secrets(ui_world, attacker)
    attacker_id = OTHER.id if attacker == "other" else PRINCIPAL.id
    api_key = ui_world.keys[attacker_id]
    add_user(ui_world.container.store, enterprise_id=None, username="gw-operator", password=PASSWORD,
             role="operator")
    users = [f"{attacker}-{r.value}" for r in Role if r != Role.OPERATOR] + ["gw-operator"]
    checked = 0
    for username in users:
        client = ui_world.client(username)
        token = csrf_of(client, "/login")
        for rule in ui_world.app.url_map.iter_rules():
            path = _path(rule.rule, ui_world)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                headers = {"Authorization": f"Bearer {api_key}"} if ROUTES[rule.rule] == "api" else {}
                data = {"csrf_token": token, "message_id": ui_world.agent_msg, "enterprise_id": AGENT.id,
                        "raw": "<x/>", "draft_id": "1", "password": "a password long enough",
                        "username": "planted-by-attacker", "role": "admin", "scope": "enterprise",
                        "channel": "email", "target": "attacker@x.test"} if method == "POST" else None
                if rule.rule in {"/logout", "/ui/account/password"}:
                    continue  # end the session under test; about the caller only, they reveal nothing
                with client.open(path, method=method, data=data, headers=headers) as r:
                    body = _text_of(r.get_data(), r.mimetype)
                where = f"{method} {path} as {username}"
                # /readyz answers 503 by design while the test gateway has no transports configured
                assert r.status_code < 500 or (rule.rule == "/readyz" and r.status_code == 503), \
                    f"{where}: {r.status_code}"
                # a 404 may echo the id that was asked for; anything else of the victim is a leak
                leaked = [s for s in secrets if s in body and s not in path]
                assert not leaked, f"{where} answered {r.status_code} with the victim's {leaked}"
                if any(p in rule.rule for p in ("message_id>", "subscription_id>", "draft_id>", "user_id>",
                                                "stamp_id>", "record_id>", "supplement_id>")):  # any converter
                    assert r.status_code in DENIED, f"{where}: {r.status_code}"
                checked += 1
    assert checked > 4 * 20
    # and nothing of the victim changed: still FAILED, no new event, no resend; its seal as it was
    with ui_world.container.store.transaction() as tx:
        after = tx.message_view(AGENT.id, ui_world.agent_msg)
    assert after == before and after["state"] == "FAILED"
    # nor its draft, its subscription or its user
    still = find_draft(c.drafts, scope=(AGENT.id,), draft_id=1)
    assert still is not None and still.declared_message_id is None and still.version == draft.version
    with c.store.transaction() as tx:
        assert tx.subscription(AGENT.id, 1)["active"]  # type: ignore[index]
        assert [u.username for u in tx.users_of(AGENT.id) if u.disabled_at] == []
    assert login(c.store, "agent-admin", PASSWORD) is not None
    # nor anything of its declarant documents: the uploaded file is still there, no answer was sent for them
    assert [f["file_name"] for f in ui_world.container.verification_drafts.files(AGENT.id, VICTIM_RECORD_NO)] == [
        "victim-invoice.pdf"]
    assert _agent_messages(ui_world) == agent_messages
    with ui_world.container.print_store.transaction() as ptx:
        assert [(s.name, s.enabled, s.is_default) for s in ptx.stamps(AGENT.id)] == [(VICTIM_SEAL, True, True)]
        assert ptx.print_records(AGENT.id) == []  # nothing of the victim was printed


def test_the_victim_itself_is_served(ui_world: UiWorld) -> None:
    """The same requests as the owner succeed: the matrix denies because of tenancy, not by accident."""
    client = ui_world.client("agent-admin")
    for rule in ("/ui/messages/<message_id>", "/ui/certificates/<message_id>", "/ui/messages/<message_id>/edit"):
        r = client.get(_path(rule, ui_world))
        assert r.status_code == 200 and ui_world.agent_msg in r.get_data(as_text=True), rule
    api = ui_world.app.test_client().get(f"/api/v1/messages/{ui_world.agent_msg}",
                                         headers={"Authorization": f"Bearer {ui_world.keys[AGENT.id]}"})
    assert api.status_code == 200


def test_every_api_route_and_method_is_in_the_openapi_document(ui_world: UiWorld) -> None:
    """schemathesis only exercises what the document lists, so an undocumented route is an untested one."""
    documented = document()["paths"]
    missing = []
    for rule in ui_world.app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method.lower() not in documented.get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []
