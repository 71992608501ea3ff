"""产品预审 product pre-review (seed 001 ch. 6): the list with its filters and the applications each
(状态, 审核状态) allows (``product_review.application_path``): 变更 change (a form with the product and
its production details), 注销 cancel, 恢复 restore, 删除 delete.

The UI saves and submits in one step (the manual's confirm dialog does the same for deletions), so an
application is one ``ProductPreReview`` message with the record's current state in its head, declared
through the intake service like an ERP push: the XSD and the business rules judge it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from lxml import etree

from gateway.db.product_reads import ProductFilter
from gateway.domain import product_review as pr
from gateway.services.intake import accept_message
from gateway.web.access import container, current_user, declarant_route, not_found, scope

products = Blueprint("products", __name__, url_prefix="/ui")

NS = "urn:cogateway:gacc:product:v1"
ROOT = "/ProductPreReview"
KIND_CN = {"CHANGE": "变更", "CANCEL": "注销", "RESTORE": "恢复", "DELETE": "删除"}
PRODUCT_CN = {"HSCode": "HS编码", "NameCn": "中文名称", "NameEn": "英文名称", "Spec": "规格型号", "Unit": "计量单位",
              "Currency": "币制", "MaterialName": "原料名称", "OriginCountry": "原产国", "UsageUnit": "用料单位",
              **pr.FIELD_CN}
_PATH = re.compile(r"^/ProductPreReview/Product/(?:DetailList/Detail\[(?P<d>\d+)\]/(?P<df>\w+)|(?P<p>\w+))")


def cn(name: str) -> str:
    return PRODUCT_CN.get(name, "")


@products.get("/products")
@declarant_route
def product_list() -> Any:
    a = request.args
    f = ProductFilter(product_no=a.get("product_no", ""), hs_code=a.get("hs_code", ""), name=a.get("name", ""),
                      status=a.get("status", ""), audit=a.get("audit", ""))
    return render_template("products.html", rows=container().product_reads.products(scope(), f), args=a,
                           statuses=pr.Status, audits=pr.Audit, kind_cn=KIND_CN)


def _record(message_id: str) -> dict[str, Any]:
    rec = container().product_reads.product(scope(), message_id)
    if rec is None:
        not_found(f"product pre-review record with application {message_id}")
    return rec


def _refusal(rec: dict[str, Any], kind: str) -> str | None:
    if kind not in rec["kinds"]:
        allowed = ", ".join(f"{k} {KIND_CN[k]}" for k in rec["kinds"]) or "nothing (awaiting review: 已提交)"
        return (f"{kind} {KIND_CN.get(kind, '')} is not allowed on a record in ({rec['status_cn']}, "
                f"{rec['audit_cn']}); allowed: {allowed}")
    return None


@products.post("/products/<message_id>/apply")
@declarant_route
def product_apply(message_id: str) -> Any:
    rec = _record(message_id)
    kind = request.form.get("apply_type", "")
    if kind == "CHANGE":
        return redirect(url_for("products.product_change", message_id=message_id), code=303)
    refused = _refusal(rec, kind) if kind in KIND_CN else f"申请类型 apply_type: unknown application {kind!r}"
    if refused:
        flash(f"{rec['product_no']}: {refused}", "error")
        return redirect(url_for("products.product_list"), code=303)
    result = _submit(rec, kind, rec["product"])
    if result.outcome in {"accepted", "duplicate"}:
        flash(f"{rec['product_no']}: {kind} {KIND_CN[kind]} application submitted (已提交).")
    else:
        flash(f"{rec['product_no']}: {kind} refused: " + "; ".join(
            f"{i.rule} {i.path}: {i.message}" + (f" 【{i.field_cn}】" if i.field_cn else "") for i in result.issues),
              "error")
    return redirect(url_for("products.product_list"), code=303)


@products.route("/products/<message_id>/change", methods=["GET", "POST"])
@declarant_route
def product_change(message_id: str) -> Any:
    rec = _record(message_id)
    refused = _refusal(rec, "CHANGE")
    product = dict(rec["product"] or {})
    if refused:
        return _render(rec, product, [{"rule": "PRODUCT.OPERATION_NOT_ALLOWED", "path": "/", "message": refused}],
                       409)
    if request.method == "GET":
        return _render(rec, product, [])
    product = _from_form(product, request.form)
    result = _submit(rec, "CHANGE", product)
    if result.outcome in {"accepted", "duplicate"} and result.message_id:
        flash(f"{rec['product_no']}: 变更 change submitted (已提交); waiting for the customs review.")
        return redirect(url_for("products.product_list"), code=303)
    return _render(rec, product, [i.as_dict() for i in result.issues], 422)


def _details(product: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = (product.get("DetailList") or {}).get("Detail") or []
    return [dict(d) for d in (found if isinstance(found, list) else [found])]


def _from_form(product: dict[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """The edited product: the same elements in the same (schema) order, values from the form."""
    out: dict[str, Any] = {}
    for name in product:
        if name == "DetailList":
            lines = [{k: form.get(f"d-{i}.{k}", "").strip() for k in line}
                     for i, line in enumerate(_details(product), start=1)]
            out[name] = {"Detail": lines}
        else:
            out[name] = form.get(f"p.{name}", "").strip()
    return out


def _render(rec: dict[str, Any], product: dict[str, Any], issues: list[dict[str, Any]], status: int = 200) -> Any:
    errors: dict[str, list[dict[str, Any]]] = {}
    general = []
    for issue in issues:
        found = _PATH.match(str(issue.get("path", "")))
        name = (f"d-{found['d']}.{found['df']}" if found["d"] else f"p.{found['p']}") if found else None
        if name and name != "p.DetailList":
            errors.setdefault(name, []).append(issue)
        else:
            general.append(issue)
    scalars = [(n, v) for n, v in product.items() if n != "DetailList"]
    details = _details(product)
    return render_template("product_change.html", rec=rec, scalars=scalars, details=details,
                           detail_fields=list(details[0]) if details else [], errors=errors, general=general,
                           issues=issues, cn=cn), status


def _submit(rec: dict[str, Any], kind: str, product: Mapping[str, Any] | None) -> Any:
    c = container()
    user = current_user()
    assert user is not None
    raw = _application_xml(rec, kind, product)
    return accept_message(c.store, c.validator, c.clock, enterprise_id=rec["enterprise_id"], raw=raw,
                          actor=f"ui:{user.username}")


def _application_xml(rec: dict[str, Any], kind: str, product: Mapping[str, Any] | None) -> bytes:
    root = etree.Element(f"{{{NS}}}ProductPreReview", nsmap={None: NS})
    head = etree.SubElement(root, f"{{{NS}}}Head")
    fields = [("DocumentNo", f"UI-PR-{uuid.uuid4().hex[:16]}"), ("ApplyType", kind),
              ("ProductNo", rec["product_no"]), ("PreReviewNo", rec["pre_review_no"]),
              ("CurrentStatus", rec["status"]), ("CurrentAuditStatus", rec["audit"])]
    for name, value in fields:
        if value:
            etree.SubElement(head, f"{{{NS}}}{name}").text = value
    _append(root, "Enterprise", rec["enterprise"])
    if product:
        _append(root, "Product", product)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _append(parent: etree._Element, name: str, value: Any) -> None:
    """Plain data (as ``messages.generic`` decodes it) back to elements; empty optional values are left out."""
    if isinstance(value, list):
        for item in value:
            _append(parent, name, item)
    elif isinstance(value, Mapping):
        element = etree.SubElement(parent, f"{{{NS}}}{name}")
        for k, v in value.items():
            _append(element, k, v)
    elif value not in (None, ""):
        etree.SubElement(parent, f"{{{NS}}}{name}").text = str(value)



