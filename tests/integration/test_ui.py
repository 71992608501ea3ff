"""The UI through Flask's test client on a real database: login, CSRF, roles, tenancy, pages, actions."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path

from adapters.memory import MemoryTransport
from gateway.bootstrap import Container
from gateway.config import load_settings
from gateway.services.dispatch import DispatchConfig, dispatch_due
from gateway.services.enterprises import register_enterprise
from gateway.services.intake import accept_message
from gateway.services.people import PeopleError, add_user, check_password, hash_password, login
from gateway.web.app import create_app
from tests.integration.ui_world import AGENT, OTHER, PASSWORD, PRINCIPAL, UiWorld, csrf_of


def test_password_is_stored_as_a_salted_scrypt_hash() -> None:
    one, two = hash_password("s3cret-password"), hash_password("s3cret-password")
    assert one != two and one.startswith("scrypt$") and "s3cret" not in one
    assert check_password(one, "s3cret-password") and not check_password(one, "s3cret-passwore")
    assert not check_password("garbage", "x")


def test_user_input_errors_name_the_field(ui_world: UiWorld) -> None:
    store = ui_world.container.store
    for kwargs, field in (({"username": "x", "password": PASSWORD, "role": "admin"}, "username"),
                          ({"username": "newbie", "password": "short", "role": "admin"}, "password"),
                          ({"username": "newbie", "password": PASSWORD, "role": "boss"}, "role"),
                          ({"username": "agent-admin", "password": PASSWORD, "role": "admin"}, "username")):
        try:
            add_user(store, enterprise_id=AGENT.id, **kwargs)
        except PeopleError as exc:
            assert str(exc).startswith(field), exc
        else:
            raise AssertionError(f"{kwargs} was accepted")
    assert login(store, "agent-admin", PASSWORD) is not None
    assert login(store, "agent-admin", PASSWORD + "x") is None and login(store, "nobody", PASSWORD) is None


def test_pages_need_a_login_and_the_login_sets_a_hardened_cookie(ui_world: UiWorld) -> None:
    client = ui_world.client()
    r = client.get("/ui/messages")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    token = csrf_of(client)
    bad = client.post("/login", data={"username": "agent-engineer", "password": "wrong", "csrf_token": token})
    assert bad.status_code == 401 and "Wrong username or password" in bad.get_data(as_text=True)
    ok = client.post("/login", data={"username": "agent-engineer", "password": PASSWORD, "csrf_token": token,
                                     "next": "//evil.example/"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/ui/"  # no open redirect
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/ui/messages").status_code == 200


def test_login_in_the_default_configuration_sets_a_secure_httponly_samesite_cookie(
        database_url: str, pki_dir: Path, pki_passphrase: str) -> None:
    # configured the way a deployment is (GATEWAY_* variables), saying nothing about cookies
    settings = load_settings({"GATEWAY_DATABASE_URL": database_url, "GATEWAY_PKI_DIR": str(pki_dir),
                              "GATEWAY_PKI_PASSPHRASE": pki_passphrase})
    c = Container(settings)
    try:
        c.migrate()
        register_enterprise(c.store, AGENT)
        add_user(c.store, enterprise_id=AGENT.id, username="agent-declarant", password=PASSWORD, role="declarant")
        client = create_app(c).test_client()
        https = {"base_url": "https://gateway.example"}
        form = client.get("/login", **https).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        r = client.post("/login", data={"username": "agent-declarant", "password": PASSWORD,
                                        "csrf_token": token.group(1)}, **https)
        assert r.status_code == 302
        (header,) = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("cogw_session=")]
        cookie = SimpleCookie(header)["cogw_session"]
        assert cookie["secure"] is True and cookie["httponly"] is True and cookie["samesite"] == "Lax", header
        assert cookie["path"] == "/" and client.get("/ui/certificates", **https).status_code == 200
    finally:
        c.close()


def test_every_ui_post_without_the_csrf_token_is_refused(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-admin")
    posts = [rule for rule in ui_world.app.url_map.iter_rules()
             if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/")]
    assert len(posts) >= 6
    for rule in posts:
        # int ids (drafts, users, subscriptions) need a number to reach the view at all
        path = re.sub(r"<(int:)?(\w+)>", lambda m: "1" if m.group(1) else {"cert_type": "E"}.get(m.group(2),
                                                                                               ui_world.agent_msg),
                      rule.rule)
        r = client.post(path, data={"username": "agent-admin", "password": PASSWORD, "message_id": ui_world.agent_msg,
                                    "raw": "<x/>", "current": PASSWORD, "new": "another password"})
        assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True), (rule.rule, r.status_code)
    assert client.get("/ui/messages").status_code == 200  # still logged in: the logout was refused too
    # the ERP API is key-authenticated and needs no token
    api = ui_world.app.test_client().post("/api/v1/certificate-numbers", json={"cert_type": "E"},
                                          headers={"Authorization": f"Bearer {ui_world.keys[AGENT.id]}"})
    assert api.status_code == 201


def test_roles_open_only_their_pages(ui_world: UiWorld) -> None:
    declarant = ui_world.client("agent-declarant")
    assert declarant.get("/ui/dashboard").status_code == 403
    assert declarant.get("/ui/certificates").status_code == 200
    engineer = ui_world.client("agent-engineer")
    assert engineer.get("/ui/certificates").status_code == 403
    assert engineer.get("/ui/dashboard").status_code == 200
    admin = ui_world.client("agent-admin")
    assert admin.get("/ui/dashboard").status_code == 200 and admin.get("/ui/certificates").status_code == 200


def test_agent_sees_its_principals_documents_and_the_outsider_sees_none(ui_world: UiWorld) -> None:
    agent = ui_world.client("agent-admin")
    page = agent.get("/ui/messages").get_data(as_text=True)
    assert ui_world.agent_msg in page and ui_world.principal_msg in page and ui_world.other_msg not in page
    assert agent.get(f"/ui/certificates/{ui_world.principal_msg}").status_code == 200
    assert agent.get(f"/ui/certificates/{ui_world.other_msg}").status_code == 404

    principal = ui_world.client("principal-admin")  # the principal does not see its agent's documents
    page = principal.get("/ui/messages").get_data(as_text=True)
    assert ui_world.principal_msg in page and ui_world.agent_msg not in page
    assert principal.get(f"/ui/messages/{ui_world.agent_msg}").status_code == 404

    other = ui_world.client("other-admin")
    for path in (f"/ui/messages/{ui_world.agent_msg}", f"/ui/certificates/{ui_world.principal_msg}"):
        assert other.get(path).status_code == 404


def test_message_filters(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-engineer")

    def ids(**query: str) -> set[str]:
        page = client.get("/ui/messages", query_string=query).get_data(as_text=True)
        return set(re.findall(r'data-message-id="([0-9a-f]{32})"', page))

    assert ids() == {ui_world.agent_msg, ui_world.principal_msg}
    assert ids(state="QUEUED") == {ui_world.agent_msg, ui_world.principal_msg}
    assert ids(state="FAILED") == set()
    assert ids(enterprise=PRINCIPAL.id) == {ui_world.principal_msg}
    assert ids(message_id=ui_world.agent_msg) == {ui_world.agent_msg}
    assert ids(cert_no="E263501000010001") == {ui_world.agent_msg}
    today = datetime.now(UTC).date().isoformat()
    assert ids(**{"from": today, "to": today}) == {ui_world.agent_msg, ui_world.principal_msg}
    assert ids(**{"from": "2001-01-01", "to": "2001-01-02"}) == set()
    assert client.get("/ui/messages?from=yesterday").status_code == 400


def _fail(world: UiWorld, message_id: str) -> None:
    with world.container.store.transaction() as tx:
        msg = tx.message_by_message_id(message_id)
        assert msg is not None
        assert tx.transition(msg.pk, "FAILED", actor="test", reason="authority unreachable", last_error="boom")


def test_engineer_resends_a_failed_message_keeping_its_message_id(ui_world: UiWorld) -> None:
    _fail(ui_world, ui_world.agent_msg)
    client = ui_world.client("agent-engineer")
    detail = client.get(f"/ui/messages/{ui_world.agent_msg}").get_data(as_text=True)
    assert 'id="resend"' in detail and "boom" in detail
    token = csrf_of(client, f"/ui/messages/{ui_world.agent_msg}")
    r = client.post(f"/ui/messages/{ui_world.agent_msg}/resend", data={"csrf_token": token})
    assert r.status_code == 302
    with ui_world.container.store.transaction() as tx:
        view = tx.message_view(AGENT.id, ui_world.agent_msg)
    assert view is not None and view["state"] == "QUEUED"
    assert view["events"][-1]["actor"] == "ui:agent-engineer" and "resent" in view["events"][-1]["reason"]
    # resending a queued message changes nothing, and the page says why
    again = client.post(f"/ui/messages/{ui_world.agent_msg}/resend", data={"csrf_token": token},
                        follow_redirects=True).get_data(as_text=True)
    assert "0 of 1 message(s) queued again" in again and "only ATTENTION or FAILED messages" in again
    with ui_world.container.store.transaction() as tx:
        assert len(tx.message_view(AGENT.id, ui_world.agent_msg)["events"]) == len(view["events"])  # type: ignore[index]


def test_bulk_retry_refuses_the_whole_batch_when_one_id_is_another_enterprises(ui_world: UiWorld) -> None:
    for mid in (ui_world.agent_msg, ui_world.other_msg):
        _fail(ui_world, mid)
    client = ui_world.client("agent-engineer")
    token = csrf_of(client, "/ui/messages")
    r = client.post("/ui/messages/retry", data={"csrf_token": token,
                                               "message_id": [ui_world.agent_msg, ui_world.other_msg]})
    assert r.status_code == 404
    with ui_world.container.store.transaction() as tx:
        assert tx.message_view(OTHER.id, ui_world.other_msg)["state"] == "FAILED"  # type: ignore[index]
        assert tx.message_view(AGENT.id, ui_world.agent_msg)["state"] == "FAILED"  # type: ignore[index]
    r = client.post("/ui/messages/retry", data={"csrf_token": token, "message_id": [ui_world.agent_msg]})
    assert r.status_code == 302
    with ui_world.container.store.transaction() as tx:
        assert tx.message_view(AGENT.id, ui_world.agent_msg)["state"] == "QUEUED"  # type: ignore[index]


def test_edit_and_resend_validates_the_edit_and_shows_errors(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-engineer")
    path = f"/ui/messages/{ui_world.agent_msg}/edit"
    token = csrf_of(client, path)
    raw = client.application.extensions["cogw"].ui_reads.message_detail((AGENT.id,), ui_world.agent_msg)["raw"]
    fixed = raw.replace("<DocumentNo>AG-1</DocumentNo>", "<DocumentNo>AG-1-FIX</DocumentNo>").replace(
        "E263501000010001", "E263501000010002")
    # a queued message is still on its way: the delivery service refuses to replace it
    refused = client.post(path, data={"csrf_token": token, "raw": fixed})
    assert refused.status_code == 409 and "RESEND.NOT_EDITABLE" in refused.get_data(as_text=True)
    assert 'id="edit"' not in client.get(f"/ui/messages/{ui_world.agent_msg}").get_data(as_text=True)

    _fail(ui_world, ui_world.agent_msg)
    assert 'id="edit"' in client.get(f"/ui/messages/{ui_world.agent_msg}").get_data(as_text=True)
    broken = raw.replace("<HSCode>0703200000</HSCode>", "<HSCode>07A3</HSCode>")
    r = client.post(path, data={"csrf_token": token, "raw": broken})
    assert r.status_code == 422 and "HSCode" in r.get_data(as_text=True)
    r = client.post(path, data={"csrf_token": token, "raw": fixed})
    assert r.status_code == 302 and ui_world.agent_msg not in r.headers["Location"]
    new_id = r.headers["Location"].rsplit("/", 1)[-1]
    # the new message links to the one it replaces, both ways, and the old one offers no second edit
    assert ui_world.agent_msg in client.get(f"/ui/messages/{new_id}").get_data(as_text=True)
    old_page = client.get(f"/ui/messages/{ui_world.agent_msg}").get_data(as_text=True)
    assert 'id="superseded-by"' in old_page and new_id in old_page and 'id="edit"' not in old_page
    with ui_world.container.store.transaction() as tx:
        assert tx.message_view(AGENT.id, new_id)["supersedes"] == ui_world.agent_msg  # type: ignore[index]


def _pre(page: str, element_id: str) -> str:
    found = re.search(rf'<pre id="{element_id}">(.*?)</pre>', page, re.S)
    assert found, f"no <pre id={element_id}>"
    return found.group(1)


def test_message_detail_shows_raw_signed_xml_and_validation_errors_escaped(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-engineer")
    page = client.get(f"/ui/messages/{ui_world.agent_msg}").get_data(as_text=True)
    assert "<pre id=\"signed\">" not in page and "not signed yet" in page  # queued: nothing signed yet
    raw = _pre(page, "raw")
    assert "&lt;DocumentNo&gt;AG-1&lt;/DocumentNo&gt;" in raw and "<DocumentNo>" not in raw

    c = ui_world.container
    dispatch_due(c.store, c.keystore, {"GACC": MemoryTransport()}, c.clock, DispatchConfig(owner="test"))
    page = client.get(f"/ui/messages/{ui_world.agent_msg}").get_data(as_text=True)
    signed = _pre(page, "signed")
    assert ui_world.agent_msg in signed and "SignatureValue&gt;" in signed and "&lt;DocumentNo&gt;AG-1" in signed
    assert "<" not in signed  # every tag of the envelope shown as text
    stored = c.ui_reads.message_detail((AGENT.id,), ui_world.agent_msg)
    assert stored is not None and html.unescape(signed) == stored["signed"]

    # a rejected message: its errors in a table, the offending value escaped like the raw XML
    bad = stored["raw"].replace("<OriCriteria>WO</OriCriteria>", "<OriCriteria>&lt;b&gt;&amp;</OriCriteria>", 1)
    rejected = accept_message(c.store, c.validator, c.clock, enterprise_id=AGENT.id, raw=bad.encode(), actor="api")
    assert rejected.outcome == "rejected" and rejected.message_id
    page = client.get(f"/ui/messages/{rejected.message_id}").get_data(as_text=True)
    errors = re.search(r"<h2>Validation errors</h2>(.*?)</table>", page, re.S)
    assert errors, page
    row = re.search(r"<tr><td>XSD.pattern</td>(.*?)</tr>", errors.group(1), re.S)
    assert row and "/Certificate/CertificateList/Goods[1]/OriCriteria" in row.group(1)
    assert "(got &#39;&lt;b&gt;&amp;&#39;)" in row.group(1) and "<b>" not in page
    assert "&lt;OriCriteria&gt;&amp;lt;b&amp;gt;&amp;amp;&lt;/OriCriteria&gt;" in _pre(page, "raw")
    assert "not signed yet" in page  # never sent


def test_dashboard_counts_states_and_draws_the_throughput_chart(ui_world: UiWorld) -> None:
    _fail(ui_world, ui_world.agent_msg)
    page = ui_world.client("agent-engineer").get("/ui/dashboard").get_data(as_text=True)
    assert re.search(r'data-state="FAILED">1<', page) and re.search(r'data-state="QUEUED">1<', page)
    assert "<svg" in page and "Throughput" in page and "GACC" in page


def test_quarantine_shows_only_files_addressed_to_the_callers_enterprises(ui_world: UiWorld) -> None:
    from messages import envelope
    from messages.receipt import BusinessReceipt, to_xml

    def receipt_for(receiver: str) -> bytes:
        body = BusinessReceipt(receipt_id=f"R-{receiver}", message_id="f" * 32, cert_no="E263501000010001",
                               seq_no=1, status_code="STORED", status="海关入库成功", text="t",
                               issued_at=datetime.now(UTC))
        head = envelope.EnvelopeHead(message_id="e" * 32, message_type="CO_RECEIPT", sender_id="GACC",
                                     receiver_id=receiver, send_time=datetime.now(UTC))
        return envelope.to_bytes(envelope.wrap(head, to_xml(body)))

    with ui_world.container.store.transaction() as tx:
        tx.quarantine("GACC", "mine.xml", receipt_for(AGENT.id), "matches no message", datetime.now(UTC))
        tx.quarantine("GACC", "theirs.xml", receipt_for(OTHER.id), "matches no message", datetime.now(UTC))
        tx.quarantine("GACC", "junk.xml", b"not xml", "unreadable", datetime.now(UTC))
    engineer = ui_world.client("agent-engineer").get("/ui/quarantine").get_data(as_text=True)
    assert "mine.xml" in engineer and "theirs.xml" not in engineer and "junk.xml" not in engineer
    admin = ui_world.client("agent-admin").get("/ui/quarantine").get_data(as_text=True)
    assert "mine.xml" in admin and "junk.xml" not in admin and "theirs.xml" not in admin  # a tenant admin too
    add_user(ui_world.container.store, enterprise_id=None, username="gw-operator", password=PASSWORD, role="operator")
    operator = ui_world.client("gw-operator").get("/ui/quarantine").get_data(as_text=True)
    assert "junk.xml" in operator and "mine.xml" not in operator and "theirs.xml" not in operator


def _form_e_fields(page: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', page))
    fields.update(re.findall(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    for name, options in re.findall(r'<select name="(head\.[^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        fields[name] = chosen.group(1) if chosen else "0"
    return fields


COMPLETE = {
    "head.DestCountryCode": "IDN", "head.InvNo": "INV-1", "head.UnloadPort": "JAKARTA", "head.TransDetails": "BY SEA",
    "head.Consignee": "PT BUYER\nJAKARTA", "head.FOBValue": "1000", "head.TotalAmt": "1000",
    "head.Producer": "XIAMEN JINHE", "goods-1.HSCode": "0703200000", "goods-1.GoodsName": "鲜大蒜",
    "goods-1.GoodsNameE": "FRESH GARLIC", "goods-1.PackQty": "10", "goods-1.PackUnit": "BAG", "goods-1.GoodsQty": "100",
    "goods-1.GoodsUnit": "KG", "goods-1.GrossWt": "105", "goods-1.NetWt": "100", "goods-1.InvPrice": "10",
    "goods-1.InvValue": "1000", "goods-1.FOBValue": "1000", "goods-1.ICompPrpr": "0", "goods-1.OriCriteria": "WO",
}


def test_form_e_entry_form_prefills_declares_and_shows_rule_errors_next_to_the_field(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    page = client.get("/ui/certificates/new/E").get_data(as_text=True)
    fields = _form_e_fields(page)
    assert fields["head.AplRegNo"] == AGENT.reg_no and fields["head.EntUscc"] == AGENT.id  # initial values
    assert fields["head.OrgCode"] == "2300"  # carried over from the last Form E of this enterprise
    token = csrf_of(client, "/ui/certificates/new/E")
    form = {**fields, **COMPLETE, "csrf_token": token, "enterprise_id": AGENT.id, "action": "declare",
            "goods-1.OriCriteria": "PSR"}
    r = client.post("/ui/certificates/new/E", data=form)
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    # the rule's error sits in the goods-1 OriCriteriaSub/ICompPrpr cells, with the Chinese field name
    cell = re.search(r'name="goods-1\.OriCriteriaSub"[^>]*>(.*?)</td>', body, re.S)
    assert cell, body
    assert "ORIGIN.E.PSR_SUB_REQUIRED" in cell.group(1) and "原产地子标准" in cell.group(1)
    form.update({"goods-1.OriCriteria": "WO"})
    r = client.post("/ui/certificates/new/E", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    detail = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "数据已发往海关" not in detail and "暂存" in detail  # queued, not sent yet
    certs = client.get("/ui/certificates").get_data(as_text=True)
    assert "E26350100001" in certs and "agent-declarant" in certs  # allocated number, clerk recorded


def test_general_co_entry_form_declares_and_shows_rule_errors_next_to_the_field(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    page = client.get("/ui/certificates/new/C")
    assert page.status_code == 200 and "一般原产地证书 (general CO)" in page.get_data(as_text=True)
    fields = _form_e_fields(page.get_data(as_text=True))
    assert fields["head.AplRegNo"] == AGENT.reg_no and fields["head.EntUscc"] == AGENT.id  # initial values
    assert fields["head.OrgCode"] == "2300"  # no general CO yet: carried over from the agent's Form E
    general = {k: v for k, v in COMPLETE.items() if k not in {"goods-1.ICompPrpr", "goods-1.OriCriteria"}}
    form = {**fields, **general, "csrf_token": csrf_of(client, "/ui/certificates/new/C"), "enterprise_id": AGENT.id,
            "action": "declare", "head.DestCountryCode": "USA", "goods-1.OriCriteria": "WO"}
    r = client.post("/ui/certificates/new/C", data=form)
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    # a general CO carries no origin criterion: the error sits in the goods-1 OriCriteria cell, in English
    # with the manual's Chinese field name
    cell = re.search(r'name="goods-1\.OriCriteria"[^>]*>(.*?)</td>', body, re.S)
    assert cell, body
    assert "ORIGIN.C.NONE_ALLOWED" in cell.group(1) and "原产地标准" in cell.group(1)
    assert "a general certificate (C) has no origin criterion" in cell.group(1)
    assert re.search(r'name="goods-1\.OriCriteria"[^>]*class="invalid"', body)

    form["goods-1.OriCriteria"] = ""
    r = client.post("/ui/certificates/new/C", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    message_id = r.headers["Location"].rsplit("/", 1)[-1]
    detail = ui_world.container.ui_reads.message_detail((AGENT.id,), message_id)
    assert detail is not None and detail["state"] == "QUEUED"
    assert detail["document"]["cert_type"] == "C" and detail["cert_no"].startswith("C26350100001")
    assert "<CertType>C</CertType>" in detail["raw"] and "<DestCountryCode>USA</DestCountryCode>" in detail["raw"]


def test_rcep_form_has_invoices_and_checks_goods_invoice_numbers(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    page = client.get("/ui/certificates/new/RC").get_data(as_text=True)
    assert 'name="inv-1.InvNo"' in page and 'name="goods-1.InvNo"' in page
    fields = _form_e_fields(page)
    assert fields["head.OrgCode"] == "2300"  # no RCEP yet: initial values from the last certificate of any type
    token = csrf_of(client, "/ui/certificates/new/RC")
    form = {**fields, **COMPLETE, "csrf_token": token, "action": "declare", "head.DestCountryCode": "JPN",
            "inv-1.InvNo": "INV-9", "inv-1.Value": "1000", "goods-1.InvNo": "INV-7"}
    body = client.post("/ui/certificates/new/RC", data=form).get_data(as_text=True)
    cell = re.search(r'name="goods-1\.InvNo"[^>]*>(.*?)</td>', body, re.S)
    assert cell and "RCEP.GOODS.INVOICE_UNKNOWN" in cell.group(1)
    added = client.post("/ui/certificates/new/RC", data={**form, "action": "add_goods"}).get_data(as_text=True)
    assert 'name="goods-2.HSCode"' in added


def test_agent_cannot_declare_for_an_enterprise_that_is_not_its_principal(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    token = csrf_of(client, "/ui/certificates/new/E")
    r = client.post("/ui/certificates/new/E", data={"csrf_token": token, "enterprise_id": OTHER.id})
    assert r.status_code == 404


def test_copy_fills_the_form_from_an_existing_certificate_without_its_numbers(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    page = client.get(f"/ui/certificates/new/E?copy={ui_world.agent_msg}").get_data(as_text=True)
    fields = _form_e_fields(page)
    assert fields["goods-2.HSCode"] == "20059999" and fields["head.CertNo"] == "" and fields["head.DocumentNo"] == ""
    assert client.get(f"/ui/certificates/new/E?copy={ui_world.other_msg}").status_code == 404


def test_certificate_query_filters_export_and_statistics(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    page = client.get("/ui/certificates", query_string={"cert_type": "C"}).get_data(as_text=True)
    assert ui_world.principal_msg in page and ui_world.agent_msg not in page
    csv_text = client.get("/ui/certificates/export.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeff证书号") and "E263501000010001" in csv_text
    assert re.search(r"\nC\d{15},C,", csv_text)
    stats = client.get("/ui/statistics").get_data(as_text=True)
    assert stats.count("<svg") == 8  # type, principal, clerk, user × bar, pie
    svg = client.get("/ui/statistics/cert_type.pie.svg")
    assert svg.mimetype == "image/svg+xml" and "attachment" in svg.headers["Content-Disposition"]
    assert "E: 1 (50%)" in svg.get_data(as_text=True)
    assert client.get("/ui/statistics/nothing.pie.svg").status_code == 404
