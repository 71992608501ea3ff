"""用户管理: an enterprise admin lists, creates, disables its users and resets their passwords; every change
is audited (who did it); other roles and other enterprises are refused."""

from __future__ import annotations

import re

from gateway.services.people import add_user, login
from tests.integration.ui_world import AGENT, PASSWORD, UiWorld, csrf_of
from tests.integration.ui_world import login as ui_login


def _user_id(world: UiWorld, username: str) -> int:
    with world.container.store.transaction() as tx:
        found = tx.user_by_username(username)
    assert found is not None
    return found.id


def _audit(page: str) -> list[tuple[str, str, str]]:
    table = re.search(r'<table class="audit">(.*?)</table>', page, re.S)
    assert table
    return re.findall(r"<tr><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", table.group(1))


def test_admin_creates_a_user_who_can_log_in_and_the_audit_says_who(ui_world: UiWorld) -> None:
    admin = ui_world.client("agent-admin")
    page = admin.get("/ui/users").get_data(as_text=True)
    assert 'data-user="agent-declarant"' in page and 'data-user="principal-admin"' not in page  # own enterprise only
    token = csrf_of(admin, "/ui/users")
    r = admin.post("/ui/users", data={"csrf_token": token, "username": "wang.fang", "role": "declarant",
                                      "password": "a good long password"})
    assert r.status_code == 303
    page = admin.get("/ui/users").get_data(as_text=True)
    assert 'data-user="wang.fang"' in page and ("ui:agent-admin", "create", "wang.fang") in _audit(page)
    created = login(ui_world.container.store, "wang.fang", "a good long password")
    assert created is not None and created.role == "declarant" and created.enterprise_id == AGENT.id
    newcomer = ui_world.app.test_client()
    ui_login(newcomer, "wang.fang", "a good long password")
    assert newcomer.get("/ui/certificates").status_code == 200


def test_bad_input_is_named_by_field_and_the_password_is_never_echoed(ui_world: UiWorld) -> None:
    admin = ui_world.client("agent-admin")
    token = csrf_of(admin, "/ui/users")
    for data, field, cn in (({"username": "x", "role": "declarant", "password": PASSWORD}, "username", "用户名"),
                            ({"username": "li.lei", "role": "declarant", "password": "short-pw"}, "password", "密码"),
                            ({"username": "li.lei", "role": "operator", "password": PASSWORD}, "role", "角色"),
                            ({"username": "other-admin", "role": "admin", "password": PASSWORD}, "username",
                             "用户名")):
        r = admin.post("/ui/users", data={"csrf_token": token, **data})
        body = r.get_data(as_text=True)
        assert r.status_code == 422, data
        error = re.search(rf'data-field="{field}">([^<]+)</span>', body)
        assert error and cn in error.group(1), (data, body[-3000:])
        assert data["password"] not in body
    assert login(ui_world.container.store, "li.lei", PASSWORD) is None


def test_disable_ends_logins_and_sessions_and_is_audited(ui_world: UiWorld) -> None:
    victim = ui_world.client("agent-declarant")
    assert victim.get("/ui/certificates").status_code == 200
    admin = ui_world.client("agent-admin")
    token = csrf_of(admin, "/ui/users")
    r = admin.post(f"/ui/users/{_user_id(ui_world, 'agent-declarant')}/disable", data={"csrf_token": token})
    assert r.status_code == 303
    assert victim.get("/ui/certificates").status_code == 302  # the open session ended
    assert login(ui_world.container.store, "agent-declarant", PASSWORD) is None
    page = admin.get("/ui/users").get_data(as_text=True)
    assert ("ui:agent-admin", "disable", "agent-declarant") in _audit(page)
    assert re.search(r'data-user="agent-declarant">.*?已停用', page, re.S)
    # the admin cannot lock itself out
    me = _user_id(ui_world, "agent-admin")
    r = admin.post(f"/ui/users/{me}/disable", data={"csrf_token": token})
    assert r.status_code == 409 and "your own account" in r.get_data(as_text=True)
    assert login(ui_world.container.store, "agent-admin", PASSWORD) is not None


def test_reset_password_sets_a_new_one_and_ends_the_users_sessions(ui_world: UiWorld) -> None:
    victim = ui_world.client("agent-engineer")
    admin = ui_world.client("agent-admin")
    token = csrf_of(admin, "/ui/users")
    uid = _user_id(ui_world, "agent-engineer")
    short = admin.post(f"/ui/users/{uid}/password", data={"csrf_token": token, "password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    assert admin.post(f"/ui/users/{uid}/password", data={"csrf_token": token,
                                                         "password": "brand new password"}).status_code == 303
    assert victim.get("/ui/dashboard").status_code == 302
    store = ui_world.container.store
    assert login(store, "agent-engineer", PASSWORD) is None and login(store, "agent-engineer", "brand new password")
    assert ("ui:agent-admin", "reset_password", "agent-engineer") in _audit(admin.get("/ui/users").get_data(
        as_text=True))


def test_only_admins_of_the_same_enterprise_manage_users(ui_world: UiWorld) -> None:
    for role in ("declarant", "engineer"):
        client = ui_world.client(f"agent-{role}")
        assert client.get("/ui/users").status_code == 403
        r = client.post("/ui/users", data={"csrf_token": csrf_of(client, "/login"), "username": "sneaky",
                                           "role": "admin", "password": PASSWORD})
        assert r.status_code == 403
    target = _user_id(ui_world, "agent-declarant")
    for outsider in ("other-admin", "principal-admin"):  # the principal's admin is not the agent's either
        client = ui_world.client(outsider)
        token = csrf_of(client, "/ui/users")
        assert "agent-declarant" not in client.get("/ui/users").get_data(as_text=True)
        assert client.post(f"/ui/users/{target}/disable", data={"csrf_token": token}).status_code == 404
        assert client.post(f"/ui/users/{target}/password", data={"csrf_token": token,
                                                                 "password": "taken over!!"}).status_code == 404
    assert login(ui_world.container.store, "agent-declarant", PASSWORD) is not None
    assert login(ui_world.container.store, "sneaky", PASSWORD) is None


def test_cli_changes_are_audited_too(ui_world: UiWorld) -> None:
    add_user(ui_world.container.store, enterprise_id=AGENT.id, username="from.cli", password=PASSWORD,
             role="engineer")
    page = ui_world.client("agent-admin").get("/ui/users").get_data(as_text=True)
    assert ("cli", "create", "from.cli") in _audit(page)
