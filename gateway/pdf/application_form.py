"""The application form (申请书) printed with a declaration (seed 001 ch. 4 打印申请书): the applicant,
the certificate's key data and every goods line with its HS code and origin criterion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from gateway.domain.numbering import TYPE_CODES
from gateway.pdf import fields as f
from gateway.pdf import paged
from gateway.pdf.kit import MARGIN, PAGE_H, PAGE_W, Rect, box, field, info_grid, text_lines
from gateway.pdf.table import Column

TRADE_MODES = {"0": "其他 Other", "1": "一般贸易 General trade", "2": "来料加工 Processing (supplied materials)",
               "3": "进料加工 Processing (imported materials)"}

DECLARATION = ("申请单位郑重声明：本人被正式授权代表本企业办理和签署本申请书。本申请书及原产地证明书所列内容正确无误，"
               "如发现弄虚作假，冒充证书所列货物，擅改证书，自愿接受签证机构的处罚并承担法律责任。\n"
               "The applicant declares that the particulars in this application and the certificate are true and "
               "correct and accepts the legal consequences of any false statement.")


def _type_name(cert_type: str) -> str:
    return f"{cert_type} {TYPE_CODES.get(cert_type, '')}".strip()


def document(data: Mapping[str, Any]) -> paged.PagedDocument:
    h = f.head(data)

    def first_header(c: Canvas) -> float:
        top = PAGE_H - MARGIN
        text_lines(c, MARGIN, top, ["原产地证明书申请书"], size=15, align="center", width=PAGE_W - 2 * MARGIN)
        text_lines(c, MARGIN, top - 20, ["APPLICATION FOR CERTIFICATE OF ORIGIN"], size=9, align="center",
                   width=PAGE_W - 2 * MARGIN)
        pairs = [
            ("证书号 Certificate No.", field(h, "CertNo")),
            ("证书类型 Type", _type_name(field(h, "CertType"))),
            ("申请单位备案号 Registration No.", field(h, "AplRegNo")),
            ("统一社会信用代码 USCC", field(h, "EntUscc")),
            ("签证机构 Issuing office", field(h, "OrgCode")),
            ("领证地点 Place of collection", field(h, "FetchPlace")),
            ("发票号 Invoice No.", field(h, "InvNo")),
            ("发票日期 Invoice date", field(h, "InvDate")),
            ("输往国家/地区 Destination", field(h, "DestCountryCode")),
            ("贸易方式 Trade mode", TRADE_MODES.get(field(h, "TradeModeCode"), field(h, "TradeModeCode"))),
            ("FOB值 FOB value", f.joined(field(h, "Curr"), f.amount(field(h, "FOBValue")))),
            ("拟出运日期 Intended export date", field(h, "IntendExpDate")),
        ]
        y = info_grid(c, Rect(MARGIN, 0, PAGE_W - 2 * MARGIN, top - 40 - 0), pairs)
        half = (PAGE_W - 2 * MARGIN) / 2
        box(c, Rect(MARGIN, y - 62, half, 62), "出口商 Exporter", field(h, "Exporter"))
        box(c, Rect(MARGIN + half, y - 62, half, 62), "收货人 Consignee", field(h, "Consignee"))
        box(c, Rect(MARGIN, y - 92, PAGE_W - 2 * MARGIN, 30), "生产商 Producer", field(h, "Producer"), max_lines=1)
        return y - 100

    def closing(c: Canvas, r: Rect) -> None:
        total = f.joined(field(h, "Curr"), f.amount(field(h, "FOBValue")))
        text_lines(c, r.x, r.top, [f"FOB 总值 Total FOB value: {total}    货物项数 Lines: {len(f.goods(data))}"],
                   size=8)
        box(c, Rect(r.x, r.y, r.w, r.h - 16), "申请单位声明 Declaration of the applicant", DECLARATION, size=7.5)
        text_lines(c, r.x + r.w - 230, r.y + 16, ["申报员(签字) / 申请单位盖章        日期 Date:"], size=7.5)

    return paged.PagedDocument(
        title="原产地证明书申请书",
        running_title="原产地证明书申请书 APPLICATION",
        first_header=first_header,
        closing=closing,
        columns=(
            Column("", "项号 No.", 0.5, f.item_no, align="center"),
            Column("", "HS编码 HS code", 1.0, f.hs_code),
            Column("", "商品名称 Description of goods", 3.0,
                   lambda g, _h: f.joined(field(g, "GoodsName"), field(g, "GoodsNameE"), sep="\n"), hyphenate=True),
            Column("", "数量 Quantity", 1.0, lambda g, _h: f.quantity(g)),
            Column("", "FOB值 FOB value", 1.1, lambda g, _h: f.amount(field(g, "FOBValue"))),
            Column("", "原产地标准 Origin criterion", 1.0, f.criterion),
            Column("", "进口成分 Imported %", 0.8, lambda g, _h: field(g, "ICompPrpr")),
        ),
    )


def render(data: Mapping[str, Any], *, hyphenate: bool = False) -> bytes:
    return paged.render_data(document, data, hyphenate=hyphenate)
