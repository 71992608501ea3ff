"""Printing pages (seed 001 ch. 4-5, seed 003 part 2 自助打印): download each kind of print of a
certificate, a batch of them as one file, print exceptions and archiving; 印章及签名管理 (seals and
signatures), 印章签名授权 (authorisation to customs) and 代理打印授权 (agent print authorisation).

Every action calls the services the ERP API calls (gateway.services.printing / self_print). Downloads
are POSTs with the CSRF token: printing an original moves the certificate to PRINTED, which no link
followed from another site may do. Seals, signatures and authorisations need the 法人卡 in the
manual (seed 003 Q4): here the enterprise's admin role, for its own enterprise only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from gateway.db.ui_reads import MessageFilter
from gateway.domain import self_print as rules
from gateway.services import printing
from gateway.services import self_print as sp
from gateway.services.errors import NotFound
from gateway.services.people import Role
from gateway.services.print_ports import StampRecord
from gateway.web import print_view as pv
from gateway.web.access import container, current_user, declarant_route, not_found, scope, ui_route

prints_ui = Blueprint("prints_ui", __name__, url_prefix="/ui")

#: 法人卡 operations (seed 003 Q4: 印章和签名上传、印章和签名授权、代理打印授权必须使用法人卡).
legal_route = ui_route(Role.ADMIN)

COLLECTIONS = {"seals": "SEAL", "signatures": "SIGNATURE"}
TITLES = {"seals": "印章制作 Seals", "signatures": "签名制作 Signatures"}
STAMP_OPS = ("enable", "disable", "default", "undefault", "delete")
FORMATS = {"pdf": "application/pdf", "zip": "application/zip"}


@prints_ui.app_context_processor
def _print_labels() -> dict[str, Any]:
    """Labels the print panel and the certificate query use (they render outside this blueprint too)."""
    return {"print_labels": {"kinds": pv.KIND_LABELS, "layout": pv.LAYOUT_CN, "status": pv.PRINT_STATUS_CN,
                             "reasons": pv.REASONS, "reason_text": rules.REASON_TEXT},
            "problem_text": pv.problem_text}


def _user_name() -> str:
    user = current_user()
    assert user is not None
    return user.username


def _own_enterprise() -> str:
    """Seals, signatures and authorisations belong to the user's own enterprise, never a principal's."""
    user = current_user()
    if user is None or not user.enterprise_id:
        abort(403, description="seals and signatures belong to an enterprise; this account has none")
    return user.enterprise_id


def _refused(exc: sp.SelfPrintRefused) -> str:
    return "; ".join(pv.problem_text(p) for p in exc.problems)


def _download(content: bytes, filename: str, mimetype: str = "application/pdf") -> Response:
    resp = Response(content, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"  # an original is a one-time print
    return resp


# --- prints of one certificate ----------------------------------------------------------------------
def _certificate(message_id: str, *, echo: bool = True) -> dict[str, Any]:
    """The certificate of a message in the caller's scope; anything else answers 404 (``echo``: naming
    the id asked for, which only a path may do: a form's ids are not repeated back)."""
    detail = container().ui_reads.message_detail(scope(), message_id)
    if detail is None or detail["family"] != "gacc_certificate" or not pv.printable(detail):
        not_found(f"certificate {message_id}" if echo else "such certificate among the selected ones")
    return detail


def _back_to(detail: dict[str, Any]) -> Any:
    if request.args.get("from") == "list":  # a button of the certificate query
        return redirect(url_for("declarant.certificates"), code=303)
    return redirect(url_for("declarant.certificate", message_id=detail["message_id"]), code=303)


@prints_ui.post("/certificates/<message_id>/print")
@declarant_route
def print_certificate(message_id: str) -> Any:
    detail = _certificate(message_id)
    kind = request.form.get("kind", "")
    try:
        printed = printing.print_document(container().self_print, detail["enterprise_id"], detail["cert_no"], kind,
                                          hyphenate=request.form.get("hyphenate") == "1",
                                          actor=f"ui:{_user_name()}", printer_id=pv.printer_id())
    except sp.SelfPrintRefused as exc:
        flash(f"{pv.KIND_LABELS.get(kind, (kind, ''))[0]} {detail['cert_no']}: {_refused(exc)}", "error")
        return _back_to(detail)
    return _download(printed.content, printed.filename)


