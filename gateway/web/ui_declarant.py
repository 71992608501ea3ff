"""Pages for declarants (seed 001): certificate query (ch. 5), certificate entry (ch. 4), statistics
(ch. 11). Declaring goes through the same intake service as the ERP API."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, stream_with_context

from gateway.db.ui_reads import PAGE, CertificateFilter, day_range
from gateway.domain.certificate_actions import Action, allowed
from gateway.domain.delivery import DocumentStatus
from gateway.services.drafts import open_drafts
from gateway.services.excel_exports import certificate_list
from gateway.web import certificate_form as cf
from gateway.web.access import (
    container,
    current_user,
    declarant_route,
    filter_args,
    not_found,
    scope,
)
from gateway.web.api_excel import xlsx_response
from gateway.web.chart_png import bar_png, pie_png
from gateway.web.charts import bar_chart, pie_chart
from gateway.web.print_view import certificate_prints, list_prints
from gateway.web.ui_entry import form_post, read_form, render_form
from messages import certificate as cert_codec
from messages import envelope, safexml

declarant = Blueprint("declarant", __name__, url_prefix="/ui")

STATUS_CN = {s.value: s.label_cn for s in DocumentStatus}
ARCHIVED = "ARCHIVED"  # the list filter 已手动存档: archived certificates only
DIMENSIONS = {"cert_type": "证书类型 certificate type", "enterprise_id": "委托人/企业 principal",
              "clerk": "制单员 clerk (who declared)", "user": "用户 user account"}


def _date_range() -> tuple[Any, Any]:
    try:
        return day_range(request.args.get("from", ""), request.args.get("to", ""))
    except ValueError:
        abort(400, description="from / to (起止日期): dates are written YYYY-MM-DD")


def _cert_filter() -> CertificateFilter:
    a = request.args
    date_from, date_to = _date_range()
    archived = a.get("status", "") == ARCHIVED
    return CertificateFilter(cert_no=a.get("cert_no", ""), cert_type=a.get("cert_type", ""),
                             status="" if archived else a.get("status", ""), archived=archived,
                             dest_country=a.get("dest_country", ""), document_no=a.get("document_no", ""),
                             enterprise_id=a.get("enterprise", ""), date_from=date_from, date_to=date_to)


CERT_FILTER_KEYS = ("cert_no", "cert_type", "status", "dest_country", "document_no", "enterprise", "from", "to")
DATE_KEYS = ("from", "to")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@declarant.get("/certificates")
@declarant_route
def certificates() -> Any:
    rows = container().ui_reads.certificates(scope(), _cert_filter(), limit=PAGE + 1)
    prints = list_prints(rows[:PAGE])
    for r in rows[:PAGE]:
        print_status = prints.get(r["message_id"], {}).get("print_status", "PENDING")
        r["actions"] = sorted(a.value for a in allowed(r["status"], archived=r["archived"], print_status=print_status))
    drafts = open_drafts(container().drafts, scope=scope(), cert_type=request.args.get("cert_type", ""),
                         enterprise_id=request.args.get("enterprise", ""), limit=PAGE)
    return render_template("certificates.html", rows=rows[:PAGE], more=len(rows) > PAGE, page=PAGE,
                           args=filter_args(CERT_FILTER_KEYS), status_cn=STATUS_CN, types=cf.FORM_TYPES,
                           scope=scope(), actions=Action, archived=ARCHIVED, drafts=drafts, prints=prints)


def _cell(value: str) -> str:
    """A cell Excel will not run as a formula (CSV injection): a leading ' makes it text."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


@declarant.get("/certificates/export.xlsx")
@declarant_route
def certificates_xlsx() -> Any:
    """Excel 导出 (ch. 5): the certificates created within one month, of every enterprise the list shows
    (an agent's principals too), through the same export service as the ERP API."""
    c = container()
    return xlsx_response(certificate_list(c.erp_store, scope(), c.clock.now()), "certificates.xlsx")


