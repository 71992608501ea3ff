"""Pages for integration engineers: dashboard, message browser and detail, resend, edit-and-resend,
receipt quarantine. Every view goes through ``engineer_route`` and queries inside ``scope()``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from gateway.db.ui_reads import PAGE, MessageFilter, day_range
from gateway.domain.delivery import RESENDABLE, DeliveryState
from gateway.services.people import ENGINEER_ROLES, Role
from gateway.services.resend import EDITABLE_DOCUMENT, ResendResult, edit_and_resend, resend
from gateway.web.access import container, current_user, engineer_route, filter_args, not_found, scope, ui_route
from gateway.web.charts import line_chart

ui = Blueprint("ui", __name__, url_prefix="/ui")


def _actor() -> str:
    user = current_user()
    assert user is not None
    return f"ui:{user.username}"


@ui.get("/")
@ui_route()
def home() -> Any:
    user = current_user()
    assert user is not None
    target = {Role.DECLARANT: "declarant.certificates", Role.OPERATOR: "ui.quarantine"}.get(Role(user.role),
                                                                                          "ui.dashboard")
    return redirect(url_for(target))


@ui.get("/dashboard")
@engineer_route
def dashboard() -> Any:
    c = container()
    data = c.ui_reads.dashboard(scope(), c.clock.now())
    chart = line_chart([t["hour"] for t in data["throughput"]],
                       {"received": [t["received"] for t in data["throughput"]],
                        "done": [t["done"] for t in data["throughput"]]},
                       "Throughput, last 24 hours (messages per hour, UTC)")
    return render_template("dashboard.html", d=data, chart=chart, states=[s.value for s in DeliveryState])


def _filters() -> MessageFilter:
    a = request.args
    try:
        date_from, date_to = day_range(a.get("from", ""), a.get("to", ""))
    except ValueError:
        abort(400, description="from / to: dates are written YYYY-MM-DD")
    return MessageFilter(state=a.get("state", ""), family=a.get("family", ""), authority=a.get("authority", ""),
                         enterprise_id=a.get("enterprise", ""), message_id=a.get("message_id", ""),
                         cert_no=a.get("cert_no", ""), date_from=date_from, date_to=date_to)


MESSAGE_FILTER_KEYS = ("state", "family", "authority", "enterprise", "message_id", "cert_no", "from", "to")


@ui.get("/messages")
@engineer_route
def messages() -> Any:
    rows = container().ui_reads.messages(scope(), _filters(), limit=PAGE + 1)
    return render_template("messages.html", rows=rows[:PAGE], more=len(rows) > PAGE, page=PAGE,
                           args=filter_args(MESSAGE_FILTER_KEYS), states=[s.value for s in DeliveryState],
                           scope=scope())


@ui.get("/messages/<message_id>")
@engineer_route
def message(message_id: str) -> Any:
    detail = container().ui_reads.message_detail(scope(), message_id)
    if detail is None:
        not_found(f"message {message_id}")
    doc_status = detail["document"]["status"] if detail["document"] else None
    editable = (detail["state"] in {DeliveryState.FAILED, DeliveryState.REJECTED}
                or (detail["state"] == DeliveryState.DONE and doc_status in EDITABLE_DOCUMENT))
    return render_template("message.html", m=detail, resendable=detail["state"] in RESENDABLE,
                           editable=editable and not detail["superseded_by"])


@ui.get("/messages/<message_id>/signed.xml")
@engineer_route
def message_signed(message_id: str) -> Any:
    detail = container().ui_reads.message_detail(scope(), message_id)
    if detail is None or not detail["signed"]:
        not_found(f"signed envelope for {message_id}")
    return Response(detail["signed"], mimetype="application/xml",
                    headers={"Content-Disposition": f"attachment; filename={message_id}.xml"})


def _resend(ids: list[str]) -> None:
    c = container()
    wanted = list(dict.fromkeys(ids))
    if len(c.ui_reads.owned_message_ids(scope(), wanted)) != len(wanted):
        not_found("message")  # one id outside the scope: act on none, reveal nothing
    # The delivery service checks the tenant itself: ask it once per enterprise of the caller's scope.
    merged = ResendResult()
    for enterprise_id in scope():
        part = resend(c.store, c.clock, wanted, actor=_actor(), enterprise_id=enterprise_id)
        merged.requeued += part.requeued
        merged.refused.update(part.refused)
    flash(f"{len(merged.requeued)} of {len(wanted)} message(s) queued again (same MessageId).")
    for mid, why in merged.refused.items():
        flash(f"{mid}: {why}", "error")


@ui.post("/messages/<message_id>/resend")
@engineer_route
def message_resend(message_id: str) -> Any:
    _resend([message_id])
    return redirect(url_for("ui.message", message_id=message_id))


MAX_BULK_RETRY = 200  # one request, one transaction per message: keep a click bounded


@ui.post("/messages/retry")
@engineer_route
def messages_retry() -> Any:
    ids = [i for i in request.form.getlist("message_id") if i]
    if not ids:
        flash("Select at least one message to retry.", "error")
    elif len(set(ids)) > MAX_BULK_RETRY:
        flash(f"message_id: at most {MAX_BULK_RETRY} messages per bulk retry, {len(set(ids))} selected; "
              "nothing was resent.", "error")
    else:
        _resend(ids)
    return redirect(url_for("ui.messages", state=request.form.get("state", "")))


#: not_editable: the message's state does not allow an edit (409); rejected / malformed / conflict: 422.
EDIT_STATUS = {"not_editable": 409, "not_found": 404}


@ui.route("/messages/<message_id>/edit", methods=["GET", "POST"])
@engineer_route
def message_edit(message_id: str) -> Any:
    c = container()
    detail = c.ui_reads.message_detail(scope(), message_id)
    if detail is None:
        not_found(f"message {message_id}")
    if request.method == "GET":
        return render_template("message_edit.html", m=detail, raw=detail["raw"], issues=[])
    raw = request.form.get("raw", "").replace("\r\n", "\n")
    result = edit_and_resend(c.store, c.validator, c.clock, detail["enterprise_id"], message_id, raw.encode(),
                             _actor())
    if result.outcome in {"accepted", "duplicate"} and result.message_id:
        flash(f"Edited copy of {message_id} accepted as {result.message_id}; it supersedes {message_id}.")
        return redirect(url_for("ui.message", message_id=result.message_id))
    status = EDIT_STATUS.get(result.outcome, 422)
    return render_template("message_edit.html", m=detail, raw=raw, issues=[i.as_dict() for i in result.issues],
                           outcome=result.outcome, new_id=result.message_id if status == 422 else None), status


@ui.get("/quarantine")
@ui_route(*ENGINEER_ROLES, Role.OPERATOR)
def quarantine() -> Any:
    # Tenant users see files addressed to their enterprises; files addressed to nobody known (they may
    # concern any tenant) only the gateway operator, who belongs to no tenant.
    user = current_user()
    operator = bool(user and user.role == Role.OPERATOR)
    reads = container().ui_reads
    rows = reads.quarantine(scope(), operator=operator)
    return render_template("quarantine.html", rows=rows, total=reads.quarantine_count(scope(), operator=operator))