@prints_ui.post("/certificates/<message_id>/print-exceptions")
@declarant_route
def print_exception(message_id: str) -> Any:
    """打印异常申请: a device problem allows a reprint now; missing or wrong content waits for customs."""
    detail = _certificate(message_id)
    reason = request.form.get("reason", "")
    try:
        result = printing.request_exception(container().self_print, detail["enterprise_id"], detail["cert_no"],
                                            reason, request.form.get("detail", ""), actor=f"ui:{_user_name()}")
    except sp.SelfPrintRefused as exc:
        flash(f"打印异常申请 {detail['cert_no']}: {_refused(exc)}", "error")
        return _back_to(detail)
    flash(f"打印异常申请 {result['document_no']} sent to customs ({rules.REASON_TEXT[reason]}): "
          + ("the original can be printed again now." if result["action"] == "REPRINT" else
             "customs generates a new print file; the original waits for it (版式接收中)."))
    return _back_to(detail)


@prints_ui.post("/certificates/<message_id>/print-archive")
@declarant_route
def print_archive(message_id: str) -> Any:
    """归档: a printed certificate is archived; from then on only copies print."""
    detail = _certificate(message_id)
    try:
        printing.archive(container().self_print, detail["enterprise_id"], detail["cert_no"],
                         actor=f"ui:{_user_name()}")
    except sp.SelfPrintRefused as exc:
        flash(f"归档 {detail['cert_no']}: {_refused(exc)}", "error")
        return _back_to(detail)
    flash(f"归档 archived {detail['cert_no']}: only copies (副本) print from now on.")
    return _back_to(detail)


@prints_ui.post("/prints/batch")
@declarant_route
def print_batch() -> Any:
    """批量下载: the ticked certificates of the query, one kind of print each, as one zip or one PDF."""
    query = request.query_string.decode("ascii", errors="ignore")
    back = redirect(url_for("declarant.certificates") + (f"?{query}" if query else ""), code=303)
    kind, fmt = request.form.get("print_kind", ""), request.form.get("print_format", "pdf")
    if fmt not in FORMATS:
        abort(400, description="print_format (文件格式): pdf or zip")
    items = []
    for message_id in dict.fromkeys(request.form.getlist("message_id")):
        detail = _certificate(message_id, echo=False)  # any id outside the scope: 404, nothing printed
        items.append(printing.PrintItem(detail["enterprise_id"], detail["cert_no"], kind))
    if not items:
        flash("批量下载 batch download: select at least one certificate (勾选证书)", "error")
        return back
    try:
        content = printing.print_many(container().self_print, items, as_zip=fmt == "zip",
                                      actor=f"ui:{_user_name()}", printer_id=pv.printer_id())
    except sp.SelfPrintRefused as exc:
        flash(f"批量下载 batch download: nothing was printed: {_refused(exc)}", "error")
        return back
    stamp = container().clock.now().strftime("%Y%m%d-%H%M%S")
    return _download(content, f"prints-{kind}-{stamp}.{fmt}", FORMATS[fmt])


# --- seals and signatures (印章制作 / 签名制作) -------------------------------------------------------
def _collection(name: str) -> str:
    if name not in COLLECTIONS:
        not_found(f"collection {name}")
    return COLLECTIONS[name]


def _filtered(stamps: list[StampRecord]) -> list[StampRecord]:
    """The manual's query conditions: name, 使用状态, 印章类型, 制作日期 from / to."""
    a = request.args
    out = []
    for s in stamps:
        made = s.created_at.date().isoformat()
        if ((a.get("name") and a["name"].strip() not in s.name)
                or (a.get("enabled") in ("1", "0") and s.enabled != (a["enabled"] == "1"))
                or (a.get("seal_type") and s.seal_type != a["seal_type"])
                or (a.get("from") and made < a["from"]) or (a.get("to") and made > a["to"])):
            continue
        out.append(s)
    return out


