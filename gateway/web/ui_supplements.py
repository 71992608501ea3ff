"""出口报关单补录 export declaration supplement (seed 004; seed 001 ch. 9, l.1859-1909).

- 报关单号补录: the approved (审核通过) GACC certificates with the manual's conditions (证明类型, 出口商代码,
  证明创建日期, 证明号), each with 补录; a CCPIT certificate (贸促会原产地证书) is named by its number. 补录 asks
  是否实际出口 (yes: the 18-digit export declaration numbers separated by ';', no: none) and 提交 sends an
  ``ExportDeclarationSupplement`` through the intake service (``gateway.services.supplements``): the XSD
  and the family's rules judge it, errors appear next to the field.
- 补录信息查询: the supplements with their state (final: 海关接收成功), 详情 with every operation and its
  receipts, 新增 (a second supplement of further numbers), 删除 and 刷新.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from gateway.db.supplement_reads import STATUS_CN, SupplementFilter
from gateway.db.ui_reads import CertificateFilter, day_range
from gateway.domain.delivery import DocumentStatus
from gateway.domain.families.gacc_supplement import FIELD_CN
from gateway.services.intake import IntakeResult
from gateway.services.ports import EnterpriseInfo
from gateway.services.supplements import OPERATIONS, submit_supplement
from gateway.web import certificate_form as cf
from gateway.web.access import container, current_user, declarant_route, ensure_in_scope, filter_args, not_found, scope
from gateway.web.field_names import named

supplements = Blueprint("supplements", __name__, url_prefix="/ui")

CERT_KEYS = ("cert_type", "enterprise", "from", "to", "cert_no")
QUERY_KEYS = ("cert_no", "authority", "status", "enterprise", "from", "to")
AUTHORITIES = {"GACC": "海关原产地证书", "CCPIT": "贸促会原产地证书"}
_HEAD = "/ExportDeclarationSupplement/SupplementHead/"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _actor() -> str:
    user = current_user()
    assert user is not None
    return f"ui:{user.username}"


def _enterprise(enterprise_id: str) -> EnterpriseInfo:
    with container().store.transaction() as tx:
        ent = tx.enterprise(enterprise_id)
    if ent is None:
        not_found(f"enterprise {enterprise_id}")
    return EnterpriseInfo(ent.id, ent.name, ent.reg_no)


def _day(name: str) -> str:
    value = request.args.get(name, "").strip()
    if value and not _DATE.match(value):
        abort(400, description=f"{name} (起止日期): dates are written YYYY-MM-DD, got {value!r}")
    return value


@supplements.get("/supplements/certificates")
@declarant_route
def certificates() -> Any:
    """报关单号补录: only approved certificates can be supplemented (seed 004 l.103)."""
    a = request.args
    try:
        date_from, date_to = day_range(a.get("from", ""), a.get("to", ""))
    except ValueError:
        abort(400, description="from / to (证明创建日期): dates are written YYYY-MM-DD")
    c = container()
    rows = c.ui_reads.certificates(scope(), CertificateFilter(
        cert_no=a.get("cert_no", ""), cert_type=a.get("cert_type", ""), status=DocumentStatus.APPROVED.value,
        enterprise_id=a.get("enterprise", ""), date_from=date_from, date_to=date_to))
    known = {(s["enterprise_id"], s["cert_no"]): s for s in c.supplement_reads.supplements(
        scope(), SupplementFilter(authority="GACC"))}
    for r in rows:
        r["supplement"] = known.get((r["enterprise_id"], r["cert_no"]))
    return render_template("supplement_certificates.html", rows=rows, args=filter_args(CERT_KEYS),
                           types=cf.FORM_TYPES, scope=scope())


def _approved_certificate(message_id: str) -> dict[str, Any]:
    detail = container().ui_reads.message_detail(scope(), message_id)
    if detail is None or detail["family"] != "gacc_certificate" or detail["document"] is None:
        not_found(f"certificate {message_id}")
    doc = detail["document"]
    if doc["status"] != DocumentStatus.APPROVED.value:
        abort(409, description=f"certificate {doc['cert_no']} is {DocumentStatus(doc['status']).label_cn}"
                               f" ({doc['status']}): only approved (审核通过) certificates are supplemented (补录)")
    return detail


def _errors(result: IntakeResult) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    by_field: dict[str, list[dict[str, Any]]] = {}
    general = []
    for issue in named(result.issues, FIELD_CN):
        data = issue.as_dict()
        field = issue.path.removeprefix(_HEAD) if issue.path.startswith(_HEAD) else ""
        if field in ("ExportedFlag", "DeclarationNos", "CertNo"):
            by_field.setdefault(field, []).append(data)
        else:
            general.append(data)
    return by_field, general


def _form(title: str, authority: str, cert_no: str, enterprise_id: str, operation: str, *,
          values: dict[str, str] | None = None, result: IntakeResult | None = None, status: int = 200,
          cert_editable: bool = False) -> Any:
    by_field, general = _errors(result) if result is not None else ({}, [])
    return render_template("supplement_form.html", title=title, authority=authority, authority_cn=AUTHORITIES,
                           cert_no=cert_no, enterprise_id=enterprise_id, operation=operation,
                           operation_cn=OPERATIONS[operation], values=values or {}, errors=by_field, general=general,
                           issues=result.issues if result is not None else [], cert_editable=cert_editable,
                           scope=scope(), field_cn=FIELD_CN), status


def _send(enterprise_id: str, authority: str, cert_no: str, operation: str) -> tuple[IntakeResult, dict[str, str]]:
    values = {"exported": request.form.get("exported", ""), "declaration_nos": request.form.get("declaration_nos", "")}
    exported = values["exported"] if values["exported"] in ("0", "1") else None
    c = container()
    result = submit_supplement(c.store, c.validator, c.clock, _enterprise(enterprise_id), authority=authority,
                               cert_no=cert_no, operation=operation, exported=exported,
                               declaration_nos=values["declaration_nos"], actor=_actor())
    return result, values


def _sent(result: IntakeResult, enterprise_id: str, authority: str, cert_no: str, operation: str) -> Any:
    flash(f"{cert_no}: {OPERATIONS[operation]} submitted (提交成功, message {result.message_id}); the final state is"
          " 海关接收成功.")
    found = container().supplement_reads.of_certificate(scope(), enterprise_id, authority, cert_no)
    assert found is not None  # just accepted
    return redirect(url_for("supplements.supplement_detail", supplement_id=found["supplement_id"]), code=303)


def _refuse_unless_allowed(enterprise_id: str, authority: str, cert_no: str, operation: str) -> None:
    found = container().supplement_reads.of_certificate(scope(), enterprise_id, authority, cert_no)
    allowed = found["allowed"] if found else ["ADD"]
    if operation not in allowed:
        now = f"{found['status_cn']} ({found['status']})" if found else "not supplemented"
        hint = ", ".join(f"{k} {OPERATIONS[k]}" for k in allowed) or "nothing until customs answers (已发送)"
        abort(409, description=f"certificate {cert_no} is {now}: {operation} {OPERATIONS[operation]} is not allowed;"
                               f" allowed: {hint}")


@supplements.route("/supplements/certificates/<message_id>/declare", methods=["GET", "POST"])
@declarant_route
def declare(message_id: str) -> Any:
    """补录 of one approved GACC certificate (seed 004 l.105-115)."""
    detail = _approved_certificate(message_id)
    cert_no, ent = detail["document"]["cert_no"], detail["enterprise_id"]
    _refuse_unless_allowed(ent, "GACC", cert_no, "ADD")
    if request.method == "GET":
        return _form("报关单号补录", "GACC", cert_no, ent, "ADD")
    result, values = _send(ent, "GACC", cert_no, "ADD")
    if result.outcome in ("accepted", "duplicate"):
        return _sent(result, ent, "GACC", cert_no, "ADD")
    return _form("报关单号补录", "GACC", cert_no, ent, "ADD", values=values, result=result, status=422)


@supplements.route("/supplements/ccpit", methods=["GET", "POST"])
@declarant_route
def declare_ccpit() -> Any:
    """补录 of a CCPIT certificate (贸促会原产地证书, l.1885-1893), named by its number: CCPIT checks it is approved."""
    user = current_user()
    assert user is not None
    if request.method == "GET":
        return _form("报关单号补录 (贸促会)", "CCPIT", "", user.enterprise_id or "", "ADD", cert_editable=True)
    ent = request.form.get("enterprise", "") or (user.enterprise_id or "")
    ensure_in_scope(ent, "such enterprise among yours and your principals")
    cert_no = request.form.get("cert_no", "").strip().upper()
    _refuse_unless_allowed(ent, "CCPIT", cert_no, "ADD")
    result, values = _send(ent, "CCPIT", cert_no, "ADD")
    if result.outcome in ("accepted", "duplicate"):
        return _sent(result, ent, "CCPIT", cert_no, "ADD")
    return _form("报关单号补录 (贸促会)", "CCPIT", cert_no, ent, "ADD", values=values, result=result, status=422,
                 cert_editable=True)


@supplements.get("/supplements")
@declarant_route
def supplement_list() -> Any:
    """补录信息查询 (l.1895-1908)."""
    a = request.args
    f = SupplementFilter(cert_no=a.get("cert_no", ""), authority=a.get("authority", ""), status=a.get("status", ""),
                         enterprise_id=a.get("enterprise", ""), date_from=_day("from"), date_to=_day("to"))
    rows = container().supplement_reads.supplements(scope(), f)
    return render_template("supplements.html", rows=rows, args=filter_args(QUERY_KEYS), statuses=STATUS_CN,
                           authorities=AUTHORITIES, scope=scope())


def _supplement(supplement_id: str) -> dict[str, Any]:
    found = container().supplement_reads.supplement(scope(), supplement_id)
    if found is None:
        not_found(f"export declaration supplement {supplement_id}")
    return found


@supplements.get("/supplements/<supplement_id>")
@declarant_route
def supplement_detail(supplement_id: str) -> Any:
    return render_template("supplement.html", s=_supplement(supplement_id), authorities=AUTHORITIES,
                           operations=OPERATIONS)


@supplements.route("/supplements/<supplement_id>/add-again", methods=["GET", "POST"])
@declarant_route
def add_again(supplement_id: str) -> Any:
    """新增: 对当前证明进行二次补录报关单号 (l.1900)."""
    s = _supplement(supplement_id)
    _refuse_unless_allowed(s["enterprise_id"], s["authority"], s["cert_no"], "ADD_AGAIN")
    title = "新增 二次补录"
    if request.method == "GET":
        return _form(title, s["authority"], s["cert_no"], s["enterprise_id"], "ADD_AGAIN", values={"exported": "1"})
    result, values = _send(s["enterprise_id"], s["authority"], s["cert_no"], "ADD_AGAIN")
    if result.outcome in ("accepted", "duplicate"):
        return _sent(result, s["enterprise_id"], s["authority"], s["cert_no"], "ADD_AGAIN")
    return _form(title, s["authority"], s["cert_no"], s["enterprise_id"], "ADD_AGAIN", values=values, result=result,
                 status=422)


@supplements.post("/supplements/<supplement_id>/delete")
@declarant_route
def delete(supplement_id: str) -> Any:
    """删除: 删除当前证明的补录结果; 删除成功的证明可以在补录界面重新查询补录 (l.1902)."""
    s = _supplement(supplement_id)
    _refuse_unless_allowed(s["enterprise_id"], s["authority"], s["cert_no"], "DELETE")
    c = container()
    result = submit_supplement(c.store, c.validator, c.clock, _enterprise(s["enterprise_id"]), authority=s["authority"],
                               cert_no=s["cert_no"], operation="DELETE", exported=None, declaration_nos=None,
                               actor=_actor())
    if result.outcome in ("accepted", "duplicate"):
        flash(f"{s['cert_no']}: 删除 submitted (message {result.message_id}).")
    else:
        flash(f"{s['cert_no']}: 删除 refused: " + "; ".join(f"{i.rule}: {i.message}" for i in result.issues), "error")
    return redirect(url_for("supplements.supplement_detail", supplement_id=supplement_id), code=303)