@declarant.get("/certificates/export.csv")
@declarant_route
def certificates_export() -> Any:
    """The filtered list, every matching row whatever its age (the page shows 200): CSV with a BOM, which
    Excel opens with the Chinese text intact."""
    rows = container().ui_reads.all_certificates(scope(), _cert_filter())  # every row, read in batches

    def lines() -> Iterator[str]:
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["证书号 CertNo", "证书类型 CertType", "状态 Status", "目的国 Dest", "单据编号 DocumentNo",
                    "企业 Enterprise", "制单员 Clerk", "创建时间 Created", "MessageId"])
        yield "\ufeff" + out.getvalue()
        for r in rows:
            out.seek(0)
            out.truncate()
            w.writerow([_cell(str(v)) for v in (
                r["cert_no"], r["cert_type"], STATUS_CN.get(r["status"], r["status"]), r["dest_country"],
                r["document_no"], r["enterprise_id"], r["clerk"], r["created_at"], r["message_id"])])
            yield out.getvalue()

    return Response(stream_with_context(lines()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=certificates.csv"})


def certificate_data(raw: str) -> dict[str, Any] | None:
    try:
        root = safexml.parse(raw.encode())
        if root.tag == envelope.ROOT:
            _, root = envelope.unwrap(root)
        return cert_codec.decode(root).data
    except Exception:  # a rejected document may be anything the ERP sent; show it raw then
        return None


@declarant.get("/certificates/<message_id>")
@declarant_route
def certificate(message_id: str) -> Any:
    detail = container().ui_reads.message_detail(scope(), message_id)
    if detail is None or detail["family"] != "gacc_certificate":
        not_found(f"certificate {message_id}")
    return render_template("certificate.html", m=detail, data=certificate_data(detail["raw"]), status_cn=STATUS_CN,
                           field_cn=cf.cn, prints=certificate_prints(detail))


@declarant.route("/certificates/new/<cert_type>", methods=["GET", "POST"])
@declarant_route
def certificate_new(cert_type: str) -> Any:
    if cert_type not in cf.FORM_TYPES:
        not_found(f"entry form for certificate type {cert_type}")
    c = container()
    user = current_user()
    assert user is not None
    if request.method == "GET":
        copy_of = request.args.get("copy", "")
        if copy_of:
            detail = c.ui_reads.message_detail(scope(), copy_of)
            data = certificate_data(detail["raw"]) if detail else None
            if data is None:
                not_found(f"certificate {copy_of}")
            form = cf.from_data(cert_type, data, copy=True)
            form.enterprise_id = detail["enterprise_id"] if detail else ""
            return render_form(form, [])
        return render_form(_initial_form(cert_type, user.enterprise_id), [])
    return form_post(read_form(cert_type), None)


def _initial_form(cert_type: str, enterprise_id: str) -> cf.CertificateForm:
    c = container()
    with c.store.transaction() as tx:
        ent = tx.enterprise(enterprise_id)
    assert ent is not None
    # the last accepted certificate of this type, else of any type, carries the rarely-changing values
    same = c.ui_reads.certificates((enterprise_id,), CertificateFilter(cert_type=cert_type))
    previous_head = None
    for row in [*same, *c.ui_reads.certificates((enterprise_id,), CertificateFilter())]:
        if row["state"] != "REJECTED":
            detail = c.ui_reads.message_detail((enterprise_id,), row["message_id"])
            data = certificate_data(detail["raw"]) if detail else None
            previous_head = data["head"] if data else None
            break
    form = cf.initial(cert_type, enterprise_id=ent.id, enterprise_name=ent.name, reg_no=ent.reg_no,
                      today=c.clock.now().date(), previous_head=previous_head)
    form.enterprise_id = ent.id
    return form


@declarant.get("/statistics")
@declarant_route
def statistics() -> Any:
    date_from, date_to = _date_range()
    stats = container().ui_reads.statistics(scope(), date_from, date_to)
    charts = {dim: {"bar": bar_chart(stats[dim], f"{title}"), "pie": pie_chart(stats[dim], f"{title}")}
              for dim, title in DIMENSIONS.items()}
    return render_template("statistics.html", stats=stats, charts=charts, dims=DIMENSIONS,
                           args=filter_args(DATE_KEYS))


@declarant.get("/statistics/<dimension>.<kind>.svg")
@declarant_route
def statistics_chart(dimension: str, kind: str) -> Any:
    if dimension not in DIMENSIONS or kind not in {"bar", "pie"}:
        not_found(f"chart {dimension}.{kind}")
    date_from, date_to = _date_range()
    stats = container().ui_reads.statistics(scope(), date_from, date_to)
    svg = (bar_chart if kind == "bar" else pie_chart)(stats[dimension], DIMENSIONS[dimension])
    return Response(svg, mimetype="image/svg+xml",
                    headers={"Content-Disposition": f"attachment; filename=statistics-{dimension}-{kind}.svg"})


@declarant.get("/statistics/<dimension>.<kind>.png")
@declarant_route
def statistics_chart_png(dimension: str, kind: str) -> Any:
    """The same chart as a PNG image (下载图表), for people who paste it into office documents."""
    if dimension not in DIMENSIONS or kind not in {"bar", "pie"}:
        not_found(f"chart {dimension}.{kind}")
    date_from, date_to = _date_range()
    stats = container().ui_reads.statistics(scope(), date_from, date_to)
    png = (bar_png if kind == "bar" else pie_png)(stats[dimension], DIMENSIONS[dimension])
    return Response(png, mimetype="image/png",
                    headers={"Content-Disposition": f"attachment; filename=statistics-{dimension}-{kind}.png"})
