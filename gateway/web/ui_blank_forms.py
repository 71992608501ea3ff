"""空白证单管理 blank certificate forms (seed 001 ch. 8, l.1779-1858).

- 空白证单核销: the approved certificates (证书号, 证书类型, 审核起止日期); per certificate the write-off window:
  rows of 空白证单流水号 added by 新增 (typed in) or picked from 未使用的空白证单 (search by number), or filled
  from a page count (返填出口商流水号 for a certificate the enterprise declared itself, 返填代理企业流水号 for one
  its agent declared); tick rows and 核销 (write off against the certificate) or 作废 (void, with a reason);
  刷新 shows the forms of the certificate with their state.
- 空白证单查询: the forms by 空白证单流水号, 类型, 使用证书号, 状态, 领用起止日期 (default: the 自理 forms written off
  or voided); a form's state opens its receipts (空白证单回执).

Each 核销 / 作废 is one message through the intake service (``gateway.services.blank_forms``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from gateway.db.blankform_reads import ANY, STATUS_CN, UNUSED, USED, BlankFormFilter
from gateway.db.ui_reads import CertificateFilter
from gateway.domain.delivery import DocumentStatus
from gateway.domain.families.gacc_blankform import FIELD_CN
from gateway.services import blank_forms as bf
from gateway.services.intake import IntakeResult, Issue
from gateway.services.ports import EnterpriseInfo
from gateway.web import certificate_form as cf
from gateway.web.access import container, current_user, declarant_route, filter_args, not_found, scope
from gateway.web.field_names import named

blank_forms = Blueprint("blank_forms", __name__, url_prefix="/ui")

CERT_KEYS = ("cert_no", "cert_type", "from", "to")
QUERY_KEYS = ("serial", "form_type", "cert_no", "status", "apply_mode", "enterprise", "from", "to")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SERIAL_PATH = re.compile(r"/SerialList/Serial\[(\d+)\]")
PICKER_ROWS = 50


def _day(name: str) -> str:
    value = request.args.get(name, "").strip()
    if value and not _DATE.match(value):
        abort(400, description=f"{name} (起止日期): dates are written YYYY-MM-DD, got {value!r}")
    return value


def _user_enterprise() -> str:
    user = current_user()
    assert user is not None
    return user.enterprise_id or ""


@blank_forms.get("/blank-forms/write-off")
@declarant_route
def certificates() -> Any:
    """空白证单核销 1: the enterprise's approved certificates (l.1784-1788)."""
    a = request.args
    day_from, day_to = _day("from"), _day("to")
    rows = container().ui_reads.certificates(scope(), CertificateFilter(
        cert_no=a.get("cert_no", ""), cert_type=a.get("cert_type", ""), status=DocumentStatus.APPROVED.value))
    rows = [r for r in rows if (not day_from or r["status_at"][:10] >= day_from)
            and (not day_to or r["status_at"][:10] <= day_to)]  # 审核起止日期: the day it was approved
    return render_template("blank_form_certificates.html", rows=rows, args=filter_args(CERT_KEYS),
                           types=cf.FORM_TYPES)


def _certificate(message_id: str) -> dict[str, Any]:
    detail = container().ui_reads.message_detail(scope(), message_id)
    if detail is None or detail["family"] != "gacc_certificate" or detail["document"] is None:
        not_found(f"certificate {message_id}")
    doc = detail["document"]
    if doc["status"] != DocumentStatus.APPROVED.value:
        abort(409, description=f"certificate {doc['cert_no']} is {DocumentStatus(doc['status']).label_cn}"
                               f" ({doc['status']}): blank forms are written off only for an approved (审核通过) one")
    return detail


@dataclass(frozen=True)
class Inputs:
    """The window's other fields, kept across its round trips (no JavaScript)."""

    pages: str = ""  # 核销页数
    reason: str = ""  # 作废原因
    query: str = ""  # 空白证单号 search of the unused forms


