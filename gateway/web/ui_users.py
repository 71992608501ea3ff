"""用户管理 users of the admin's own enterprise: list, create with a role, disable, reset a password, and
the audit of who did it. Every action calls services.user_admin; CSRF and the access check as everywhere."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from gateway.services.people import PeopleError, Role
from gateway.services.user_admin import (
    FIELD_CN,
    TENANT_ROLES,
    audit_log,
    create_user,
    disable,
    list_users,
    reset_password,
)
from gateway.web.access import container, current_user, not_found, ui_route

users = Blueprint("users", __name__, url_prefix="/ui")


def _admin() -> Any:
    admin = current_user()
    assert admin is not None
    return admin


def _page(status: int = 200, *, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          row_errors: dict[int, str] | None = None) -> Any:
    c, admin = container(), _admin()
    return render_template("users.html", users=list_users(c.store, admin), events=audit_log(c.store, admin),
                           roles=[r.value for r in TENANT_ROLES], errors=errors or {}, values=values or {},
                           row_errors=row_errors or {}, field_cn=FIELD_CN), status


@users.get("/users")
@ui_route(Role.ADMIN)
def user_list() -> Any:
    return _page()


@users.post("/users")
@ui_route(Role.ADMIN)
def user_create() -> Any:
    values = {"username": request.form.get("username", "").strip(), "role": request.form.get("role", "")}
    try:
        created = create_user(container().store, _admin(), password=request.form.get("password", ""), **values)
    except PeopleError as exc:  # the password is never sent back to the page
        return _page(422, errors={exc.field or "username": str(exc)}, values=values)
    flash(f"User {created.username} created with role {created.role} (用户已创建); tell them their password.")
    return redirect(url_for("users.user_list"), code=303)


@users.post("/users/<int:user_id>/disable")
@ui_route(Role.ADMIN)
def user_disable(user_id: int) -> Any:
    c = container()
    try:
        target = disable(c.store, c.clock, _admin(), user_id)
    except LookupError:
        not_found(f"user {user_id}")
    except PeopleError as exc:
        return _page(409, row_errors={user_id: str(exc)})
    flash(f"User {target.username} disabled (已停用): no more logins, open sessions ended.")
    return redirect(url_for("users.user_list"), code=303)


@users.post("/users/<int:user_id>/password")
@ui_route(Role.ADMIN)
def user_password(user_id: int) -> Any:
    c = container()
    try:
        target = reset_password(c.store, c.clock, _admin(), user_id, request.form.get("password", ""))
    except LookupError:
        not_found(f"user {user_id}")
    except PeopleError as exc:
        return _page(422 if exc.field == "password" else 409, row_errors={user_id: str(exc)})
    flash(f"Password of {target.username} reset (密码已重置); their open sessions ended.")
    return redirect(url_for("users.user_list"), code=303)
