"""Certificate query actions (seed 001 ch. 5) through the Flask test client on a real database: what each
status allows, delete / archive hide rows without losing messages, amendments and reissues are declared
through intake with their ModCertificate, type conversion opens the other type's form."""

from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from adapters.memory import MemoryTransport
from gateway.db import models as m
from gateway.services.dispatch import DispatchConfig, dispatch_due
from messages import certificate as cert_codec
from messages import envelope, safexml
from tests.integration.test_ui_prints import layout_from_customs, print_pdf, push_c, ready_defaults, state_of
from tests.integration.ui_world import AGENT, OTHER, UiWorld, csrf_of


def _set_status(world: UiWorld, message_id: str, status: str) -> None:
    with world.container.store.transaction() as tx:
        pk = tx.s.scalar(select(m.Message.id).where(m.Message.message_id == message_id))
        assert pk is not None
        tx.set_certificate_status(pk, status, at=world.container.clock.now())


def _row_actions(client: FlaskClient, message_id: str, query: str = "") -> set[str] | None:
    page = client.get(f"/ui/certificates{query}").get_data(as_text=True)
    found = re.search(rf'data-message-id="{message_id}" data-actions="([^"]*)"', page)
    return set(found.group(1).split()) if found else None


def _act(client: FlaskClient, action: str, *ids: str, **extra: str) -> tuple[int, str, str]:
    r = client.post("/ui/certificates/actions", data={"csrf_token": csrf_of(client, "/ui/certificates"),
                                                       "action": action, "message_id": list(ids), **extra})
    follow = client.get("/ui/certificates").get_data(as_text=True) if r.status_code == 303 else ""
    return r.status_code, r.headers.get("Location", ""), follow


def _stored_data(world: UiWorld, message_id: str) -> dict[str, Any]:
    detail = world.container.ui_reads.message_detail((world_enterprise(world, message_id),), message_id)
    assert detail is not None
    return cert_codec.decode(safexml.parse(detail["raw"].encode())).data


def world_enterprise(world: UiWorld, message_id: str) -> str:
    with world.container.store.transaction() as tx:
        return str(tx.s.scalar(select(m.Message.enterprise_id).where(m.Message.message_id == message_id)))


def _fields_of(page: str) -> dict[str, str]:
    """What a browser would submit: inputs, textareas and the selected option of each select."""
    form = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', page))
    form.update(re.findall(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option (?:value="([^"]*)" )?selected>([^<]*)', options) or re.search(
            r'<option (?:value="([^"]*)" )?>([^<]*)', options)
        if chosen:
            form[name] = chosen.group(1) if chosen.group(1) is not None else chosen.group(2)
    return form


