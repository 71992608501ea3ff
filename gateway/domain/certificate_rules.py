"""Business rules for GACC certificate applications (seed 001 ch. 4, DOMAIN.md).

Input is the plain data shape of ``messages.certificate.decode``::

    {"head": {...}, "goods": [{...}], "mod": {...} | None, "nonparty": [{...}],
     "invoices": [{...}], "promises": [...]}

``check_certificate`` runs the common rules and then the rules registered for the certificate type
in ``TYPE_RULES``. Every finding is a ``Violation`` with a stable rule id (listed in ``RULES``); bad
input never raises. Conventions:

- flags are ``'0'`` / ``'1'``; amounts and ratios are non-negative decimals; ``ICompPrpr`` (import
  content ratio) is a percentage 0-100;
- a goods line with ``GoodsItemFlag = '1'`` is a non-goods item (非货物项): rules that *require* a
  goods value skip it, rules about values that are present still apply;
- a number that does not parse is reported once (``FIELD.DECIMAL.INVALID``); rules that need it
  then stay silent.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from types import MappingProxyType
from typing import Any

from gateway.domain.identifiers import hs_code_is_valid
from gateway.domain.numbering import TYPE_CODES, parse_cert_no
from gateway.domain.violations import Violation

# ---------------------------------------------------------------------------------------------
# paths and Chinese field names

HEAD = "/Certificate/CertificateHead"
GOODS_LIST = "/Certificate/CertificateList"
MOD = "/Certificate/ModCertificate"
NONPARTY_LIST = "/Certificate/NonpartyCorpList"
INVOICE_LIST = "/Certificate/OriInvs"


def sub_path(parent: str, field: str) -> str:
    return f"{parent}/{field}"


def head_path(field: str) -> str:
    return sub_path(HEAD, field)


def goods_path(index: int, field: str) -> str:
    """Path of a goods field; ``index`` is 1-based."""
    return f"{GOODS_LIST}/Goods[{index}]/{field}"


def nonparty_path(index: int, field: str) -> str:
    return f"{NONPARTY_LIST}/NonpartyCorp[{index}]/{field}"


def invoice_path(index: int, field: str) -> str:
    return f"{INVOICE_LIST}/OriInv[{index}]/{field}"


#: Element name -> the manual's Chinese field name.
FIELD_CN: Mapping[str, str] = MappingProxyType(
    {
        "CertNo": "证书号",
        "CertType": "证书类型",
        "CertStatus": "证书状态",
        "ApplyType": "申报类型",
        "OldCertNo": "原证书号",
        "ModReason": "更改原因",
        "OldDeclDate": "原申报日期",
        "OldIssueDate": "原签证日期",
        "FOBValue": "FOB值",
        "TotalAmt": "总金额",
        "InvNo": "发票号",
        "InvDate": "发票日期",
        "IntendExpDate": "预计出运日期",
        "Consignee": "收货人",
        "Producer": "生产商描述",
        "ProducerSertFlag": "生产商保密",
        "ExhibitFlag": "是否展览证书",
        "ThirdPartyInvFlag": "是否第三方发票",
        "OriCountryCode": "原产国",
        "CertificateList": "货物信息",
        "GoodsItemFlag": "非货物项",
        "GNo": "序号",
        "HSCode": "HS编码",
        "PackQty": "包装件数",
        "GoodsQty": "数量",
        "GrossWt": "毛重",
        "NetWt": "净重",
        "WtUnit": "重量单位",
        "InvPrice": "单价",
        "InvValue": "发票金额",
        "ICompPrpr": "进口成份比例",
        "OriCriteria": "原产地标准",
        "OriCriteriaSub": "原产地子标准",
        "OriCriteriaRef": "原产地标准辅助项",
        "NonpartyCorpList": "第三方发票/非缔约方公司",
        "EntName": "名称",
        "EntCountryCode": "国别/地区",
        "OriInvs": "发票信息",
        "PriceClause": "价格条款",
        "Value": "发票金额",
    }
)

_INDEX = re.compile(r"\[\d+\]$")


def violation(rule_id: str, path: str, message: str) -> Violation:
    """A ``Violation`` whose ``field_cn`` comes from the path's last element."""
    leaf = _INDEX.sub("", path.rsplit("/", 1)[-1])
    return Violation(rule_id, path, message, FIELD_CN.get(leaf, ""))


