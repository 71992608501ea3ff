"""回执订阅 receipt subscriptions (seed 001 ch. 16): list, create and cancel, by document number,
enterprise or user, pushed by webhook or e-mail. The same service as POST /api/v1/subscriptions checks
every field; its errors are shown next to the field they name, with the manual's Chinese name."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from gateway.services.people import Role
from gateway.services.subscriptions import cancel, subscribe, subscriptions_of
from gateway.web.access import container, current_user, ensure_in_scope, not_found, scope, ui_route

subscriptions = Blueprint("subscriptions", __name__, url_prefix="/ui")
TENANT_ROLES = (Role.ADMIN, Role.ENGINEER, Role.DECLARANT)
SCOPE_CN = {"document": "按业务单据号 by document number", "enterprise": "按企业 by enterprise",
            "user": "按个人 by user"}
CHANNEL_CN = {"webhook": "webhook (HTTP POST, signed)", "email": "e-mail 邮件"}
FORM_FIELDS = ("enterprise_id", "scope", "document_no", "user", "channel", "target")


def _submitters() -> list[str]:
    """Values a by-user subscription matches: the ERP API, and each UI user as ``ui:<username>``."""
    with container().store.transaction() as tx:
        names = [u.username for e in scope() for u in tx.users_of(e)]
    return ["api", *(f"ui:{n}" for n in sorted(set(names)))]


def _page(status: int = 200, *, errors: dict[str, list[dict[str, str]]] | None = None,
          values: dict[str, str] | None = None) -> Any:
    show_cancelled = request.args.get("cancelled") == "1"
    rows = subscriptions_of(container().store, scope(), include_cancelled=show_cancelled)
    user = current_user()
    assert user is not None
    return render_template("subscriptions.html", rows=rows, show_cancelled=show_cancelled, errors=errors or {},
                           values=values or {"enterprise_id": user.enterprise_id, "scope": "document",
                                             "channel": "email"},
                           scopes=SCOPE_CN, channels=CHANNEL_CN, enterprises=scope(), submitters=_submitters(),
                           secrets_enabled=container().secretbox is not None), status


@subscriptions.get("/subscriptions")
@ui_route(*TENANT_ROLES)
def subscription_list() -> Any:
    return _page()


@subscriptions.post("/subscriptions")
@ui_route(*TENANT_ROLES)
def subscription_create() -> Any:
    user = current_user()
    assert user is not None
    values = {k: request.form.get(k, "").strip() for k in FORM_FIELDS}
    enterprise_id = values["enterprise_id"] or user.enterprise_id
    ensure_in_scope(enterprise_id, "such enterprise among yours and your principals")
    # Only what was filled in is sent: a blank optional field is "not given", as in the API.
    body: dict[str, Any] = {k: values[k] for k in ("scope", "channel", "target")}
    body |= {k: values[k] for k in ("document_no", "user") if values[k]}
    secret = request.form.get("secret", "")
    if secret:
        body["secret"] = secret
    c = container()
    result = subscribe(c.store, c.secretbox, c.clock, enterprise_id, body)
    if result.errors:
        errors: dict[str, list[dict[str, str]]] = {}
        for e in result.errors:
            errors.setdefault(e.field, []).append(e.as_dict())
        return _page(422, errors=errors, values=values)
    assert result.subscription is not None
    flash(f"订阅成功: subscription {result.subscription['id']} ({SCOPE_CN[body['scope']]}, {body['channel']} to "
          f"{body['target']}) is active.")
    return redirect(url_for("subscriptions.subscription_list"), code=303)


@subscriptions.post("/subscriptions/<int:subscription_id>/cancel")
@ui_route(*TENANT_ROLES)
def subscription_cancel(subscription_id: int) -> Any:
    c = container()
    if subscription_id > 2**31 - 1 or not cancel(c.store, c.clock, scope(), subscription_id):
        not_found(f"subscription {subscription_id}")
    flash(f"取消订阅: subscription {subscription_id} cancelled; it receives nothing more (the record stays).")
    return redirect(url_for("subscriptions.subscription_list"), code=303)