def _window(detail: dict[str, Any], rows: list[str], ticked: set[int], inputs: Inputs = Inputs(), *,
            errors: dict[str, list[Issue]] | None = None, general: list[Issue] | None = None,
            status: int = 200) -> Any:
    pages, reason, query = inputs.pages, inputs.reason, inputs.query
    doc, ent = detail["document"], detail["enterprise_id"]
    mode, pool = _pool(detail)
    unused = [s for s in pool["unused"] if s not in rows and (not query or s.startswith(query.strip()))]
    used = container().blankform_reads.for_certificate(scope(), ent, doc["cert_no"])
    return render_template("blank_form_writeoff.html", detail=detail, doc=doc, mode=mode, mode_cn=bf.APPLY_MODES,
                           rows=rows, ticked=ticked, pages=pages, reason=reason, query=query,
                           unused=unused[:PICKER_ROWS], more_unused=len(unused) > PICKER_ROWS,
                           pool_status=pool["status"], used=used, status_cn=STATUS_CN, errors=errors or {},
                           general=general or [], field_cn=FIELD_CN), status


def _form_rows() -> tuple[list[str], set[int]]:
    rows = [s.strip() for s in request.form.getlist("serial")][:500]
    ticked = {int(i) for i in request.form.getlist("pick") if i.isdigit() and 1 <= int(i) <= len(rows)}
    return rows, ticked


@blank_forms.route("/blank-forms/write-off/<message_id>", methods=["GET", "POST"])
@declarant_route
def write_off(message_id: str) -> Any:
    """空白证单核销 2 (l.1790-1838): 新增 / 查询 / 返填, then 核销 or 作废 the ticked rows; 刷新 = GET."""
    detail = _certificate(message_id)
    if request.method == "GET":
        return _window(detail, [], set(), Inputs(query=request.args.get("q", "")))
    rows, ticked = _form_rows()
    keep = Inputs(*(request.form.get(k, "").strip() for k in ("pages", "reason", "q")))
    action = request.form.get("action", "")
    if action == "add_row":  # 新增: one more typed-in row
        return _window(detail, [*rows, ""], ticked, keep)
    if action == "choose":  # 未使用的空白证单 → rows, ticked
        chosen = [s for s in request.form.getlist("unused") if s not in rows]
        rows = [*rows, *chosen]
        return _window(detail, rows, ticked | set(range(len(rows) - len(chosen) + 1, len(rows) + 1)), keep)
    if action == "search":
        return _window(detail, rows, ticked, keep)
    if action == "fill":  # 返填 by 核销页数
        return _fill(detail, rows, ticked, keep)
    if action in ("write_off", "void"):
        return _send(detail, rows, ticked, action, keep)
    abort(400, description=f"action: one of add_row, choose, search, fill, write_off, void; got {action!r}")


