"""The certificate entry form (seed 001 ch. 4): form fields ⇄ the plain data of messages.certificate.

The form produces exactly the XML the ERP API takes, and the same intake service validates it; rule
paths (``/Certificate/CertificateList/Goods[2]/OriCriteria``) map back to form fields so each error is
shown next to the field it is about.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from gateway.domain.certificate_rules import FIELD_CN

#: The types the UI offers an entry form for, with the manual's names.
FORM_TYPES: Mapping[str, str] = {"C": "一般原产地证书 (general CO)", "E": "中国-东盟 Form E",
                                 "RC": "RCEP 原产地证书"}

# (element, English label, Chinese label where FIELD_CN has none, input kind)
HEAD_FORM: Sequence[tuple[str, str, str, str]] = (
    ("DocumentNo", "ERP document number", "单据编号", "text"),
    ("CertNo", "Certificate number (blank: allocated on declare)", "", "text"),
    ("AplRegNo", "Applicant CO registration number", "申请单位备案号", "text"),
    ("EntUscc", "Enterprise USCC", "统一社会信用代码", "text"),
    ("OrgCode", "Issuing authority code", "签证机构", "text"),
    ("FetchPlace", "Collection place", "领证地点", "text"),
    ("InvNo", "", "", "text"),
    ("InvDate", "", "", "date"),
    ("DestCountryCode", "", "", "text"),
    ("Exporter", "Exporter (name, address)", "出口商", "textarea"),
    ("Consignee", "", "", "textarea"),
    ("Producer", "", "", "textarea"),
    ("Mark", "Marks and numbers", "唛头", "textarea"),
    ("LoadPort", "Port of loading", "装货港", "text"),
    ("UnloadPort", "Port of discharge", "卸货港", "text"),
    ("TransMeans", "Means of transport code", "运输方式", "text"),
    ("TransDetails", "Transport details", "运输路线", "text"),
    ("IntendExpDate", "", "", "date"),
    ("TradeModeCode", "Trade mode code", "贸易方式", "text"),
    ("FOBValue", "", "", "text"),
    ("TotalAmt", "", "", "text"),
    ("PriceTerms", "Price terms", "成交方式", "text"),
    ("Curr", "Currency", "币制", "text"),
    ("ProducerSertFlag", "", "", "flag"),
    ("ExhibitFlag", "", "", "flag"),
    ("ThirdPartyInvFlag", "", "", "flag"),
)
GOODS_FORM: Sequence[tuple[str, str]] = (
    ("HSCode", "HS"), ("GoodsName", "品名"), ("GoodsNameE", "英文品名"), ("PackQty", "包装件数"),
    ("PackUnit", "包装单位"), ("GoodsQty", "数量"), ("GoodsUnit", "数量单位"), ("GrossWt", "毛重"), ("NetWt", "净重"),
    ("WtUnit", "重量单位"), ("InvPrice", "单价"), ("InvValue", "发票金额"), ("FOBValue", "FOB值"),
    ("ICompPrpr", "进口成份比例"), ("OriCriteria", "原产地标准"), ("OriCriteriaSub", "原产地子标准"),
)
RCEP_GOODS_EXTRA: Sequence[tuple[str, str]] = (("InvNo", "发票号"),)
INVOICE_FORM: Sequence[tuple[str, str]] = (
    ("InvNo", "发票号"), ("InvDate", "发票日期"), ("Value", "发票金额"), ("Curr", "币制"), ("PriceClause", "价格条款"),
)
#: Head values the last certificate of the same type carries over as initial values (证书初始值).
CARRIED_OVER = ("OrgCode", "FetchPlace", "Exporter", "Producer", "LoadPort", "TransMeans", "TradeModeCode",
                "PriceTerms", "Curr")

MOD_LABELS: Mapping[str, str] = {"OldCertNo": "Original certificate number", "ModReason": "Reason",
                                  "ModColm": "Amended boxes", "OldSituDesc": "Original text",
                                  "ModSituDesc": "Amended text", "OldDeclDate": "Original declaration date",
                                  "OldIssueDate": "Original issue date"}

_PATH = re.compile(r"^/Certificate/(?:ModCertificate/(?P<mod>\w+)|CertificateHead/(?P<head>\w+)"
                   r"|CertificateList/Goods\[(?P<g>\d+)\]/(?P<gf>\w+)"
                   r"|OriInvs/OriInv\[(?P<i>\d+)\]/(?P<if>\w+))")


def cn(element: str, fallback: str = "") -> str:
    return FIELD_CN.get(element, fallback)


def head_fields() -> list[dict[str, str]]:
    return [{"name": n, "label": label or n, "cn": cn(n, c), "kind": kind} for n, label, c, kind in HEAD_FORM]


def goods_fields(cert_type: str) -> list[tuple[str, str]]:
    return [*GOODS_FORM, *(RCEP_GOODS_EXTRA if cert_type == "RC" else ())]


@dataclass
class CertificateForm:
    cert_type: str
    head: dict[str, str] = field(default_factory=dict)
    goods: list[dict[str, str]] = field(default_factory=list)
    invoices: list[dict[str, str]] = field(default_factory=list)
    enterprise_id: str = ""
    cert_status: str = "0"  # 1 amended, 2 reissued, 3 amended and reissued (更改 / 重发)
    mod: dict[str, str] | None = None  # ModCertificate of an amendment / reissue

    @property
    def has_invoices(self) -> bool:
        return self.cert_type == "RC"

    def to_data(self) -> dict[str, Any]:
        """Plain certificate data: empty optional values are left out (the XSD types reject '')."""
        head = {"ApplyType": "1", "CertStatus": self.cert_status, "CertType": self.cert_type,
                **{k: v for k, v in self.head.items() if v}}
        goods = []
        for n, line in enumerate(self.goods, start=1):
            goods.append({"GoodsItemFlag": "0", "GNo": str(n), **{k: v for k, v in line.items() if v}})
        data: dict[str, Any] = {"head": head, "goods": goods, "promises": ["1"]}
        if self.has_invoices and self.invoices:
            data["invoices"] = [{k: v for k, v in inv.items() if v} for inv in self.invoices]
        if self.mod is not None:
            data["mod"] = {k: v for k, v in self.mod.items() if v}
        return data


MAX_ROWS = 200  # goods / invoice lines one form may carry (bounds the work a single POST causes)
_ROW_INDEX = re.compile(r"[0-9]{1,3}")  # ASCII only: str.isdigit() also accepts "²", which int() refuses


class FormError(ValueError):
    """The posted form cannot be read at all (not a rule finding about its content)."""


def _rows(form: Mapping[str, str], prefix: str, names: Sequence[str]) -> list[dict[str, str]]:
    indexes = sorted({int(k.split(".", 1)[0][len(prefix):]) for k in form
                      if k.startswith(prefix) and _ROW_INDEX.fullmatch(k.split(".", 1)[0][len(prefix):])})
    if len(indexes) > MAX_ROWS:
        what = "goods (货物)" if prefix == "goods-" else "invoice (发票)"
        raise FormError(f"{what} lines: at most {MAX_ROWS} per certificate, the form has {len(indexes)}")
    rows = []
    for i in indexes:
        row = {n: form.get(f"{prefix}{i}.{n}", "").strip() for n in names}
        if any(row.values()):  # blank rows are the spare lines of the form, not data
            rows.append(row)
    return rows


def from_request(cert_type: str, form: Mapping[str, str]) -> CertificateForm:
    head = {n: form.get(f"head.{n}", "").replace("\r\n", "\n").strip() for n, *_ in HEAD_FORM}
    return CertificateForm(
        cert_type=cert_type, head=head,
        goods=_rows(form, "goods-", [n for n, _ in goods_fields(cert_type)]),
        invoices=_rows(form, "inv-", [n for n, _ in INVOICE_FORM]) if cert_type == "RC" else [],
        enterprise_id=form.get("enterprise_id", ""),
    )


def read_mod(form: Mapping[str, str], names: Sequence[str]) -> dict[str, str]:
    """The ModCertificate fields of an amendment / reissue form (only the ones the kind has)."""
    return {n: form.get(f"mod.{n}", "").replace("\r\n", "\n").strip() for n in names}


def from_data(cert_type: str, data: Mapping[str, Any], *, copy: bool = False) -> CertificateForm:
    """A form filled from an existing certificate (copy: without its numbers, which must be new)."""
    head = {n: str(data.get("head", {}).get(n, "")) for n, *_ in HEAD_FORM}
    if copy:
        head["CertNo"] = head["DocumentNo"] = ""
    names = [n for n, _ in goods_fields(cert_type)]
    goods = [{n: str(g.get(n, "")) for n in names} for g in data.get("goods", [])]
    invoices = [{n: str(i.get(n, "")) for n, _ in INVOICE_FORM} for i in data.get("invoices", [])]
    return CertificateForm(cert_type, head, goods, invoices)


def initial(cert_type: str, *, enterprise_id: str, enterprise_name: str, reg_no: str, today: date,
            previous_head: Mapping[str, str] | None = None) -> CertificateForm:
    """初始值: the enterprise's own identifiers, today's dates, sensible defaults, and what the last
    certificate of this type used for the values that rarely change."""
    head = {n: "" for n, *_ in HEAD_FORM}
    head.update(AplRegNo=reg_no, EntUscc=enterprise_id, Exporter=enterprise_name, InvDate=today.isoformat(),
                IntendExpDate=(today + timedelta(days=7)).isoformat(), TransMeans="2", TradeModeCode="1",
                PriceTerms="FOB", Curr="USD", ProducerSertFlag="0", ExhibitFlag="0", ThirdPartyInvFlag="0",
                Mark="N/M")
    for k in CARRIED_OVER:
        if previous_head and previous_head.get(k):
            head[k] = previous_head[k]
    goods = [{n: ("KG" if n == "WtUnit" else "") for n, _ in goods_fields(cert_type)}]
    invoices = [{"InvNo": "", "InvDate": today.isoformat(), "Value": "", "Curr": "USD", "PriceClause": "FOB"}]
    return CertificateForm(cert_type, head, goods, invoices if cert_type == "RC" else [])


def field_of(path: str) -> str | None:
    """Form field name for a rule path: head.X, goods-N.X or inv-N.X (None: shown above the form)."""
    found = _PATH.match(path)
    if not found:
        return None
    if found["mod"]:
        return f"mod.{found['mod']}"
    if found["head"]:
        return f"head.{found['head']}"
    if found["g"]:
        return f"goods-{found['g']}.{found['gf']}"
    return f"inv-{found['i']}.{found['if']}"


def errors_by_field(issues: Sequence[Mapping[str, Any]]) -> tuple[dict[str, list[Mapping[str, Any]]],
                                                                   list[Mapping[str, Any]]]:
    by_field: dict[str, list[Mapping[str, Any]]] = {}
    general = []
    for issue in issues:
        name = field_of(str(issue.get("path", "")))
        if name:
            by_field.setdefault(name, []).append(issue)
        else:
            general.append(issue)
    return by_field, general
