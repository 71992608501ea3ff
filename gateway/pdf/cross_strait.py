"""The cross-strait ECFA certificate (type H), printed in Chinese (seed 001 §1.9: 仅该种证书查看或打印时
均显示为中文)."""

from __future__ import annotations

from gateway.pdf import fields as f
from gateway.pdf.certificate import CertificateLayout, Data, Part
from gateway.pdf.kit import field
from gateway.pdf.table import Column


def _exporter(data: Data) -> str:
    h = f.head(data)
    contact = f.joined(f"电话: {field(h, 'ExporterTel')}" if field(h, "ExporterTel") else "",
                       f"传真: {field(h, 'ExporterFax')}" if field(h, "ExporterFax") else "",
                       f"电子邮件: {field(h, 'ExporterEmail')}" if field(h, "ExporterEmail") else "", sep="  ")
    return f.joined(field(h, "Exporter"), contact, sep="\n")


def _importer(data: Data) -> str:
    h = f.head(data)
    return f.joined(field(h, "Consignee"), f"电话: {field(h, 'ConsigneeTel')}" if field(h, "ConsigneeTel") else "",
                    sep="\n")


def _remarks(data: Data) -> str:
    h = f.head(data)
    return f.joined(f"出口报关日期: {field(h, 'ExpDeclDate')}" if field(h, "ExpDeclDate") else "",
                    f.remarks(data, chinese=True), sep="\n")


def _weight(g: Data, _h: Data) -> str:
    gross = field(g, "GrossWt")
    return f.joined(f"毛重 {f.number(gross)} {field(g, 'WtUnit')}".strip() if gross else "",
                    f"数量 {f.quantity(g)}" if field(g, "GoodsQty") else "", sep="\n")


def layout(cert_type: str = "H") -> CertificateLayout:
    return CertificateLayout(
        key="cross_strait",
        titles=("海峡两岸经济合作框架协议", "原产地证书"),
        issued_in="签发机构: 中华人民共和国海关",
        chinese=True,
        left=(
            Part("1", "出口商名称、地址、电话、传真及电子邮件", _exporter),
            Part("2", "生产商名称、地址", lambda d: field(f.head(d), "Producer") or "应要求提供"),
            Part("3", "进口商名称、地址、电话", _importer),
            Part("4", "运输方式及路线", lambda d: f.transport(f.head(d), chinese=True)),
        ),
        right=Part("5", "备注", _remarks),
        columns=(
            Column("6", "项目编号", 0.6, f.item_no, align="center"),
            Column("7", "包装唛头及编号", 1.1, f.marks),
            Column("8", "包装件数及种类；货物名称", 2.8,
                   lambda g, _h: f.packages_and_description(g, chinese=True), hyphenate=True),
            Column("9", "HS编码 (六位)", 1.1, f.hs_code),
            Column("10", "原产地标准", 1.1, f.criterion),
            Column("11", "毛重或其他数量", 1.3, _weight),
            Column("12", "发票号码及日期", 1.3, f.first_invoice),
        ),
        declaration=Part("13", "出口商声明", lambda _d: (
            "下列签署人声明，以上所填各项资料正确无误，所列货物原产于中国大陆，并符合《海峡两岸经济合作框架协议》"
            "关于原产地规则的规定。")),
        certification=Part("14", "证明", lambda _d: "兹证明，经查核，出口商所作声明正确无误。"),
    )
