"""Who is asking and what they may see: login, the session, CSRF, and the one access check every UI
route uses.

- ``ui_route(*roles)`` wraps every UI view: no session → login page; wrong role → 403; it puts the user
  and their enterprise scope (own enterprise + recorded principals) on ``g``.
- Every query and action takes ``g.scope``; an object outside it answers 404 (``not_found``), the
  same as one that does not exist, so ids of other enterprises cannot even be confirmed.
- CSRF: one random token per session, required on every state-changing UI request (form field
  ``csrf_token`` or header ``X-CSRF-Token``). The ERP API under /api/v1 authenticates every request
  with its key (no cookies), so it is exempt.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, NoReturn
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, session, url_for

from gateway.bootstrap import Container
from gateway.services.people import (
    DECLARANT_ROLES,
    ENGINEER_ROLES,
    PeopleError,
    Role,
    change_own_password,
    end_sessions,
    login,
    user,
    visible_enterprises,
)
from gateway.services.ports import UserInfo
from gateway.web.login_throttle import LoginThrottle

auth = Blueprint("auth", __name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_EXEMPT_PREFIXES = ("/api/",)


def container() -> Container:
    c: Container = current_app.extensions["cogw"]
    return c


def current_user() -> UserInfo | None:
    return g.get("user")


def scope() -> tuple[str, ...]:
    return tuple(g.get("scope", ()))


def filter_args(keys: Iterable[str]) -> dict[str, str]:
    """The query parameters a page re-uses in its links, by name: anything else (``_external``,
    ``_scheme``, a view argument such as ``dimension``) would reach url_for(**args) and change the link."""
    return {k: request.args[k] for k in keys if request.args.get(k)}


def not_found(what: str) -> NoReturn:
    abort(404, description=f"no {what}")


def ensure_in_scope(enterprise_id: str, what: str) -> None:
    if enterprise_id not in scope():
        not_found(what)


def _load_user() -> UserInfo | None:
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    found = user(container().store, uid)
    # The session version moves on at logout, password change and disable: older cookies stop here.
    if found is None or session.get("sv") != found.session_version:
        session.clear()
        return None
    return found


def ui_route(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Require a logged-in user with one of ``roles`` (any role when none given); set g.user and g.scope."""
    allowed: Iterable[Role] = roles or tuple(Role)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            found = _load_user()
            if found is None:
                return redirect(url_for("auth.login_form", next=request.full_path.rstrip("?")))
            if Role(found.role) not in allowed:
                abort(403, description=f"the {found.role} role cannot open this page")
            g.user = found
            g.scope = () if found.role == Role.OPERATOR else visible_enterprises(container().store,
                                                                                  found.enterprise_id)
            return view(*args, **kwargs)

        wrapper.ui_roles = tuple(allowed)  # type: ignore[attr-defined]  # read by the route-matrix test
        return wrapper

    return decorate


engineer_route = ui_route(*ENGINEER_ROLES)
declarant_route = ui_route(*DECLARANT_ROLES)


# --- CSRF -------------------------------------------------------------------------------------------
def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _check_csrf() -> None:
    if request.method in SAFE_METHODS or request.path.startswith(CSRF_EXEMPT_PREFIXES):
        return
    if request.routing_exception is not None:
        return  # no such route or method: the 404/405 runs nothing, so it needs no token (and says Allow)
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf")
    if not (isinstance(expected, str) and sent and hmac.compare_digest(sent, expected)):
        abort(400, description="missing or wrong CSRF token: reload the page and submit the form again")


# --- login / logout ---------------------------------------------------------------------------------
def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect to another host."""
    # Browsers read "/\\host" and "/<tab>/host" as "//host": no backslash or control character at all.
    if (target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc
            and "\\" not in target and "%5c" not in target.lower() and target.isprintable()):
        return target
    return url_for("ui.home")


@auth.get("/login")
def login_form() -> Any:
    return render_template("login.html", next=request.args.get("next", ""))


def throttle() -> LoginThrottle:
    t: LoginThrottle = current_app.extensions["cogw_login_throttle"]
    return t


@auth.post("/login")
def login_submit() -> Any:
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    address, now = request.remote_addr or "?", container().clock.now()
    wait = throttle().wait_seconds(username, address, now)
    if wait:
        return render_template("login.html", next=request.form.get("next", ""),
                               error=f"Too many failed logins: try again in {wait} s (登录失败次数过多).",
                               ), 429, {"Retry-After": str(wait)}
    found = login(container().store, username, password) if username and password else None
    if found is None:
        throttle().failed(username, address, now)
        return render_template("login.html", next=request.form.get("next", ""),
                               error="Wrong username or password (用户名或密码错误)."), 401
    throttle().succeeded(username)
    session.clear()  # a fresh session (and CSRF token) at login: no fixation
    session.permanent = True
    session["uid"] = found.id
    session["sv"] = found.session_version  # no part of the password hash goes into the cookie
    csrf_token()
    return redirect(_safe_next(request.form.get("next")))


@auth.post("/logout")
def logout() -> Any:
    found = _load_user()
    if found is not None:
        end_sessions(container().store, found.id)  # a copy of the cookie kept elsewhere dies too
    session.clear()
    flash("Logged out.")
    return redirect(url_for("auth.login_form"))


@auth.route("/ui/account/password", methods=["GET", "POST"])
@ui_route()
def password_change() -> Any:
    found = current_user()
    assert found is not None
    if request.method == "GET":
        return render_template("password.html")
    try:
        change_own_password(container().store, found.id, current=request.form.get("current", ""),
                            new=request.form.get("new", ""))
    except PeopleError as exc:
        return render_template("password.html", error=str(exc)), 422
    session.clear()
    flash("Password changed: log in again with the new password (密码已修改).")
    return redirect(url_for("auth.login_form"))


def install(app: Flask) -> None:
    """Session cookie settings, the CSRF check and template helpers."""
    from datetime import timedelta

    settings = container_of(app).settings
    app.secret_key = settings.secret_key or secrets.token_urlsafe(32)
    app.config.update(SESSION_COOKIE_SECURE=settings.cookie_secure, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="cogw_session",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours))
    app.before_request(_check_csrf)
    app.extensions["cogw_login_throttle"] = LoginThrottle()
    app.jinja_env.globals.update(csrf_token=csrf_token, current_user=current_user, Role=Role)
    app.register_blueprint(auth)

    @app.after_request
    def _headers(resp: Any) -> Any:
        if not request.path.startswith("/api/"):
            # Everything is vendored: no third-party origin is ever needed.
            resp.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                    "frame-ancestors 'none'; form-action 'self'")
            resp.headers.setdefault("X-Content-Type-Options", "nosniff")
            resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp


def container_of(app: Flask) -> Container:
    c: Container = app.extensions["cogw"]
    return c