def _stamps_page(collection: str, errors: dict[str, list[dict[str, str]]] | None = None,
                 form: dict[str, str] | None = None, status: int = 200) -> Any:
    kind = _collection(collection)
    rows = sp.stamps(container().self_print, _own_enterprise(), kind)
    return render_template("stamps.html", collection=collection, kind=kind, title=TITLES[collection],
                           rows=_filtered(rows), total=len(rows), errors=errors or {}, form=form or {},
                           seal_types=rules.SEAL_TYPES, shapes=rules.SEAL_SHAPES, limits=rules.SEAL_LIMITS,
                           signature_limit=rules.SIGNATURE_LIMIT_MM, max_bytes=rules.IMAGE_MAX_BYTES,
                           args={k: v for k, v in request.args.items() if k in ("name", "enabled", "seal_type",
                                                                                 "from", "to")}), status


def stamps(collection: str) -> Any:
    return _stamps_page(collection)


STAMP_FIELDS = ("name", "seal_type", "shape", "width_mm", "height_mm", "valid_from", "valid_to", "holder_name",
                "holder_id_no", "remark")


def stamp_upload(collection: str) -> Any:
    """新增印章 / 新增签名: the scan (PNG or JPEG, decoded before it is kept) with its fields."""
    kind = _collection(collection)
    fields = {k: request.form.get(k, "").strip() for k in STAMP_FIELDS}
    image = b""
    upload = request.files.get("image")
    if upload:
        try:
            image = upload.stream.read(rules.IMAGE_MAX_BYTES + 1)  # one byte more than allowed says "too big"
        finally:
            upload.close()  # a large upload is a temporary file: closed now, not whenever it is collected
    try:
        made = sp.add_stamp(container().self_print, _own_enterprise(), kind, dict(fields), image)
    except sp.SelfPrintRefused as exc:
        errors: dict[str, list[dict[str, str]]] = {}
        for p in exc.problems:
            errors.setdefault(p.field, []).append(p.as_dict())
        return _stamps_page(collection, errors, fields, 422)
    flash(f"{'印章' if kind == 'SEAL' else '签名'} {made.name} saved (保存成功) and enabled; make it the default "
          "and authorise it to customs (印章签名授权) to self-print.")
    return redirect(url_for("prints_ui.stamps_" + collection), code=303)


def stamp_action(collection: str, stamp_id: int) -> Any:
    """启用 / 停用 / 设置默认 / 取消默认 / 删除 (delete only a disabled one)."""
    kind = _collection(collection)
    op = request.form.get("op", "")
    back = url_for("prints_ui.authorisation" if request.form.get("back") == "authorise"
                   else f"prints_ui.stamps_{collection}")
    if op not in STAMP_OPS:
        abort(400, description=f"op: one of {', '.join(STAMP_OPS)}")
    ent, c = _own_enterprise(), container().self_print
    try:
        if op == "delete":
            sp.delete_stamp(c, ent, stamp_id, kind=kind)
        else:
            changes = {"enable": {"enabled": True}, "disable": {"enabled": False}, "default": {"is_default": True},
                       "undefault": {"is_default": False}}[op]
            sp.update_stamp(c, ent, stamp_id, kind=kind, **changes)
    except sp.SelfPrintRefused as exc:
        flash(f"{op} {collection[:-1]} {stamp_id}: {_refused(exc)}", "error")
        return redirect(back, code=303)
    flash(f"{collection[:-1]} {stamp_id}: {op} done")
    return redirect(back, code=303)


def stamp_image(collection: str, stamp_id: int) -> Any:
    found, image = sp.stamp_image(container().self_print, _own_enterprise(), _collection(collection), stamp_id)
    return Response(image, mimetype="image/png" if found.image_format == "PNG" else "image/jpeg",
                    headers={"Cache-Control": "private, no-store"})


