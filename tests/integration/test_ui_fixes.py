"""Regression tests for the UI review findings: quarantine tenancy, session revocation, throttled login,
uncapped statistics and export, filter keys in links, form row indexes, bulk-retry cap."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta

import pytest

import gateway.db.ui_reads as ui_reads
from gateway.services.people import add_user
from gateway.web import ui_engineer
from gateway.web.login_throttle import LoginThrottle
from gateway.web.ui_declarant import _cell
from messages import envelope
from messages.receipt import BusinessReceipt, to_xml
from tests.integration.ui_world import AGENT, OTHER, PASSWORD, PRINCIPAL, UiWorld, csrf_of, login


def _receipt_for(world: UiWorld, receiver: str, text: str) -> bytes:
    body = BusinessReceipt(receipt_id=f"R-{text}", message_id=world.other_msg, cert_no="E264403000010001",
                           seq_no=1, status_code="RETURNED", status="退证", text=text, issued_at=datetime.now(UTC))
    head = envelope.EnvelopeHead(message_id="e" * 32, message_type="CO_RECEIPT", sender_id="GACC",
                                 receiver_id=receiver, send_time=datetime.now(UTC))
    return envelope.to_bytes(envelope.wrap(head, to_xml(body)))


def _operator(world: UiWorld) -> None:
    add_user(world.container.store, enterprise_id=None, username="gw-operator", password=PASSWORD, role="operator")


# --- 1. quarantine ------------------------------------------------------------------------------------
def test_a_truncated_file_for_another_tenant_is_shown_to_the_operator_only(ui_world: UiWorld) -> None:
    truncated = _receipt_for(ui_world, OTHER.id, "OTHER-CONFIDENTIAL-REASON")[:-40]  # receiver unreadable
    readable = _receipt_for(ui_world, OTHER.id, "OTHER-READABLE")
    with ui_world.container.store.transaction() as tx:
        tx.quarantine("GACC", "cut.xml", truncated, "MalformedXml", datetime.now(UTC))
        tx.quarantine("GACC", "other.xml", readable, "matches no message", datetime.now(UTC))
    for who in ("agent-admin", "agent-engineer", "other-admin"):
        page = ui_world.client(who).get("/ui/quarantine").get_data(as_text=True)
        assert "OTHER-CONFIDENTIAL-REASON" not in page and "cut.xml" not in page, who
    assert "other.xml" in ui_world.client("other-engineer").get("/ui/quarantine").get_data(as_text=True)
    dashboard = ui_world.client("agent-admin").get("/ui/dashboard").get_data(as_text=True)
    assert re.search(r'id="quarantine-size">0<', dashboard)  # the count is scoped too
    _operator(ui_world)
    operator = ui_world.client("gw-operator")
    assert operator.get("/ui/").headers["Location"].endswith("/ui/quarantine")
    page = operator.get("/ui/quarantine").get_data(as_text=True)
    assert "cut.xml" in page and "other.xml" not in page  # addressed files stay with their tenant
    assert operator.get("/ui/messages").status_code == 403
    assert operator.get(f"/ui/certificates/{ui_world.other_msg}").status_code == 403


def test_the_addressee_is_stored_at_insert_and_an_explicit_one_wins(ui_world: UiWorld) -> None:
    reads = ui_world.container.ui_reads
    with ui_world.container.store.transaction() as tx:
        tx.quarantine("GACC", "a.xml", _receipt_for(ui_world, AGENT.id, "A"), "x", datetime.now(UTC))
        tx.quarantine("GACC", "b.xml", b"<junk", "x", datetime.now(UTC), enterprise_id=PRINCIPAL.id)
    assert [r["file_name"] for r in reads.quarantine((AGENT.id,))] == ["a.xml"]
    assert [r["file_name"] for r in reads.quarantine((PRINCIPAL.id,))] == ["b.xml"]
    assert reads.quarantine_count((AGENT.id, PRINCIPAL.id)) == 2 and reads.quarantine_count((), operator=True) == 0


def test_an_operator_needs_no_enterprise_and_others_need_one(ui_world: UiWorld) -> None:
    from gateway.services.people import PeopleError

    with pytest.raises(PeopleError, match="enterprise"):
        add_user(ui_world.container.store, enterprise_id=AGENT.id, username="op2", password=PASSWORD, role="operator")
    with pytest.raises(PeopleError, match="enterprise"):
        add_user(ui_world.container.store, enterprise_id=None, username="op3", password=PASSWORD, role="admin")


# --- 2. sessions --------------------------------------------------------------------------------------
def _cookie_payload(cookie: str) -> dict[str, object]:
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    data: dict[str, object] = json.loads(zlib.decompress(raw) if cookie.startswith(".") else raw)
    return data


def test_a_cookie_copied_before_logout_no_longer_works(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-engineer")
    cookie = client.get_cookie("cogw_session")
    assert cookie is not None
    with ui_world.container.store.transaction() as tx:
        stored = tx.user_by_username("agent-engineer")
    assert stored is not None
    payload = _cookie_payload(cookie.value)
    assert "pw" not in payload and not any(stored.password_hash[-16:] in str(v) for v in payload.values())
    client.post("/logout", data={"csrf_token": csrf_of(client, "/ui/messages")})
    thief = ui_world.app.test_client()
    thief.set_cookie("cogw_session", cookie.value)
    r = thief.get("/ui/messages")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_password_change_form_needs_the_current_password_and_ends_old_sessions(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    other_device = ui_world.client("agent-declarant")
    token = csrf_of(client, "/ui/account/password")
    assert client.post("/ui/account/password", data={"current": PASSWORD, "new": "x" * 12}).status_code == 400
    wrong = client.post("/ui/account/password", data={"csrf_token": token, "current": "nope", "new": "x" * 12})
    assert wrong.status_code == 422 and "当前密码" in wrong.get_data(as_text=True)
    short = client.post("/ui/account/password", data={"csrf_token": token, "current": PASSWORD, "new": "short"})
    assert short.status_code == 422 and "at least" in short.get_data(as_text=True)
    ok = client.post("/ui/account/password", data={"csrf_token": token, "current": PASSWORD, "new": "new password 42"})
    assert ok.status_code == 302
    assert other_device.get("/ui/certificates").status_code == 302  # every session ended
    login(ui_world.app.test_client(), "agent-declarant", "new password 42")


def _cogw(world: UiWorld, *args: str, password: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_DATABASE_URL": world.container.settings.database_url,
           "COGW_USER_PASSWORD": password}
    return subprocess.run([sys.executable, "-m", "gateway.cli", "user", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_passwd_and_disable_end_sessions(ui_world: UiWorld) -> None:
    engineer, admin = ui_world.client("agent-engineer"), ui_world.client("agent-admin")
    r = _cogw(ui_world, "passwd", "--username", "agent-engineer", password="brand new password")
    assert r.returncode == 0, r.stderr
    assert engineer.get("/ui/messages").status_code == 302
    login(ui_world.app.test_client(), "agent-engineer", "brand new password")
    r = _cogw(ui_world, "disable", "--username", "agent-admin")
    assert r.returncode == 0, r.stderr
    assert admin.get("/ui/messages").status_code == 302
    refused = ui_world.app.test_client()
    r2 = refused.post("/login", data={"username": "agent-admin", "password": PASSWORD,
                                      "csrf_token": csrf_of(refused)})
    assert r2.status_code == 401
    r = _cogw(ui_world, "disable", "--username", "nobody-here")
    assert r.returncode == 2 and "username" in r.stderr
    r = _cogw(ui_world, "add", "--operator", "--username", "ops", password=PASSWORD)
    assert r.returncode == 0 and json.loads(r.stdout)["role"] == "operator", r.stderr


# --- 10. login throttling -----------------------------------------------------------------------------
def test_login_backs_off_per_username_then_lets_the_right_password_in_later(ui_world: UiWorld) -> None:
    class Clock:
        at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

        def now(self) -> datetime:
            return self.at

    clock = Clock()
    ui_world.container.clock = clock  # type: ignore[assignment]
    client = ui_world.app.test_client()
    token = csrf_of(client)
    for _ in range(5):
        r = client.post("/login", data={"username": "agent-admin", "password": "guess", "csrf_token": token})
        assert r.status_code == 401
    r = client.post("/login", data={"username": "agent-admin", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1  # even the right password waits
    other = ui_world.app.test_client()
    r = other.post("/login", data={"username": "agent-admin", "password": PASSWORD, "csrf_token": csrf_of(other)},
                   environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert r.status_code == 429  # per username, whatever the address
    clock.at += timedelta(seconds=2)
    r = client.post("/login", data={"username": "agent-admin", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302


def test_back_off_per_address_doubles_and_is_capped() -> None:
    t = LoginThrottle(free_per_user=100, free_per_address=3, cap_seconds=8)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(3):
        assert t.wait_seconds(f"user{i}", "1.2.3.4", now) == 0
        t.failed(f"user{i}", "1.2.3.4", now)
    assert t.wait_seconds("fresh", "1.2.3.4", now) == 1 and t.wait_seconds("fresh", "5.6.7.8", now) == 0
    for _ in range(5):
        t.failed("x", "1.2.3.4", now)
    assert t.wait_seconds("fresh", "1.2.3.4", now) == 8  # capped
    t.succeeded("x")  # a right password elsewhere does not clear the address
    assert t.wait_seconds("fresh", "1.2.3.4", now + timedelta(seconds=7)) == 1
    assert t.wait_seconds("fresh", "1.2.3.4", now + timedelta(hours=2)) == 0  # forgotten after a quiet hour


# --- 3. statistics, export, paging --------------------------------------------------------------------
def test_statistics_and_export_count_every_certificate_not_one_page(ui_world: UiWorld,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    scope = (AGENT.id, PRINCIPAL.id)
    reads = ui_world.container.ui_reads
    full = reads.statistics(scope)
    assert sum(full["cert_type"].values()) == 2 and full["clerk"] == {"api": 2}
    monkeypatch.setattr(ui_reads, "PAGE", 1)
    monkeypatch.setattr(ui_engineer, "PAGE", 1)
    monkeypatch.setattr("gateway.web.ui_declarant.PAGE", 1)
    assert reads.statistics(scope) == full
    assert len(list(reads.all_certificates(scope, ui_reads.CertificateFilter(), batch=1))) == 2
    client = ui_world.client("agent-admin")
    csv_text = client.get("/ui/certificates/export.csv").get_data(as_text=True)
    assert ui_world.agent_msg in csv_text and ui_world.principal_msg in csv_text
    page = client.get("/ui/certificates").get_data(as_text=True)
    assert 'id="more"' in page and page.count('data-message-id="') == 1
    messages = client.get("/ui/messages").get_data(as_text=True)
    assert 'id="more"' in messages


def test_csv_cells_that_excel_would_run_as_formulas_are_quoted() -> None:
    assert [_cell(v) for v in ("=1+1", "+x", "-2", "@SUM(A1)", "E26", "")] == ["'=1+1", "'+x", "'-2", "'@SUM(A1)",
                                                                            "E26", ""]


# --- 6. filter keys -----------------------------------------------------------------------------------
def test_unknown_query_parameters_never_reach_the_links(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-admin")
    for path in ("/ui/statistics?dimension=x", "/ui/statistics?_method=x&kind=y", "/ui/certificates?_anchor=%22x",
                 "/ui/messages?_external=1"):
        assert client.get(path).status_code == 200, path
    body = client.get("/ui/certificates?_external=1&_scheme=javascript&x=%0Aalert(1)&cert_type=E").get_data(
        as_text=True)
    hrefs = re.findall(r'href="([^"]*)"', body)
    assert hrefs and all(h.startswith("/") for h in hrefs), hrefs
    assert any("export.csv?cert_type=E" in h for h in hrefs)  # the real filters are still carried


# --- 7. form rows -------------------------------------------------------------------------------------
def test_form_row_numbers_must_be_ascii_digits_and_rows_are_capped(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    token = csrf_of(client, "/ui/certificates/new/E")
    r = client.post("/ui/certificates/new/E", data={"csrf_token": token, "action": "add_goods",
                                                    "goods-\u00b2.HSCode": "1"})
    assert r.status_code == 200 and 'name="goods-1.HSCode"' in r.get_data(as_text=True)
    many = {f"goods-{i}.HSCode": "1" for i in range(1, 202)}
    r = client.post("/ui/certificates/new/E", data={"csrf_token": token, "action": "add_goods", **many})
    assert r.status_code == 400 and "at most 200" in r.get_data(as_text=True)


# --- 11. bulk retry -----------------------------------------------------------------------------------
def test_bulk_retry_refuses_more_than_the_cap_and_changes_nothing(ui_world: UiWorld) -> None:
    with ui_world.container.store.transaction() as tx:
        msg = tx.message_by_message_id(ui_world.agent_msg)
        assert msg is not None and tx.transition(msg.pk, "FAILED", actor="t", reason="x", last_error="boom")
    client = ui_world.client("agent-engineer")
    ids = [ui_world.agent_msg, *(f"{i:032x}" for i in range(200))]
    r = client.post("/ui/messages/retry", data={"csrf_token": csrf_of(client, "/ui/messages"), "message_id": ids},
                    follow_redirects=True)
    assert "at most 200" in r.get_data(as_text=True)
    assert ui_world.container.ui_reads.message_detail((AGENT.id,), ui_world.agent_msg)["state"] == "FAILED"


# --- open redirect after login (reviewer R1) ----------------------------------------------------------
def test_login_next_with_backslashes_or_control_characters_stays_on_site(ui_world: UiWorld) -> None:
    for nxt in ("/\\evil.example/", "/\t/evil.example/", "/%5Cevil.example"):
        client = ui_world.app.test_client()
        r = client.post("/login", data={"username": "agent-engineer", "password": PASSWORD,
                                         "csrf_token": csrf_of(client), "next": nxt})
        assert r.headers["Location"] == "/ui/", nxt