def test_each_status_offers_what_the_manual_allows(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    draft = _row_actions(client, ui_world.agent_msg)
    assert draft is not None and "delete" in draft and "amend" not in draft and "reissue" not in draft
    _set_status(ui_world, ui_world.agent_msg, "APPROVED")
    approved = _row_actions(client, ui_world.agent_msg)
    assert approved is not None and {"amend", "reissue", "amend-reissue"} <= approved
    assert "delete" not in approved and "archive" not in approved  # no self-printed original (Form E has none)
    _set_status(ui_world, ui_world.principal_msg, "STORED")
    stored = _row_actions(client, ui_world.principal_msg)
    assert stored is not None and not stored & {"delete", "amend", "reissue", "amend-reissue"}


def test_delete_hides_a_draft_but_keeps_its_message_and_refuses_an_approved_one(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    _set_status(ui_world, ui_world.principal_msg, "APPROVED")
    status, _, page = _act(client, "delete", ui_world.agent_msg, ui_world.principal_msg)
    assert status == 303 and "only draft (暂存) or returned (退证)" in page
    assert _row_actions(client, ui_world.agent_msg) is not None  # nothing of the batch was deleted
    status, _, page = _act(client, "delete", ui_world.agent_msg)
    assert status == 303 and "删除 delete: E26" in page
    assert _row_actions(client, ui_world.agent_msg) is None
    # the gateway still has the message (nothing accepted is lost)
    engineer = ui_world.client("agent-engineer")
    assert engineer.get(f"/ui/messages/{ui_world.agent_msg}").status_code == 200
    assert client.get(f"/ui/certificates/{ui_world.agent_msg}/amend/amend").status_code == 404


def _print_original(world: UiWorld, client: FlaskClient, message_id: str, cert_no: str) -> None:
    layout_from_customs(world, AGENT, cert_no)
    assert print_pdf(client, message_id, "original").status_code == 200


def test_archive_is_refused_until_the_self_print_original_is_printed(ui_world: UiWorld) -> None:
    msg, cert_no = push_c(ui_world, AGENT, 7, "AG-C7")
    client = ui_world.client("agent-declarant")
    offered = _row_actions(client, msg)
    assert offered is not None and "archive" not in offered
    status, _, page = _act(client, "archive", msg, ui_world.agent_msg)
    text = html.unescape(page)
    assert status == 303
    assert (f"{cert_no}: 存档 archive: only certificates whose self-print original (自助打印正本) has been printed "
            "can be archived; this one's print status is PENDING (the original is not printed)") in text
    assert "E263501000010001: 存档 archive: only certificates whose self-print original (自助打印正本) has been " \
           "printed can be archived; type E is not one of the self-print types" in text
    assert _row_actions(client, msg) is not None and _row_actions(client, ui_world.agent_msg) is not None

    ready_defaults(ui_world, ui_world.client("agent-admin"))
    _print_original(ui_world, client, msg, cert_no)
    path = f"/ui/certificates/{msg}/print-exceptions"  # a paper jam: the original is pending again
    assert client.post(path, data={"csrf_token": csrf_of(client), "reason": "PAPER_JAM"}).status_code == 303
    status, _, page = _act(client, "archive", msg)
    assert "this one&#39;s print status is PENDING" in page and _row_actions(client, msg) is not None
    # the lock-time check reads the same print status (a print exception racing the archive is seen)
    c = ui_world.container
    assert c.certificate_marks.mark((AGENT.id,), [msg], "archive", c.clock.now(),
                                    lambda _status, _archived, printed: printed == "PRINTED") == []


def test_archive_after_the_original_is_printed_hides_the_row_and_leaves_the_print_status(
        ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    ready_defaults(ui_world, ui_world.client("agent-admin"))
    printed, printed_no = push_c(ui_world, AGENT, 7, "AG-C7")
    filed, filed_no = push_c(ui_world, AGENT, 8, "AG-C8")  # printed, then 归档 on its print panel
    for msg, cert_no in ((printed, printed_no), (filed, filed_no)):
        _print_original(ui_world, client, msg, cert_no)
    assert client.post(f"/ui/certificates/{filed}/print-archive", data={"csrf_token": csrf_of(client)}
                       ).status_code == 303
    for msg in (printed, filed):
        offered = _row_actions(client, msg)
        assert offered is not None and "archive" in offered, msg

    status, _, page = _act(client, "archive", printed, filed)
    assert status == 303 and f"存档 archive: {printed_no}, {filed_no}" in page
    for msg in (printed, filed):
        assert _row_actions(client, msg) is None  # gone from the default list
        archived = _row_actions(client, msg, "?status=ARCHIVED")
        assert archived is not None and "archive" not in archived
    assert _row_actions(client, ui_world.agent_msg, "?status=ARCHIVED") is None
    # 存档 is not 归档: the print status is what printing made it
    assert state_of(ui_world, AGENT, printed_no)["print_status"] == "PRINTED"
    assert state_of(ui_world, AGENT, filed_no)["print_status"] == "ARCHIVED"
    again = client.post("/ui/certificates/actions?status=ARCHIVED",
                        data={"csrf_token": csrf_of(client), "action": "archive", "message_id": printed})
    assert again.status_code == 303
    assert "存档 archive: this certificate is archived already (已手动存档)" in client.get(
        "/ui/certificates?status=ARCHIVED").get_data(as_text=True)


def test_actions_on_another_enterprises_certificate_answer_404_and_change_nothing(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    token = csrf_of(client, "/ui/certificates")
    r = client.post("/ui/certificates/actions", data={"csrf_token": token, "action": "archive",
                                                       "message_id": [ui_world.agent_msg, ui_world.other_msg]})
    assert r.status_code == 404
    assert _row_actions(client, ui_world.agent_msg) is not None  # the own one was not archived either
    outsider = ui_world.client("other-declarant")
    assert _row_actions(outsider, ui_world.other_msg) is not None


def test_amendment_is_refused_before_approval_and_declared_with_its_mod_after(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    url = f"/ui/certificates/{ui_world.agent_msg}/amend/amend"
    refused = client.get(url)
    assert refused.status_code == 409 and "only approved (审核通过)" in refused.get_data(as_text=True)

    _set_status(ui_world, ui_world.agent_msg, "APPROVED")
    page = client.get(url).get_data(as_text=True)
    assert 'name="mod.OldCertNo" value="E263501000010001"' in page and "更改栏目" in page
    form = _fields_of(page)
    form.update({"csrf_token": csrf_of(client, url), "action": "declare", "mod.ModReason": "wrong consignee"})

    missing = client.post(url, data=form)
    body = missing.get_data(as_text=True)
    assert missing.status_code == 422, body[body.find("class=\"errors\""):][:1500]
    # the error is next to the field, with the manual's Chinese name
    assert re.search(r'name="mod.ModColm"[^>]*class="invalid".*?CERT.MOD.CHANGE_REQUIRED.*?【更改栏目】', body, re.S)

    form.update({"mod.ModColm": "Box 2", "mod.OldSituDesc": "ACME LTD", "mod.ModSituDesc": "ACME TRADING LTD"})
    ok = client.post(url, data=form)
    assert ok.status_code == 302, ok.get_data(as_text=True)[:2000]
    new_id = ok.headers["Location"].rsplit("/", 1)[-1]
    data = _stored_data(ui_world, new_id)
    assert data["head"]["CertStatus"] == "1" and data["head"]["CertNo"] != "E263501000010001"
    assert data["mod"]["OldCertNo"] == "E263501000010001" and data["mod"]["ModColm"] == "Box 2"
    assert data["goods"], "the goods of the original are carried over"


def test_reissue_needs_no_change_description(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    _set_status(ui_world, ui_world.agent_msg, "APPROVED")
    status, location, _ = _act(client, "reissue", ui_world.agent_msg)
    assert status == 303 and location.endswith(f"/ui/certificates/{ui_world.agent_msg}/amend/reissue")
    page = client.get(location).get_data(as_text=True)
    assert 'name="mod.ModColm"' not in page
    form = _fields_of(page)
    form.update({"csrf_token": csrf_of(client, location), "mod.ModReason": "original lost"})
    ok = client.post(location, data=form)
    assert ok.status_code == 302, ok.get_data(as_text=True)[:2000]
    data = _stored_data(ui_world, ok.headers["Location"].rsplit("/", 1)[-1])
    assert data["head"]["CertStatus"] == "2" and data["mod"]["ModReason"] == "original lost"


def test_type_conversion_opens_the_other_types_form_filled_from_the_certificate(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    status, location, _ = _act(client, "convert", ui_world.agent_msg, to="RC")
    assert status == 303 and f"/ui/certificates/new/RC?copy={ui_world.agent_msg}" in location
    page = client.get(location).get_data(as_text=True)
    assert "RCEP" in page and 'name="head.CertNo" value=""' in page
    same_type, _, page = _act(client, "convert", ui_world.agent_msg, to="E")
    assert same_type == 303 and "choose another certificate type" in page
    none, _, page = _act(client, "amend", ui_world.agent_msg, ui_world.principal_msg)
    assert none == 303 and "only approved" in page
    assert OTHER.id not in page


def test_amend_and_reissue_is_declared_and_sent_with_cert_status_3(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    _set_status(ui_world, ui_world.agent_msg, "APPROVED")
    status, location, _ = _act(client, "amend-reissue", ui_world.agent_msg)
    assert status == 303 and location.endswith(f"/ui/certificates/{ui_world.agent_msg}/amend/amend-reissue")
    page = client.get(location).get_data(as_text=True)
    assert "更改重发证 Amendment and reissue" in page and 'name="mod.ModColm"' in page
    form = _fields_of(page)
    form.update({"csrf_token": csrf_of(client, location), "action": "declare", "mod.ModReason": "consignee moved",
                 "mod.ModColm": "Box 2", "mod.OldSituDesc": "PT BUYER", "mod.ModSituDesc": "PT BUYER BARU"})
    ok = client.post(location, data=form)
    assert ok.status_code == 302, ok.get_data(as_text=True)[:2000]
    new_id = ok.headers["Location"].rsplit("/", 1)[-1]
    assert _stored_data(ui_world, new_id)["head"]["CertStatus"] == "3"

    # what goes to customs: the signed envelope of the new message carries CertStatus 3 and the original's number
    transport = MemoryTransport()
    c = ui_world.container
    dispatch_due(c.store, c.keystore, {"GACC": transport}, c.clock, DispatchConfig(owner="test"))
    sent = transport.sent[f"{new_id}.xml"]
    head, body = envelope.unwrap(safexml.parse(sent.content))
    assert head.message_id == new_id
    data = cert_codec.decode(body).data
    assert data["head"]["CertStatus"] == "3" and data["head"]["CertNo"] != "E263501000010001"
    assert data["mod"]["OldCertNo"] == "E263501000010001" and data["mod"]["ModSituDesc"] == "PT BUYER BARU"