# ---------------------------------------------------------------------------------------------
# input normalisation


def _text(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    if value is None:
        return ""
    return (value if isinstance(value, str) else str(value)).strip()


def _records(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return []
    return [item if isinstance(item, Mapping) else {} for item in value]


@dataclass(frozen=True)
class Certificate:
    """Read-only view of certificate data with missing parts defaulted to empty."""

    head: Mapping[str, Any]
    goods: list[Mapping[str, Any]]
    mod: Mapping[str, Any] | None
    nonparty: list[Mapping[str, Any]]
    invoices: list[Mapping[str, Any]]

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Certificate:
        head = data.get("head")
        mod = data.get("mod")
        return cls(
            head=head if isinstance(head, Mapping) else {},
            goods=_records(data.get("goods")),
            mod=mod if isinstance(mod, Mapping) else None,
            nonparty=_records(data.get("nonparty")),
            invoices=_records(data.get("invoices")),
        )

    @property
    def cert_type(self) -> str:
        return _text(self.head, "CertType")

    def h(self, field: str) -> str:
        """Head field text ('' when absent)."""
        return _text(self.head, field)

    def lines(self) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """Goods lines with their 1-based index."""
        return enumerate(self.goods, start=1)


def is_non_goods(line: Mapping[str, Any]) -> bool:
    return _text(line, "GoodsItemFlag") == "1"


_DECIMAL = re.compile(r"\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_PERCENT = re.compile(r"(\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*%")
_CENT = Decimal("0.01")


def to_decimal(text: str) -> Decimal | None:
    """A non-negative decimal in XSD lexical form, or None (no exponents, NaN, or underscores)."""
    return Decimal(text) if _DECIMAL.fullmatch(text) else None


def _date_ok(text: str) -> bool:
    match = _DATE.fullmatch(text)
    if match is None:
        return False
    try:
        datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return False
    return True


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _ratio(line: Mapping[str, Any]) -> tuple[str, Decimal | None]:
    """(text, value) of ICompPrpr; value is None when empty or invalid."""
    text = _text(line, "ICompPrpr")
    return text, to_decimal(text)


# ---------------------------------------------------------------------------------------------
# common rules

Rule = Callable[[Certificate], Iterable[Violation]]

HEAD_FLAGS = ("ApplyType", "ProducerSertFlag", "ExhibitFlag", "ThirdPartyInvFlag")
GOODS_FLAGS = ("GoodsItemFlag",)
HEAD_DECIMALS = ("FOBValue", "TotalAmt")
GOODS_DECIMALS = ("PackQty", "GoodsQty", "GrossWt", "NetWt", "InvPrice", "InvValue", "FOBValue", "ICompPrpr")
INVOICE_DECIMALS = ("Value",)
HEAD_DATES = ("InvDate", "IntendExpDate")
MOD_DATES = ("OldDeclDate", "OldIssueDate")
INVOICE_DATES = ("InvDate",)


def _fields(c: Certificate) -> Iterator[tuple[str, str, str]]:
    """(kind, path, text) of every present flag / decimal / date field."""
    groups: list[tuple[Mapping[str, Any], Callable[[str], str], str, Sequence[str]]] = [
        (c.head, head_path, "flag", HEAD_FLAGS),
        (c.head, head_path, "decimal", HEAD_DECIMALS),
        (c.head, head_path, "date", HEAD_DATES),
        (c.mod or {}, partial(sub_path, MOD), "date", MOD_DATES),
    ]
    for i, line in c.lines():
        groups += [
            (line, partial(goods_path, i), "flag", GOODS_FLAGS),
            (line, partial(goods_path, i), "decimal", GOODS_DECIMALS),
        ]
    for i, inv in enumerate(c.invoices, start=1):
        groups += [
            (inv, partial(invoice_path, i), "decimal", INVOICE_DECIMALS),
            (inv, partial(invoice_path, i), "date", INVOICE_DATES),
        ]
    for mapping, at, kind, names in groups:
        for name in names:
            text = _text(mapping, name)
            if text:
                yield kind, at(name), text


def field_formats(c: Certificate) -> Iterator[Violation]:
    for kind, path, text in _fields(c):
        if kind == "flag" and text not in ("0", "1"):
            yield violation("FIELD.FLAG.INVALID", path, f"flag must be '0' or '1', got {text!r}")
        elif kind == "decimal" and to_decimal(text) is None:
            yield violation("FIELD.DECIMAL.INVALID", path, f"must be a non-negative decimal number, got {text!r}")
        elif kind == "date" and not _date_ok(text):
            yield violation("FIELD.DATE.INVALID", path, f"must be a date yyyy-MM-dd, got {text!r}")


def cert_type_known(c: Certificate) -> Iterator[Violation]:
    if not c.cert_type:
        yield violation("CERT.TYPE.REQUIRED", head_path("CertType"), "certificate type is required")
    elif c.cert_type not in TYPE_CODES:
        yield violation("CERT.TYPE.UNKNOWN", head_path("CertType"), f"unknown certificate type {c.cert_type!r}")


def cert_number(c: Certificate) -> Iterator[Violation]:
    path = head_path("CertNo")
    cert_no = c.h("CertNo")
    if not cert_no:
        yield violation("CERT.NUMBER.REQUIRED", path, "certificate number is required")
        return
    try:
        parsed = parse_cert_no(cert_no)
    except ValueError as exc:
        yield violation("CERT.NUMBER.FORMAT", path, str(exc))
        return
    if c.cert_type in TYPE_CODES and parsed.type != c.cert_type:
        yield violation(
            "CERT.NUMBER.TYPE_MISMATCH",
            path,
            f"certificate number starts with {parsed.type!r} but the certificate type is {c.cert_type!r}",
        )


def cert_status(c: Certificate) -> Iterator[Violation]:
    status = c.h("CertStatus") or "0"
    if status not in ("0", "1", "2", "3"):
        yield violation(
            "CERT.STATUS.INVALID",
            head_path("CertStatus"),
            f"CertStatus must be 0 (new), 1 (amended), 2 (reissued) or 3 (amended and reissued), got {status!r}",
        )
        return
    if status == "0":
        return
    mod = c.mod or {}
    old_no = _text(mod, "OldCertNo")
    if not old_no:
        yield violation(
            "CERT.STATUS.OLD_CERT_REQUIRED",
            sub_path(MOD, "OldCertNo"),
            f"CertStatus {status} (amend / reissue) needs ModCertificate/OldCertNo",
        )
    elif old_no == c.h("CertNo"):
        yield violation(
            "CERT.STATUS.OLD_CERT_SAME",
            sub_path(MOD, "OldCertNo"),
            "an amended or reissued certificate needs a new number, different from OldCertNo",
        )
    if not _text(mod, "ModReason"):
        yield violation(
            "CERT.STATUS.MOD_REASON_REQUIRED",
            sub_path(MOD, "ModReason"),
            f"CertStatus {status} (amend / reissue) needs ModCertificate/ModReason",
        )


def goods_present(c: Certificate) -> Iterator[Violation]:
    if c.h("ApplyType") == "1" and not c.goods:
        yield violation("GOODS.REQUIRED", GOODS_LIST, "a declared certificate needs at least one goods line")


def goods_numbering(c: Certificate) -> Iterator[Violation]:
    for i, line in c.lines():
        gno = _text(line, "GNo")
        if not (gno.isascii() and gno.isdecimal() and int(gno) == i):
            yield violation(
                "GOODS.GNO.SEQUENCE", goods_path(i, "GNo"), f"goods lines are numbered 1..n: expected {i}, got {gno!r}"
            )


def goods_hs_code(c: Certificate) -> Iterator[Violation]:
    for i, line in c.lines():
        hs = _text(line, "HSCode")
        if not hs:
            if not is_non_goods(line):
                yield violation("GOODS.HS.REQUIRED", goods_path(i, "HSCode"), "HS code is required")
        elif not hs_code_is_valid(hs):
            yield violation(
                "GOODS.HS.FORMAT", goods_path(i, "HSCode"), f"HS code must be 6, 8 or 10 digits, got {hs!r}"
            )


def goods_ratio_range(c: Certificate) -> Iterator[Violation]:
    for i, line in c.lines():
        _, ratio = _ratio(line)
        if ratio is not None and ratio > 100:
            yield violation(
                "GOODS.RATIO.RANGE",
                goods_path(i, "ICompPrpr"),
                f"import content ratio is a percentage 0-100, got {ratio}",
            )


def fob_sum(c: Certificate) -> Iterator[Violation]:
    texts = [_text(line, "FOBValue") for line in c.goods]
    values = [to_decimal(t) for t in texts if t]
    if not values or any(v is None for v in values):
        return
    total = sum((v for v in values if v is not None), Decimal(0))
    head_text = c.h("FOBValue")
    if not head_text:
        yield violation(
            "GOODS.FOB.SUM", head_path("FOBValue"), f"FOBValue is required: goods lines add up to {_plain(total)}"
        )
        return
    head_value = to_decimal(head_text)
    if head_value is not None and abs(head_value - total) > _CENT:
        yield violation(
            "GOODS.FOB.SUM",
            head_path("FOBValue"),
            f"FOBValue {_plain(head_value)} differs from the sum of the goods lines {_plain(total)}",
        )


COMMON_RULES: tuple[Rule, ...] = (
    cert_type_known,
    cert_number,
    cert_status,
    field_formats,
    goods_present,
    goods_numbering,
    goods_hs_code,
    goods_ratio_range,
    fob_sum,
)

# ---------------------------------------------------------------------------------------------
# origin criteria

#: Allowed OriCriteria per certificate type (DOMAIN.md). "" in a set means "may be left empty";
#: otherwise goods lines must carry one of the values.
ORIGIN_CRITERIA: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "E": frozenset({"WO", "PE", "PSR", "CTH", ""}),
        "G": frozenset({"P", "W", "F", "Y", "PK"}),
        "RC": frozenset({"WO", "PE", "CTC", "RVC", "CR"}),
        "A": frozenset({"WO", "WP", "PSR"}),
        "F": frozenset({"WO", "WP", "PSR"}),
        "K": frozenset({"WO", "WP", "PSR", "OP"}),
        "H": frozenset({"WO", "WP", "PSR", "PSR ACU", "PSR DMI", "PSR FG"}),
        "GE": frozenset({"WO", "WP", "40%", "PSR"}),
    }
)


def criteria_allowed(cert_type: str, allowed: frozenset[str]) -> Rule:
    """Rule: OriCriteria is one of ``allowed``; required on goods lines unless "" is allowed."""
    shown = ", ".join(sorted(a for a in allowed if a)) + (" or empty" if "" in allowed else "")

    def rule(c: Certificate) -> Iterator[Violation]:
        for i, line in c.lines():
            crit = _text(line, "OriCriteria")
            path = goods_path(i, "OriCriteria")
            if not crit:
                if "" not in allowed and not is_non_goods(line):
                    yield violation(f"ORIGIN.{cert_type}.REQUIRED", path, f"origin criterion is required ({shown})")
            elif crit not in allowed:
                yield violation(
                    f"ORIGIN.{cert_type}.ALLOWED",
                    path,
                    f"origin criterion {crit!r} is not allowed for type {cert_type} ({shown})",
                )

    rule.__name__ = f"criteria_allowed_{cert_type}"
    return rule


def no_origin_criterion(c: Certificate) -> Iterator[Violation]:
    """Type C: a general certificate carries no origin criterion."""
    for i, line in c.lines():
        crit = _text(line, "OriCriteria")
        if crit:
            yield violation(
                "ORIGIN.C.NONE_ALLOWED",
                goods_path(i, "OriCriteria"),
                f"a general certificate (C) has no origin criterion, got {crit!r}",
            )


def form_e_origin(c: Certificate) -> Iterator[Violation]:
    """Seed 001 §1.4: sub-criterion, auxiliary item and import ratio for each Form E criterion."""
    for i, line in c.lines():
        crit = _text(line, "OriCriteria")
        sub = _text(line, "OriCriteriaSub")
        ref = _text(line, "OriCriteriaRef")
        ratio_text, ratio = _ratio(line)
        ratio_bad = bool(ratio_text) and ratio is None  # reported by FIELD.DECIMAL.INVALID
        at = partial(goods_path, i)
        if crit not in ORIGIN_CRITERIA["E"] or (not crit and is_non_goods(line)):
            continue
        if sub and crit != "PSR":
            yield violation(
                "ORIGIN.E.SUB_NOT_ALLOWED", at("OriCriteriaSub"), "only criterion PSR takes a sub-criterion"
            )
        if crit in ("WO", "PE"):
            if ref:
                yield violation(
                    "ORIGIN.E.WO_PE_AUX_EMPTY",
                    at("OriCriteriaRef"),
                    f"criterion {crit} leaves the auxiliary item empty",
                )
            if ratio is not None and ratio != 0:
                yield violation(
                    "ORIGIN.E.WO_PE_RATIO_ZERO", at("ICompPrpr"), f"criterion {crit} needs import content ratio 0"
                )
        elif crit in ("PSR", "CTH"):
            if crit == "PSR" and not sub:
                yield violation(
                    "ORIGIN.E.PSR_SUB_REQUIRED",
                    at("OriCriteriaSub"),
                    "criterion PSR needs a sub-criterion: 1 (RVC 40), 2 (CTC) or 3 (process rule)",
                )
            elif crit == "PSR" and sub not in ("1", "2", "3"):
                yield violation(
                    "ORIGIN.E.PSR_SUB_INVALID",
                    at("OriCriteriaSub"),
                    f"PSR sub-criterion must be 1 (RVC 40), 2 (CTC) or 3 (process rule), got {sub!r}",
                )
            if ref:
                yield violation(
                    f"ORIGIN.E.{crit}_AUX_EMPTY",
                    at("OriCriteriaRef"),
                    f"criterion {crit} leaves the auxiliary item empty",
                )
            if not ratio_bad and (ratio is None or ratio <= 0):
                yield violation(
                    f"ORIGIN.E.{crit}_RATIO_POSITIVE",
                    at("ICompPrpr"),
                    f"criterion {crit} needs an import content ratio > 0",
                )
        else:  # empty criterion: HS in neither the PSR list nor the CTH range
            if not ratio_text:
                yield violation(
                    "ORIGIN.E.EMPTY_RATIO_REQUIRED",
                    at("ICompPrpr"),
                    "without an origin criterion the import content ratio is required",
                )
            if ratio is None:
                continue
            if ratio > 60:
                yield violation(
                    "ORIGIN.E.EMPTY_RATIO_MAX_60",
                    at("ICompPrpr"),
                    f"without an origin criterion the import content ratio may not exceed 60%, got {_plain(ratio)}%",
                )
            if ratio <= 100:
                expected = 100 - ratio
                match = _PERCENT.fullmatch(ref)
                if match is None or abs(Decimal(match.group(1)) - expected) > _CENT:
                    yield violation(
                        "ORIGIN.E.EMPTY_AUX_FORMULA",
                        at("OriCriteriaRef"),
                        f"without an origin criterion the auxiliary item is (100 - ratio)%: "
                        f"expected {_plain(expected)}%, got {ref!r}",
                    )


def form_e_exhibition(c: Certificate) -> Iterator[Violation]:
    if c.h("ExhibitFlag") == "1" and not c.h("Consignee"):
        yield violation(
            "FORM_E.EXHIBIT_CONSIGNEE_REQUIRED",
            head_path("Consignee"),
            "an exhibition certificate carries the exhibition name and address in the consignee",
        )


def form_e_third_party(c: Certificate) -> Iterator[Violation]:
    third_party = c.h("ThirdPartyInvFlag") == "1"
    if third_party and not c.nonparty:
        yield violation(
            "FORM_E.THIRD_PARTY_NONPARTY_REQUIRED",
            NONPARTY_LIST,
            "a third-party invoice needs at least one non-party company (name, country)",
        )
    if not third_party and c.nonparty:
        yield violation(
            "FORM_E.NONPARTY_WITHOUT_THIRD_PARTY",
            NONPARTY_LIST,
            "non-party companies are given only with a third-party invoice (ThirdPartyInvFlag = 1)",
        )
    for i, corp in enumerate(c.nonparty, start=1):
        if not _text(corp, "EntName"):
            yield violation(
                "FORM_E.NONPARTY_NAME_REQUIRED", nonparty_path(i, "EntName"), "non-party company name is required"
            )
        if not (_text(corp, "EntCountryCode") or _text(corp, "EntCountryName")):
            yield violation(
                "FORM_E.NONPARTY_COUNTRY_REQUIRED",
                nonparty_path(i, "EntCountryCode"),
                "non-party company country is required",
            )


def gsp_origin(c: Certificate) -> Iterator[Violation]:
    """Type G: W takes the HS heading as XX.XX; F and Y cap the import content."""
    for i, line in c.lines():
        crit = _text(line, "OriCriteria")
        _, ratio = _ratio(line)
        if crit == "W":
            hs = _text(line, "HSCode")
            ref = _text(line, "OriCriteriaRef")
            if hs_code_is_valid(hs) and ref != f"{hs[:2]}.{hs[2:4]}":
                yield violation(
                    "ORIGIN.G.W_REF_HS4",
                    goods_path(i, "OriCriteriaRef"),
                    f"criterion W takes the first four HS digits as the auxiliary item: "
                    f"expected {hs[:2]}.{hs[2:4]}, got {ref!r}",
                )
        elif crit == "F" and ratio is not None and ratio > 40:
            yield violation(
                "ORIGIN.G.F_RATIO_MAX_40",
                goods_path(i, "ICompPrpr"),
                f"criterion F allows at most 40% imported content, got {_plain(ratio)}%",
            )
        elif crit == "Y" and ratio is not None and ratio > 50:
            yield violation(
                "ORIGIN.G.Y_RATIO_MAX_50",
                goods_path(i, "ICompPrpr"),
                f"criterion Y allows at most 50% imported content, got {_plain(ratio)}%",
            )


def rcep_rvc_ratio(c: Certificate) -> Iterator[Violation]:
    for i, line in c.lines():
        if _text(line, "OriCriteria") == "RVC" and not _text(line, "ICompPrpr"):
            yield violation(
                "ORIGIN.RC.RVC_RATIO_REQUIRED",
                goods_path(i, "ICompPrpr"),
                "criterion RVC needs the import content ratio",
            )


def rcep_invoices(c: Certificate) -> Iterator[Violation]:
    """RCEP: an invoice list with one price clause (default FOB); goods pick a listed invoice."""
    goods_lines = [(i, line) for i, line in c.lines() if not is_non_goods(line)]
    if goods_lines and not c.invoices:
        yield violation("RCEP.INVOICE.REQUIRED", INVOICE_LIST, "an RCEP certificate needs its invoice list")
    clauses = [_text(inv, "PriceClause") or "FOB" for inv in c.invoices]
    for i, clause in enumerate(clauses[1:], start=2):
        if clause != clauses[0]:
            yield violation(
                "RCEP.INVOICE.PRICE_CLAUSE_SAME",
                invoice_path(i, "PriceClause"),
                f"all invoices of one certificate use the same price clause: {clauses[0]!r}, got {clause!r}",
            )
    known = {_text(inv, "InvNo") for inv in c.invoices}
    for i, line in goods_lines:
        inv_no = _text(line, "InvNo")
        if not inv_no:
            yield violation("RCEP.GOODS.INVOICE_REQUIRED", goods_path(i, "InvNo"), "goods line needs an invoice number")
        elif c.invoices and inv_no not in known:
            yield violation(
                "RCEP.GOODS.INVOICE_UNKNOWN",
                goods_path(i, "InvNo"),
                f"invoice number {inv_no!r} is not in the certificate's invoice list",
            )


def weights_required(c: Certificate) -> Iterator[Violation]:
    """Types T and M: gross weight, net weight and weight unit on every goods line."""
    for i, line in c.lines():
        if is_non_goods(line):
            continue
        for name in ("GrossWt", "NetWt", "WtUnit"):
            if not _text(line, name):
                yield violation(
                    "GOODS.WEIGHT.REQUIRED", goods_path(i, name), f"{name} is required for type {c.cert_type}"
                )


def origin_country_required(c: Certificate) -> Iterator[Violation]:
    """Types TR and PR: the origin country code."""
    if not c.h("OriCountryCode"):
        yield violation(
            "CERT.ORIGIN_COUNTRY.REQUIRED",
            head_path("OriCountryCode"),
            f"origin country is required for type {c.cert_type}",
        )


def third_party_producer(c: Certificate) -> Iterator[Violation]:
    """Types EC and SE: a third-party invoice needs the producer description."""
    if c.h("ThirdPartyInvFlag") == "1" and not c.h("Producer"):
        yield violation(
            "CERT.PRODUCER.THIRD_PARTY_REQUIRED",
            head_path("Producer"),
            "with a third-party invoice the producer description is required",
        )


def _allowed(cert_type: str) -> Rule:
    return criteria_allowed(cert_type, ORIGIN_CRITERIA[cert_type])


#: Rules per certificate type, run after ``COMMON_RULES``. Add a type by adding an entry.
TYPE_RULES: Mapping[str, tuple[Rule, ...]] = MappingProxyType(
    {
        "C": (no_origin_criterion,),
        "E": (_allowed("E"), form_e_origin, form_e_exhibition, form_e_third_party),
        "G": (_allowed("G"), gsp_origin),
        "GE": (_allowed("GE"),),
        "RC": (_allowed("RC"), rcep_rvc_ratio, rcep_invoices),
        "A": (_allowed("A"),),
        "F": (_allowed("F"),),
        "K": (_allowed("K"),),
        "H": (_allowed("H"),),
        "T": (weights_required,),
        "M": (weights_required,),
        "TR": (origin_country_required,),
        "PR": (origin_country_required,),
        "EC": (third_party_producer,),
        "SE": (third_party_producer,),
    }
)


def check_certificate(
    data: Mapping[str, Any], *, registry: Mapping[str, Sequence[Rule]] = TYPE_RULES
) -> list[Violation]:
    """Every violation of the common rules and of the rules registered for the certificate's type."""
    cert = Certificate.of(data)
    rules = (*COMMON_RULES, *registry.get(cert.cert_type, ()))
    return [v for rule in rules for v in rule(cert)]


# ---------------------------------------------------------------------------------------------
# catalogue

_BASE_RULES = {
    "CERT.TYPE.REQUIRED": "CertType is empty",
    "CERT.TYPE.UNKNOWN": "CertType is not a GACC certificate type code",
    "CERT.NUMBER.REQUIRED": "CertNo is empty",
    "CERT.NUMBER.FORMAT": "CertNo is not type + yy + 9-char registrant + 4-digit serial (max 20 chars)",
    "CERT.NUMBER.TYPE_MISMATCH": "CertNo's type prefix differs from CertType",
    "CERT.STATUS.INVALID": "CertStatus is not 0, 1, 2 or 3",
    "CERT.STATUS.OLD_CERT_REQUIRED": "CertStatus 1-3 without ModCertificate/OldCertNo",
    "CERT.STATUS.OLD_CERT_SAME": "CertStatus 1-3 with OldCertNo equal to CertNo",
    "CERT.STATUS.MOD_REASON_REQUIRED": "CertStatus 1-3 without ModCertificate/ModReason",
    "FIELD.FLAG.INVALID": "a flag field is not '0' or '1'",
    "FIELD.DECIMAL.INVALID": "an amount, quantity, weight or ratio is not a non-negative decimal",
    "FIELD.DATE.INVALID": "a date is not a real yyyy-MM-dd date",
    "GOODS.REQUIRED": "a declared certificate (ApplyType 1) without goods lines",
    "GOODS.GNO.SEQUENCE": "GNo is not the line's position 1..n",
    "GOODS.HS.REQUIRED": "a goods line (not a non-goods item) without HS code",
    "GOODS.HS.FORMAT": "HS code is not 6, 8 or 10 digits",
    "GOODS.RATIO.RANGE": "import content ratio above 100%",
    "GOODS.FOB.SUM": "head FOBValue missing or not the sum of the goods FOBValue (within 0.01)",
    "ORIGIN.C.NONE_ALLOWED": "a general certificate (C) goods line has an origin criterion",
    "ORIGIN.E.SUB_NOT_ALLOWED": "Form E: sub-criterion on a criterion other than PSR",
    "ORIGIN.E.WO_PE_AUX_EMPTY": "Form E WO/PE: auxiliary item must be empty",
    "ORIGIN.E.WO_PE_RATIO_ZERO": "Form E WO/PE: import content ratio must be 0",
    "ORIGIN.E.PSR_SUB_REQUIRED": "Form E PSR: sub-criterion missing",
    "ORIGIN.E.PSR_SUB_INVALID": "Form E PSR: sub-criterion not 1 (RVC40), 2 (CTC) or 3 (process rule)",
    "ORIGIN.E.PSR_AUX_EMPTY": "Form E PSR: auxiliary item must be empty",
    "ORIGIN.E.PSR_RATIO_POSITIVE": "Form E PSR: import content ratio must be > 0",
    "ORIGIN.E.CTH_AUX_EMPTY": "Form E CTH: auxiliary item must be empty",
    "ORIGIN.E.CTH_RATIO_POSITIVE": "Form E CTH: import content ratio must be > 0",
    "ORIGIN.E.EMPTY_RATIO_REQUIRED": "Form E, empty criterion: import content ratio missing",
    "ORIGIN.E.EMPTY_RATIO_MAX_60": "Form E, empty criterion: import content ratio above 60%",
    "ORIGIN.E.EMPTY_AUX_FORMULA": "Form E, empty criterion: auxiliary item is not (100 - ratio)%",
    "FORM_E.EXHIBIT_CONSIGNEE_REQUIRED": "Form E exhibition certificate without consignee (exhibition name/address)",
    "FORM_E.THIRD_PARTY_NONPARTY_REQUIRED": "Form E third-party invoice without a non-party company",
    "FORM_E.NONPARTY_WITHOUT_THIRD_PARTY": "Form E non-party companies without the third-party invoice flag",
    "FORM_E.NONPARTY_NAME_REQUIRED": "Form E non-party company without name",
    "FORM_E.NONPARTY_COUNTRY_REQUIRED": "Form E non-party company without country",
    "ORIGIN.G.W_REF_HS4": "GSP criterion W: auxiliary item is not the HS heading XX.XX",
    "ORIGIN.G.F_RATIO_MAX_40": "GSP criterion F: import content ratio above 40%",
    "ORIGIN.G.Y_RATIO_MAX_50": "GSP criterion Y: import content ratio above 50%",
    "ORIGIN.RC.RVC_RATIO_REQUIRED": "RCEP criterion RVC without import content ratio",
    "RCEP.INVOICE.REQUIRED": "RCEP goods lines but no invoice list",
    "RCEP.INVOICE.PRICE_CLAUSE_SAME": "RCEP invoice price clause differs from the first invoice's (default FOB)",
    "RCEP.GOODS.INVOICE_REQUIRED": "RCEP goods line without invoice number",
    "RCEP.GOODS.INVOICE_UNKNOWN": "RCEP goods line invoice number not in the invoice list",
    "GOODS.WEIGHT.REQUIRED": "types T, M: goods line without GrossWt, NetWt or WtUnit",
    "CERT.ORIGIN_COUNTRY.REQUIRED": "types TR, PR: OriCountryCode missing",
    "CERT.PRODUCER.THIRD_PARTY_REQUIRED": "types EC, SE: third-party invoice without producer description",
}

#: Every rule id ``check_certificate`` can report, with its meaning.
RULES: Mapping[str, str] = MappingProxyType(
    {
        **_BASE_RULES,
        **{f"ORIGIN.{t}.ALLOWED": f"type {t}: origin criterion not in {sorted(a)}" for t, a in ORIGIN_CRITERIA.items()},
        **{
            f"ORIGIN.{t}.REQUIRED": f"type {t}: goods line without origin criterion"
            for t, a in ORIGIN_CRITERIA.items()
            if "" not in a
        },
    }
)
