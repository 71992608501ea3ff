"""The buttons of the certificate entry form (seed 001 ch. 4): + goods line, + invoice, 货物信息 Excel 导入,
暂存 save draft and 申报 declare, shared by the new-certificate form and the draft page.

申报 goes through ``accept_message`` (the ERP API's intake); a draft through ``services.drafts``, which
does the same. The Excel import uses ``services.excel_goods`` (the API's ``POST /api/v1/goods/import``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from gateway.services.drafts import DraftError, DraftRecord, declare_drafts, find_draft, save_draft
from gateway.services.excel_goods import COLUMNS as GOODS_COLUMNS
from gateway.services.excel_goods import import_goods
from gateway.services.intake import accept_message
from gateway.services.numbering import NumberingError, allocate_cert_no
from gateway.web import certificate_form as cf
from gateway.web.access import container, current_user, ensure_in_scope, scope
from messages import certificate as cert_codec


def enterprise_choice(form_value: str) -> str:
    user = current_user()
    assert user is not None
    chosen = form_value or user.enterprise_id
    ensure_in_scope(chosen, "such enterprise among yours and your principals")  # agents: principals only
    return chosen


def render_form(form: cf.CertificateForm, issues: list[dict[str, Any]], status: int = 200, *,
                 draft: DraftRecord | None = None, import_errors: list[dict[str, Any]] | None = None,
                 notice: str = "") -> Any:
    by_field, general = cf.errors_by_field(issues)
    return render_template("certificate_form.html", form=form, head_fields=cf.head_fields(),
                           goods_fields=cf.goods_fields(form.cert_type), invoice_fields=cf.INVOICE_FORM,
                           type_name=cf.FORM_TYPES[form.cert_type], errors=by_field, general=general,
                           issues=issues, scope=scope(), cn=cf.cn, entry=True, draft=draft,
                           import_errors=import_errors or [], notice=notice), status


def read_form(cert_type: str) -> cf.CertificateForm:
    """The posted entry form (400 when it cannot be read), its applicant checked against the caller's scope."""
    try:
        form = cf.from_request(cert_type, request.form)
    except cf.FormError as exc:
        abort(400, description=str(exc))
    form.enterprise_id = enterprise_choice(form.enterprise_id)
    return form


def form_post(form: cf.CertificateForm, draft: DraftRecord | None) -> Any:
    """One press of a button of the entry form: add a line, import goods, 暂存 save, or 申报 declare."""
    c = container()
    user = current_user()
    assert user is not None
    action = request.form.get("action")
    if action == "add_goods":
        form.goods.append({n: "" for n, _ in cf.goods_fields(form.cert_type)})
        return render_form(form, [], draft=draft)
    if action == "add_invoice" and form.has_invoices:
        form.invoices.append({n: "" for n, _ in cf.INVOICE_FORM})
        return render_form(form, [], draft=draft)
    if action == "import_goods":
        return _import_goods(form, draft)
    if action == "save_draft" or draft is not None:
        try:
            saved = save_draft(c.drafts, c.clock, scope=scope(), enterprise_id=form.enterprise_id,
                               cert_type=form.cert_type, data=form.to_data(), user=user.username,
                               draft_id=draft.id if draft else None, version=_posted_version())
        except DraftError as exc:
            return render_form(form, [{"rule": "DRAFT.NOT_SAVED", "path": "/", "message": str(exc)}], 409,
                                draft=draft)
        if action == "save_draft":
            flash(f"暂存成功: draft {saved.id} saved, not declared. Declare it here, or tick it in 证书查询 "
                  "for 批量申报 batch declare.")
            return redirect(url_for("drafts.certificate_draft", draft_id=saved.id), code=303)
        return _declare_draft(saved)
    if not form.head.get("CertNo"):
        try:
            form.head["CertNo"] = allocate_cert_no(c.store, c.clock, enterprise_id=form.enterprise_id,
                                                   cert_type=form.cert_type)
        except NumberingError as exc:
            return render_form(form, [{"rule": "NUMBERING", "path": "/Certificate/CertificateHead/CertNo",
                                        "message": str(exc), "field_cn": cf.cn("CertNo")}], 422)
    if not form.head.get("DocumentNo"):
        form.head["DocumentNo"] = f"UI-{form.head['CertNo']}"
    raw = cert_codec_bytes(form)
    result = accept_message(c.store, c.validator, c.clock, enterprise_id=form.enterprise_id, raw=raw,
                            actor=f"ui:{user.username}")
    if result.outcome in {"accepted", "duplicate"} and result.message_id:
        flash(f"Certificate {form.head['CertNo']} declared (申报成功); it is on its way to customs.")
        return redirect(url_for("declarant.certificate", message_id=result.message_id))
    return render_form(form, [i.as_dict() for i in result.issues], 422)


