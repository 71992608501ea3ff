"""Excel exports (seed 001): the certificate list (certificates created within one month, 证书查询 → 导出)
and business statistics (第十一章 业务统计: by certificate type, by month, by status).

Both read the certificates of a scope: the ERP API's enterprise, or a UI user's enterprise with the
principals an agent declares for."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Protocol

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gateway.domain.delivery import DocumentStatus

CHINA_TIME = timezone(timedelta(hours=8), "CST")
STATUS_CN = {
    DocumentStatus.DRAFT.value: "暂存",
    DocumentStatus.SENT_TO_CUSTOMS.value: "数据已发往海关",
    DocumentStatus.STORED.value: "海关入库成功",
    DocumentStatus.APPROVED.value: "审核通过",
    DocumentStatus.RETURNED.value: "退证",
    DocumentStatus.IMPORT_FAILED.value: "导入失败",
}


@dataclass(frozen=True)
class CertificateRow:
    cert_no: str
    cert_type: str
    document_no: str
    dest_country: str
    status: str
    created_at: datetime
    status_at: datetime
    message_id: str
    message_state: str
    enterprise_id: str


class CertificateQueries(Protocol):
    def certificates_created(self, scope: Sequence[str], since: datetime, until: datetime) -> list[CertificateRow]:
        """Accepted, not deleted certificates of the enterprises in ``scope`` created in [since, until)."""
        ...


def one_month_before(now: datetime) -> datetime:
    """Same day and time one calendar month earlier (31 March → 28/29 February)."""
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    for day in range(now.day, 27, -1):
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return now.replace(year=year, month=month, day=min(now.day, 28))


def certificate_list(queries: CertificateQueries, scope: Sequence[str], now: datetime) -> bytes:
    """The certificates of ``scope`` created within one month before ``now`` (ch. 5 Excel 导出:
    可导出证书创建日期为一个月内的证书信息)."""
    rows = queries.certificates_created(scope, one_month_before(now), now + timedelta(seconds=1))
    headers = ["证书号 CertNo", "证书类型 CertType", "单据编号 DocumentNo", "目的国/地区 DestCountry",
               "单据状态 Status", "状态 StatusCode", "创建时间 CreatedAt", "状态时间 StatusAt", "MessageId",
               "报文状态 MessageState", "企业 Enterprise"]  # new columns go last: ERP readers go by position
    body: list[list[object]] = [
        [r.cert_no, r.cert_type, r.document_no, r.dest_country, STATUS_CN.get(r.status, r.status), r.status,
         _local(r.created_at), _local(r.status_at), r.message_id, r.message_state, r.enterprise_id] for r in rows]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "证书列表"
    _table(ws, headers, body)
    return _save(wb)


def statistics(queries: CertificateQueries, enterprise_id: str, start: date, end: date) -> bytes:
    """Counts of certificates created from `start` to `end` (inclusive, China dates)."""
    since = datetime.combine(start, datetime.min.time(), CHINA_TIME).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), CHINA_TIME).astimezone(UTC)
    rows = queries.certificates_created((enterprise_id,), since, until)
    total = len(rows)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "按证书类型统计"
    by_type = Counter(r.cert_type for r in rows)
    type_rows: list[list[object]] = [[t, n, round(100 * n / total, 2)] for t, n in sorted(by_type.items())]
    _table(ws, ["证书类型 CertType", "证书数量 Count", "占比 Share %"],
           [*type_rows, ["合计 Total", total, 100 if total else 0]])
    ws.cell(row=ws.max_row + 2, column=1, value=f"统计期间 Period: {start.isoformat()} – {end.isoformat()}")
    by_month = Counter(r.created_at.astimezone(CHINA_TIME).strftime("%Y-%m") for r in rows)
    _table(wb.create_sheet("按年月统计"), ["年月 Month", "证书数量 Count"],
           [[m, n] for m, n in sorted(by_month.items())])
    by_status = Counter(r.status for r in rows)
    _table(wb.create_sheet("按状态统计"), ["单据状态 Status", "状态 StatusCode", "证书数量 Count"],
           [[STATUS_CN.get(s, s), s, n] for s, n in sorted(by_status.items())])
    return _save(wb)


def _table(ws: Any, headers: list[str], rows: list[list[object]]) -> None:
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(14, len(header) + 6)
    ws.freeze_panes = "A2"


def _local(value: datetime) -> str:
    return value.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M:%S")


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
