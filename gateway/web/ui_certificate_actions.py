"""Actions of the certificate query (seed 001 ch. 5): delete, archive, amend (更改证), reissue (重发证),
amend-and-reissue (更改重发证) and type conversion (单证转换).

What each status allows comes from ``gateway.domain.certificate_actions``. Amendments are new
CO_APPLICATION documents (CertStatus 1-3 with ModCertificate) declared through the same intake service
as the ERP API, so the XSD and the business rules judge them; delete and archive only hide list rows
(archive once the self-print original was printed: the print status comes from the printing service).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from gateway.db.certificate_marks import Mark
from gateway.domain.certificate_actions import AMENDMENTS, CERT_STATUS, Action, allowed, amendment_mod, refusal
from gateway.services.intake import accept_message
from gateway.services.numbering import NumberingError, allocate_cert_no
from gateway.web import certificate_form as cf
from gateway.web.access import container, current_user, declarant_route, not_found, scope
from gateway.web.print_view import print_statuses
from gateway.web.ui_declarant import STATUS_CN, certificate_data
from gateway.web.ui_entry import cert_codec_bytes

actions = Blueprint("certificate_actions", __name__, url_prefix="/ui")

LIST_MARKS: dict[Action, Mark] = {Action.DELETE: "delete", Action.ARCHIVE: "archive"}
ONE_AT_A_TIME = (*AMENDMENTS, Action.CONVERT, Action.COPY)
TITLES = {Action.AMEND: "更改证 Amendment", Action.REISSUE: "重发证 Reissue",
          Action.AMEND_REISSUE: "更改重发证 Amendment and reissue"}


def _back() -> Any:
    query = request.query_string.decode("ascii", errors="ignore")  # the list's filters, kept across the action
    return redirect(url_for("declarant.certificates") + (f"?{query}" if query else ""), code=303)


def _selected() -> list[dict[str, Any]]:
    """The selected certificates; any id outside the caller's scope answers 404 (and nothing happens)."""
    ids = list(dict.fromkeys(request.form.getlist("message_id")))
    c = container()
    rows = []
    for mid in ids:
        detail = c.ui_reads.message_detail(scope(), mid)
        if detail is None or detail["document"] is None or detail["document"]["deleted"]:
            not_found(f"certificate {mid}")
        rows.append(detail)
    return rows


def _allowed(detail: dict[str, Any], print_status: str = "PENDING") -> frozenset[Action]:
    doc = detail["document"]
    data = certificate_data(detail["raw"]) or {}
    return allowed(doc["status"], str(data.get("head", {}).get("CertStatus", "0")), archived=doc["archived"],
                   print_status=print_status)


def _refusal(action: Action, detail: dict[str, Any], print_status: str) -> str:
    doc = detail["document"]
    return refusal(action, doc["status"], STATUS_CN.get(doc["status"], ""), archived=doc["archived"],
                   cert_type=doc["cert_type"], print_status=print_status)


@actions.post("/certificates/actions")
@declarant_route
def certificate_action() -> Any:
    try:
        action = Action(request.form.get("action", ""))
    except ValueError:
        flash(f"unknown action {request.form.get('action', '')!r}", "error")
        return _back()
    rows = _selected()
    if not rows:
        flash(f"{action.label_cn} {action.value}: select at least one certificate (勾选证书)", "error")
        return _back()
    printed = print_statuses(rows) if action is Action.ARCHIVE else {}  # only archiving depends on printing
    refused = [f"{r['cert_no']}: {_refusal(action, r, printed.get(r['message_id'], 'PENDING'))}"
               for r in rows if action not in _allowed(r, printed.get(r["message_id"], "PENDING"))]
    if refused:
        flash("; ".join(refused), "error")
        return _back()
    if action in ONE_AT_A_TIME:
        if len(rows) != 1:
            flash(f"{action.label_cn} {action.value}: select exactly one certificate", "error")
            return _back()
        return _open_one(action, rows[0])
    c = container()
    mark = LIST_MARKS[action]

    def still_allowed(status: str, archived: bool, print_status: str) -> bool:  # re-checked under the row lock
        return action in allowed(status, archived=archived, print_status=print_status)

    done = c.certificate_marks.mark(scope(), [r["message_id"] for r in rows], mark, c.clock.now(), still_allowed)
    if not done:
        flash(f"{action.label_cn}: the certificates changed meanwhile; nothing was done, please search again", "error")
    else:
        flash(f"{action.label_cn} {action.value}: {', '.join(r['cert_no'] for r in rows)}"
              + (" (still kept by the gateway; 已手动存档 lists them)" if mark == "archive" else ""))
    return _back()