def _posted_version() -> int | None:
    raw = request.form.get("draft_version", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _declare_draft(draft: DraftRecord) -> Any:
    """申报 from a draft's form: the saved draft goes the batch-declare way, as a batch of one."""
    c = container()
    user = current_user()
    assert user is not None
    [outcome] = declare_drafts(c.drafts, c.store, c.validator, c.clock, scope=scope(), draft_ids=[draft.id],
                               actor=f"ui:{user.username}")
    if outcome.declared and outcome.message_id:
        flash(f"Certificate {outcome.cert_no} declared (申报成功); it is on its way to customs.")
        return redirect(url_for("declarant.certificate", message_id=outcome.message_id))
    again = find_draft(c.drafts, scope=scope(), draft_id=draft.id) or draft
    form = cf.from_data(again.cert_type, again.data)
    form.enterprise_id = again.enterprise_id
    return render_form(form, outcome.issues, 409 if outcome.outcome == "changed" else 422, draft=again)


MAX_GOODS_XLSX = 2 * 1024 * 1024  # one certificate's goods sheet; a bigger upload is not a goods template
#: Template columns the entry form has no cell for, and the value that may be left out silently.
SILENT_DEFAULTS = {"GNo": None, "GoodsItemFlag": "0"}


def _import_goods(form: cf.CertificateForm, draft: DraftRecord | None) -> Any:
    """货物信息 Excel 导入: the uploaded template's lines replace the form's goods lines. Every problem names
    its row, column and Chinese header, and then nothing on the form changes."""
    upload = request.files.get("goods_file")
    data = b""
    if upload is not None:
        try:
            data = upload.stream.read(MAX_GOODS_XLSX + 1)
        finally:  # a large upload is spooled to a temporary file: close it now, not at garbage collection
            upload.close()
    problem = ""
    if not data:
        problem = "choose the filled-in goods template (.xlsx) first"
    elif len(data) > MAX_GOODS_XLSX:
        problem = f"at most {MAX_GOODS_XLSX // 1024 // 1024} MB per goods sheet"
    if problem:
        return render_form(form, [], 422, draft=draft, import_errors=[
            {"row": "", "column": "", "header_cn": "货物信息 Excel", "field": "goods_file", "rule": "EXCEL.upload",
             "message": f"goods_file: {problem}"}])
    result = import_goods(data)
    if result.errors:
        return render_form(form, [], 422, draft=draft, import_errors=[e.as_dict() for e in result.errors])
    names = [n for n, _ in cf.goods_fields(form.cert_type)]
    form.goods = [{n: line.get(n, "") for n in names} for line in result.goods]
    left_out = sorted({k for line in result.goods for k, v in line.items()
                       if k not in names and k in _HEADERS and not (k in SILENT_DEFAULTS
                                                                    and SILENT_DEFAULTS[k] in (None, v))})
    notice = (f"{len(result.goods)} goods line(s) imported from the Excel file; they replace the lines that "
              "were on the form. Check them, then 暂存 save or 申报 declare.")
    if left_out:
        notice += (" Not on this entry form, so not imported: "
                   + ", ".join(f"{_HEADERS[k]} ({k})" for k in left_out) + ".")
    return render_form(form, [], draft=draft, notice=notice)


_HEADERS = {col.field: col.header_cn for col in GOODS_COLUMNS}


def cert_codec_bytes(form: cf.CertificateForm) -> bytes:
    from lxml import etree

    return bytes(etree.tostring(cert_codec.encode(form.to_data()), xml_declaration=True, encoding="UTF-8",
                                pretty_print=True))