def _not_found_as_404(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except NotFound as exc:
            not_found(str(exc).removeprefix("no "))

    return wrapper


# /ui/seals/… and /ui/signatures/…: the same views for both kinds, as in the API
for _name in COLLECTIONS:
    for _rule, _view, _methods in (("", stamps, ["GET"]), ("", stamp_upload, ["POST"]),
                                   ("/<int:stamp_id>", stamp_action, ["POST"]),
                                   ("/<int:stamp_id>/image", stamp_image, ["GET"])):
        prints_ui.add_url_rule(f"/{_name}{_rule}", endpoint=f"{_view.__name__}_{_name}",
                               view_func=legal_route(_not_found_as_404(_view)), methods=_methods,
                               defaults={"collection": _name})


# --- authorisations -------------------------------------------------------------------------------
def _sent(enterprise_id: str, message_type: str, limit: int = 5) -> list[dict[str, Any]]:
    """The latest requests of one type sent to customs, with the newest receipt of each (授权结果)."""
    reads = container().ui_reads
    rows = [r for r in reads.messages((enterprise_id,), MessageFilter(family="gacc_selfprint"))
            if r["message_type"] == message_type][:limit]
    out = []
    for r in rows:
        detail = reads.message_detail((enterprise_id,), r["message_id"])
        receipts = detail["receipts"] if detail else []
        out.append({**r, "receipt": receipts[-1] if receipts else None})
    return out


@prints_ui.get("/seal-authorisation")
@legal_route
def authorisation() -> Any:
    """印章签名授权: choose the default seal and signature, then send them to customs."""
    ent, c = _own_enterprise(), container().self_print
    return render_template("seal_authorisation.html", seals=sp.stamps(c, ent, "SEAL"),
                           signatures=sp.stamps(c, ent, "SIGNATURE"),
                           sent=_sent(ent, "SEAL_SIGNATURE_AUTHORISATION"), seal_types=rules.SEAL_TYPES)


@prints_ui.post("/seal-authorisation")
@legal_route
def authorise() -> Any:
    try:
        result = sp.authorise_to_customs(container().self_print, _own_enterprise(), actor=f"ui:{_user_name()}")
    except sp.SelfPrintRefused as exc:
        flash(f"授权 authorise: {_refused(exc)}", "error")
    else:
        flash(f"授权 sent to customs (message {result.message_id}): the receipt 接收企业电子印章成功 appears below.")
    return redirect(url_for("prints_ui.authorisation"), code=303)


@prints_ui.route("/agent-print-authorisations", methods=["GET", "POST"])
@legal_route
def agent_grants() -> Any:
    """代理打印授权: let an agent (by its 9-character organisation code) print this exporter's originals."""
    ent, c = _own_enterprise(), container().self_print
    errors: list[dict[str, str]] = []
    form = {"agent_org_code": "", "agent_name": "", "authorised": "1"}
    status = 200
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip() for k in form}
        try:
            sp.grant_agent(c, ent, form["agent_org_code"].upper(), form["agent_name"], form["authorised"] == "1",
                           actor=f"ui:{_user_name()}")
        except sp.SelfPrintRefused as exc:
            errors, status = [p.as_dict() for p in exc.problems], 422
        else:
            flash(f"代理打印授权 {form['agent_org_code'].upper()}: "
                  f"{'authorised (是)' if form['authorised'] == '1' else 'withdrawn (否)'}; sent to customs.")
            return redirect(url_for("prints_ui.agent_grants"), code=303)
    by_field: dict[str, list[dict[str, str]]] = {}
    for e in errors:
        by_field.setdefault(e["field"], []).append(e)
    return render_template("agent_print.html", grants=sp.agent_grants(c, ent), errors=by_field, form=form,
                           sent=_sent(ent, "AGENT_PRINT_AUTHORISATION")), status