def _open_one(action: Action, detail: dict[str, Any]) -> Any:
    if action in (Action.COPY, Action.CONVERT):
        target = detail["document"]["cert_type"]
        if action is Action.CONVERT:
            target = request.form.get("to", "")
            if target not in cf.FORM_TYPES or target == detail["document"]["cert_type"]:
                flash(f"单证转换 convert: choose another certificate type (目标证书类型) among "
                      f"{', '.join(t for t in cf.FORM_TYPES if t != detail['document']['cert_type'])}", "error")
                return _back()
        return redirect(url_for("declarant.certificate_new", cert_type=target, copy=detail["message_id"]), code=303)
    return redirect(url_for("certificate_actions.amendment", message_id=detail["message_id"], operation=action.value),
                    code=303)


def _original(message_id: str, action: Action) -> tuple[dict[str, Any], dict[str, Any]]:
    detail = container().ui_reads.message_detail(scope(), message_id)
    data = certificate_data(detail["raw"]) if detail and detail["document"] else None
    if detail is None or data is None or detail["document"]["deleted"]:
        not_found(f"certificate {message_id}")
    if detail["document"]["cert_type"] not in cf.FORM_TYPES:
        not_found(f"{action.value} form for certificate type {detail['document']['cert_type']}")
    return detail, data


def _issue_date(detail: dict[str, Any]) -> str:
    """签证日期 of the original: the day of its approval receipt."""
    approved = [r["issued_at"] for r in detail["receipts"] if r["status_code"] == "APPROVED"]
    return (approved[0] if approved else detail["document"]["status_at"])[:10]


@actions.route("/certificates/<message_id>/amend/<operation>", methods=["GET", "POST"])
@declarant_route
def amendment(message_id: str, operation: str) -> Any:
    try:
        action = Action(operation)
    except ValueError:
        action = Action.COPY
    if action not in AMENDMENTS:
        not_found(f"amendment kind {operation}")
    detail, data = _original(message_id, action)
    if action not in _allowed(detail):
        return _render(_form_of(action, detail, data), action, detail,
                       [{"rule": "ACTION.NOT_ALLOWED", "path": "/", "message": _refusal(action, detail, "PENDING")}],
                       409)
    if request.method == "GET":
        return _render(_form_of(action, detail, data), action, detail, [])

    c = container()
    user = current_user()
    assert user is not None
    form = cf.from_request(detail["document"]["cert_type"], request.form)
    form.enterprise_id = detail["enterprise_id"]  # an amendment belongs to the original's enterprise
    form.cert_status = CERT_STATUS[action]
    form.mod = cf.read_mod(request.form, list(_form_of(action, detail, data).mod or {}))
    if request.form.get("action") == "add_goods":
        form.goods.append({n: "" for n, _ in cf.goods_fields(form.cert_type)})
        return _render(form, action, detail, [])
    if not form.head.get("CertNo"):
        try:  # 更改证 / 重发证 generate a new certificate number linked to the original (OldCertNo)
            form.head["CertNo"] = allocate_cert_no(c.store, c.clock, enterprise_id=form.enterprise_id,
                                                   cert_type=form.cert_type)
        except NumberingError as exc:
            return _render(form, action, detail, [{"rule": "NUMBERING", "path": "/Certificate/CertificateHead/CertNo",
                                                   "message": str(exc), "field_cn": cf.cn("CertNo")}], 422)
    if not form.head.get("DocumentNo"):
        form.head["DocumentNo"] = f"UI-{form.head['CertNo']}"
    result = accept_message(c.store, c.validator, c.clock, enterprise_id=form.enterprise_id,
                            raw=cert_codec_bytes(form), actor=f"ui:{user.username}")
    if result.outcome in {"accepted", "duplicate"} and result.message_id:
        flash(f"{action.label_cn} {form.head['CertNo']} declared (申报成功) for {form.mod.get('OldCertNo', '')}; "
              f"waiting for the customs review.")
        return redirect(url_for("declarant.certificate", message_id=result.message_id))
    return _render(form, action, detail, [i.as_dict() for i in result.issues], 422)


def _form_of(action: Action, detail: dict[str, Any], data: dict[str, Any]) -> cf.CertificateForm:
    form = cf.from_data(detail["document"]["cert_type"], data, copy=True)
    form.enterprise_id = detail["enterprise_id"]
    form.cert_status = CERT_STATUS[action]
    form.mod = amendment_mod(action, data.get("head", {}), data.get("mod"),
                             declared_on=detail["created_at"][:10], issued_on=_issue_date(detail))
    return form


def _render(form: cf.CertificateForm, action: Action, detail: dict[str, Any], issues: list[dict[str, Any]],
            status: int = 200) -> Any:
    by_field, general = cf.errors_by_field(issues)
    return render_template("certificate_form.html", form=form, head_fields=cf.head_fields(),
                           goods_fields=cf.goods_fields(form.cert_type), invoice_fields=cf.INVOICE_FORM,
                           type_name=f"{cf.FORM_TYPES[form.cert_type]} — {TITLES[action]} of {detail['cert_no']}",
                           errors=by_field, general=general, issues=issues, scope=(form.enterprise_id,), cn=cf.cn,
                           amend_title=TITLES[action],
                           mod_fields=[(n, cf.MOD_LABELS[n]) for n in (form.mod or {})]), status

