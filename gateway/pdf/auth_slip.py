"""The authentication slip (认证凭条, seed 001 ch. 4 打印认证凭条): one page the applicant keeps, with
the certificate number as a barcode, what was declared, and where to collect it."""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

from reportlab.graphics.barcode import code128

from gateway.domain.numbering import TYPE_CODES
from gateway.pdf import fields as f
from gateway.pdf.kit import MARGIN, PAGE_H, PAGE_W, Rect, field, info_grid, new_canvas, text_lines


def render(data: Mapping[str, Any], *, status: str = "", declared_at: str = "", printed_at: str = "") -> bytes:
    h = f.head(data)
    cert_no = field(h, "CertNo")
    buffer = BytesIO()
    c = new_canvas(buffer, title=f"认证凭条 {cert_no}", subject=f"certificate {cert_no}")
    width = PAGE_W - 2 * MARGIN
    top = PAGE_H - MARGIN
    text_lines(c, MARGIN, top, ["原产地证书认证凭条"], size=16, align="center", width=width)
    text_lines(c, MARGIN, top - 22, ["CERTIFICATE OF ORIGIN - AUTHENTICATION SLIP"], size=8, align="center",
               width=width)
    barcode = code128.Code128(cert_no, barHeight=34, barWidth=1.1, humanReadable=False)
    barcode.drawOn(c, MARGIN + (width - barcode.width) / 2, top - 82)
    text_lines(c, MARGIN, top - 86, [cert_no], size=9, align="center", width=width)
    goods = f.goods(data)
    exporter = field(h, "Exporter").splitlines()
    pairs = [
        ("证书编号 Certificate No.", cert_no),
        ("证书类型 Certificate type", f"{field(h, 'CertType')} {TYPE_CODES.get(field(h, 'CertType'), '')}".strip()),
        ("申请单位 Applicant", exporter[0] if exporter else ""),
        ("备案号 Registration No.", field(h, "AplRegNo")),
        ("统一社会信用代码 USCC", field(h, "EntUscc")),
        ("签证机构 Issuing office", field(h, "OrgCode")),
        ("领证地点 Place of collection", field(h, "FetchPlace")),
        ("发票号 Invoice No.", field(h, "InvNo")),
        ("输往国家/地区 Destination", field(h, "DestCountryCode")),
        ("货物项数 Goods lines", str(len(goods))),
        ("FOB 总值 Total FOB", f.joined(field(h, "Curr"), f.amount(field(h, "FOBValue")))),
        ("HS编码 HS codes", ", ".join(dict.fromkeys(field(g, "HSCode") for g in goods[:6] if field(g, "HSCode")))
         + (" …" if len(goods) > 6 else "")),
        ("状态 Status", status),
        ("申报时间 Declared at", declared_at),
        ("打印时间 Printed at", printed_at),
    ]
    y = info_grid(c, Rect(MARGIN, 0, width, top - 110), pairs, columns=1, row_height=24)
    text_lines(c, MARGIN, y - 14, ["请凭此凭条到领证地点领取证书。Present this slip when collecting the certificate."],
               size=8)
    c.showPage()
    c.save()
    return buffer.getvalue()