def _pool(detail: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """自理 SELF when the enterprise declared the certificate itself, 代理 AGENT when the user's enterprise is the
    agent of the certificate's (l.1816-1828): whose serials are written off."""
    ent, doc = detail["enterprise_id"], detail["document"]
    mode = "SELF" if ent == _user_enterprise() else "AGENT"
    return mode, container().blankform_reads.pool(scope(), ent, doc["cert_type"], mode)


def _fill(detail: dict[str, Any], rows: list[str], ticked: set[int], keep: Inputs) -> Any:
    pages = keep.pages
    mode, pool = _pool(detail)
    if not pages.isdigit() or int(pages) < 1:
        return _window(detail, rows, ticked, errors={"pages": [Issue("BLANKFORM.PAGE_COUNT", "pages",
                       f"核销页数 {pages!r}: the number of pages to write off, at least 1", field_cn="核销页数")]},
                       status=422, inputs=keep)
    try:
        filled = bf.fill(pool["ranges"], [*pool["used"], *rows], int(pages))
    except ValueError as exc:
        return _window(detail, rows, ticked, errors={"pages": [Issue(
            "BLANKFORM.NOT_ENOUGH_FORMS", "pages", f"{exc} ({detail['document']['cert_type']} forms of the"
            f" {bf.APPLY_MODES[mode]} pool)", field_cn="核销页数")]}, status=422, inputs=keep)
    rows = [*rows, *filled]
    return _window(detail, rows, ticked | set(range(len(rows) - len(filled) + 1, len(rows) + 1)), keep)


def _send(detail: dict[str, Any], rows: list[str], ticked: set[int], action: str, keep: Inputs) -> Any:
    doc, ent = detail["document"], detail["enterprise_id"]
    mode, pool = _pool(detail)
    picked = sorted(ticked)
    serials = [rows[i - 1] for i in picked]
    errors: dict[str, list[Issue]] = {}
    if not serials:
        return _window(detail, rows, ticked, general=[Issue("BLANKFORM.NOTHING_TICKED", "pick", "tick (勾选) the blank"
                       " forms to write off or void first", field_cn="空白证单流水号")], status=422, inputs=keep)
    serial_cn = FIELD_CN["Serial"]
    for i, serial in zip(picked, serials, strict=True):  # what customs would refuse, said next to the row
        state = pool["status"].get(serial)
        if state is None and serial.isdigit() and len(serial) == 10:
            errors[f"row-{i}"] = [Issue("BLANKFORM.SERIAL_NOT_ALLOCATED", f"row-{i}", f"{serial} is not a"
                                        f" {doc['cert_type']} blank form of the {bf.APPLY_MODES[mode]} pool",
                                        field_cn=serial_cn)]
        elif state not in (None, UNUSED):
            errors[f"row-{i}"] = [Issue("BLANKFORM.SERIAL_USED", f"row-{i}", f"{serial} is {STATUS_CN[state]}"
                                        f" ({state}): only 未使用 forms can be written off or voided",
                                        field_cn=serial_cn)]
    if errors:
        return _window(detail, rows, ticked, errors=errors, status=422, inputs=keep)
    c = container()
    with c.store.transaction() as tx:
        found = tx.enterprise(ent)
    assert found is not None
    enterprise = EnterpriseInfo(found.id, found.name, found.reg_no)
    user = current_user()
    assert user is not None
    if action == "write_off":
        pages = keep.pages
        result = bf.write_off(c.store, c.validator, c.clock, enterprise, cert_no=doc["cert_no"],
                              form_type=doc["cert_type"], apply_mode=mode, serials=serials,
                              page_count=int(pages) if pages.isdigit() else None, actor=f"ui:{user.username}")
    else:
        result = bf.void(c.store, c.validator, c.clock, enterprise, form_type=doc["cert_type"], cert_no=doc["cert_no"],
                         serials=serials, reason=keep.reason, actor=f"ui:{user.username}")
    if result.outcome in ("accepted", "duplicate"):
        flash(("核销提交成功！" if action == "write_off" else "作废提交成功！") + f" ({', '.join(serials)}; message"
              f" {result.message_id})")
        return redirect(url_for("blank_forms.write_off", message_id=detail["message_id"]), code=303)
    by_field, general = _place(result, picked)
    return _window(detail, rows, ticked, errors=by_field, general=general, status=422, inputs=keep)


def _place(result: IntakeResult, picked: list[int]) -> tuple[dict[str, list[Issue]], list[Issue]]:
    by_field: dict[str, list[Issue]] = {}
    general = []
    for issue in named(result.issues, FIELD_CN):
        serial = _SERIAL_PATH.search(issue.path)
        leaf = issue.path.rsplit("/", 1)[-1]
        if serial and int(serial.group(1)) <= len(picked):
            by_field.setdefault(f"row-{picked[int(serial.group(1)) - 1]}", []).append(issue)
        elif leaf in ("PageCount", "VoidReason"):
            by_field.setdefault("pages" if leaf == "PageCount" else "reason", []).append(issue)
        else:
            general.append(issue)
    return by_field, general


@blank_forms.get("/blank-forms")
@declarant_route
def form_list() -> Any:
    """空白证单查询 (l.1840-1848)."""
    a = request.args
    f = BlankFormFilter(serial=a.get("serial", ""), form_type=a.get("form_type", ""), cert_no=a.get("cert_no", ""),
                        status=a.get("status", USED), apply_mode=a.get("apply_mode", "SELF"),
                        enterprise_id=a.get("enterprise", ""), allocated_from=_day("from"), allocated_to=_day("to"))
    rows = container().blankform_reads.forms(scope(), f)
    page = 200
    return render_template("blank_forms.html", rows=rows[:page], more=len(rows) > page, page=page,
                           args=filter_args(QUERY_KEYS), status=f.status, apply_mode=f.apply_mode,
                           statuses=STATUS_CN, used=USED, any_=ANY, modes=bf.APPLY_MODES, types=cf.FORM_TYPES,
                           scope=scope())


@blank_forms.get("/blank-forms/operations/<message_id>")
@declarant_route
def operation(message_id: str) -> Any:
    """空白证单回执 (l.1850-1856): one write-off / void, its receipts and each form's own."""
    op = container().blankform_reads.operation(scope(), message_id)
    if op is None:
        not_found(f"blank-form write-off or void {message_id}")
    return render_template("blank_form_operation.html", op=op, status_cn=STATUS_CN)
