"""Excel routes of the ERP API: goods template and import, certificate list, statistics.

Scoped like every API route: the caller's enterprise only (its API key).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from gateway.services.excel_exports import CHINA_TIME, certificate_list, statistics
from gateway.services.excel_goods import goods_template, import_goods
from gateway.web.api import _container, _problem, require_api_key

api_excel = Blueprint("api_excel", __name__, url_prefix="/api/v1")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_STATISTICS_DAYS = 3 * 366


def xlsx_response(data: bytes, name: str) -> Response:
    """A workbook download (the UI's exports answer the same way)."""
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                  "Cache-Control": "no-store"})


@api_excel.get("/templates/goods.xlsx")
@require_api_key
def get_goods_template() -> Any:
    return xlsx_response(goods_template(), "goods.xlsx")


@api_excel.post("/goods/import")
@require_api_key
def post_goods_import() -> Any:
    """The workbook as the body, or as the multipart field `file`; answers the goods lines or every error."""
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data(cache=False)
    if not data:
        return _problem(400, "send the filled-in goods template (.xlsx) as the body or as multipart field 'file'")
    result = import_goods(data)
    if result.errors:
        return _problem(422, f"{len(result.errors)} problem(s) in the goods sheet",
                        errors=[e.as_dict() for e in result.errors])
    return jsonify({"goods": result.goods, "count": len(result.goods)})


@api_excel.get("/certificates.xlsx")
@require_api_key
def get_certificates_xlsx() -> Any:
    c = _container()
    return xlsx_response(certificate_list(c.erp_store, (g.enterprise_id,), c.clock.now()), "certificates.xlsx")


@api_excel.get("/statistics.xlsx")
@require_api_key
def get_statistics_xlsx() -> Any:
    c = _container()
    today = c.clock.now().astimezone(CHINA_TIME).date()
    try:
        start = date.fromisoformat(request.args.get("from", f"{today.year}-01-01"))
        end = date.fromisoformat(request.args.get("to", today.isoformat()))
    except ValueError:
        return _problem(400, "from and to must be dates as yyyy-MM-dd")
    if end < start or end - start > timedelta(days=MAX_STATISTICS_DAYS):
        return _problem(400, f"from must not be after to, and the period at most {MAX_STATISTICS_DAYS} days")
    return xlsx_response(statistics(c.erp_store, g.enterprise_id, start, end), f"statistics-{start}-{end}.xlsx")
