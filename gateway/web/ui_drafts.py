"""Drafts of the entry form (暂存) and batch declare (批量申报) from the certificate query (seed 001 ch. 4-5),
plus the Excel goods template of the entry form.

Each draft is declared through ``services.drafts.declare_drafts``, which hands it to the same intake
service as the entry form and the ERP API; the result is shown per draft (accepted, or its problems).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from gateway.services.drafts import MAX_BATCH, declare_drafts, delete_drafts, find_draft
from gateway.services.excel_goods import goods_template
from gateway.web import certificate_form as cf
from gateway.web.access import container, current_user, declarant_route, not_found, scope
from gateway.web.api_excel import xlsx_response
from gateway.web.ui_entry import form_post, read_form, render_form

drafts = Blueprint("drafts", __name__, url_prefix="/ui")


@drafts.route("/certificates/drafts/<int:draft_id>", methods=["GET", "POST"])
@declarant_route
def certificate_draft(draft_id: int) -> Any:
    c = container()
    draft = find_draft(c.drafts, scope=scope(), draft_id=draft_id)
    if draft is None or draft.cert_type not in cf.FORM_TYPES:
        not_found(f"draft {draft_id}")
    if draft.declared_message_id:  # declared already: the certificate is the thing to look at now
        return redirect(url_for("declarant.certificate", message_id=draft.declared_message_id))
    if request.method == "POST":
        return form_post(read_form(draft.cert_type), draft)
    form = cf.from_data(draft.cert_type, draft.data)
    form.enterprise_id = draft.enterprise_id
    return render_form(form, draft.issues, draft=draft)


def _selected_ids() -> list[int]:
    """The ticked drafts; any id that is not one of the caller's open drafts answers 404 and nothing happens."""
    raw = list(dict.fromkeys(request.form.getlist("draft_id")))
    if not all(v.isascii() and v.isdigit() and len(v) < 10 for v in raw):
        not_found("draft")
    ids = [int(v) for v in raw]
    if len(ids) > MAX_BATCH:
        return ids  # refused whole by the caller, before anything is looked up
    c = container()
    for draft_id in ids:
        if find_draft(c.drafts, scope=scope(), draft_id=draft_id) is None:
            not_found(f"draft {draft_id}")
    return ids


def _back() -> Any:
    return redirect(url_for("declarant.certificates"), code=303)


@drafts.post("/certificates/drafts/declare")
@declarant_route
def drafts_declare() -> Any:
    ids = _selected_ids()
    if not ids or len(ids) > MAX_BATCH:
        flash(f"批量申报 batch declare: tick 1 to {MAX_BATCH} drafts (勾选暂存证书), {len(ids)} ticked; "
              "nothing was declared", "error")
        return _back()
    c = container()
    user = current_user()
    assert user is not None
    outcomes = declare_drafts(c.drafts, c.store, c.validator, c.clock, scope=scope(), draft_ids=ids,
                              actor=f"ui:{user.username}")
    rows = [{"outcome": o, "issues": [{**i, "field": _field_label(str(i.get("path", "")))} for i in o.issues]}
            for o in outcomes]
    return render_template("drafts_declared.html", rows=rows, declared=sum(1 for o in outcomes if o.declared))


def _field_label(path: str) -> str:
    """Where on the entry form a problem sits: 'goods line 2, OriCriteria' and the like."""
    name = cf.field_of(path)
    if name is None:
        return ""
    where, _, element = name.partition(".")
    if where.startswith("goods-"):
        return f"goods line {where[6:]}, {element}"
    if where.startswith("inv-"):
        return f"invoice {where[4:]}, {element}"
    return element


@drafts.post("/certificates/drafts/delete")
@declarant_route
def drafts_delete() -> Any:
    ids = _selected_ids()
    if not ids or len(ids) > MAX_BATCH:
        flash(f"删除 delete: tick 1 to {MAX_BATCH} drafts (勾选暂存证书), {len(ids)} ticked; nothing was deleted",
              "error")
        return _back()
    c = container()
    done = delete_drafts(c.drafts, c.clock, scope=scope(), draft_ids=ids)
    flash(f"删除 delete: {len(done)} draft(s) deleted" + ("" if len(done) == len(ids) else
                                                         f"; {len(ids) - len(done)} changed meanwhile"))
    return _back()


@drafts.get("/certificates/goods-template.xlsx")
@declarant_route
def goods_template_xlsx() -> Any:
    """The Excel goods template (货物信息导入模板): Chinese headers, element names, one example line."""
    return xlsx_response(goods_template(), "goods-template.xlsx")
