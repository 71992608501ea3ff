"""Business rules for GACC certificate applications (seed 001 ch. 4 and 5, DOMAIN.md).

Input is the plain data shape of ``messages.certificate.decode``::

    {"head": {...}, "goods": [{...}], "mod": {...} | None, "nonparty": [{...}],
     "invoices": [{...}], "promises": [...]}

``check_certificate`` runs the common rules of this module (numbering, amendment / reissue, goods
lines, special-field scope) and then the rules registered for the certificate type in
``TYPE_RULES`` (``gateway.domain.certificate_types``). Every finding is a ``Violation`` with a
stable rule id; bad input never raises. Conventions:

- flags are ``'0'`` / ``'1'``; amounts and ratios are non-negative decimals; ``ICompPrpr`` (import
  content ratio) is a percentage 0-100;
- a goods line with ``GoodsItemFlag = '1'`` is a non-goods item (非货物项): rules that *require* a
  goods value skip it, rules about values that are present still apply;
- a number that does not parse is reported once (``FIELD.DECIMAL.INVALID``); rules that need it
  then stay silent.

Rule catalogues: ``RULES`` lists every rule a schema-valid document can break (each has a sample in
tests/data/families/gacc_certificate); ``SCHEMA_GUARD_RULES`` and
``certificate_types.TYPE_SCHEMA_GUARD_RULES`` list the checks of presence and lexical form that
gacc-certificate-v1.xsd already enforces on documents, which only plain data that skipped the schema
can trip; ``ALL_RULES`` is both. ``RULES``, ``ALL_RULES`` and ``TYPE_RULES`` are assembled lazily
with the type-specific module, which imports this one.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache, partial
from types import MappingProxyType
from typing import Any

from gateway.domain.identifiers import hs_code_is_valid
from gateway.domain.numbering import TYPE_CODES, CertNumber, parse_cert_no
from gateway.domain.violations import Violation

# ---------------------------------------------------------------------------------------------
# certificate types

#: Type codes the project assigned where DOMAIN.md has none (*assumed*: no public source found).
ASSUMED_TYPE_CODES: Mapping[str, str] = MappingProxyType(
    {"EM": "China-ASEAN movement certificate (流动证明, seed 001 §1.24); code assumed"}
)
#: Every certificate type these rules know: the GACC types plus the assumed ones.
KNOWN_TYPE_CODES: Mapping[str, str] = MappingProxyType({**TYPE_CODES, **ASSUMED_TYPE_CODES})


def parse_certificate_number(cert_no: str) -> CertNumber:
    """``numbering.parse_cert_no`` that also accepts the assumed type codes; raises ``ValueError``."""
    for code in ASSUMED_TYPE_CODES:
        if isinstance(cert_no, str) and cert_no.startswith(code):
            stand_in = next(c for c in TYPE_CODES if len(c) == len(code))
            return replace(parse_cert_no(stand_in + cert_no[len(code) :]), type=code)
    return parse_cert_no(cert_no)


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
        "DestCountryCode": "目的地国家/地区",
        "ModCertificate": "更改/重发信息",
        "OldCertNo": "原证书号",
        "ModReason": "更改原因",
        "ModColm": "更改栏目",
        "OldSituDesc": "原有情况描述",
        "ModSituDesc": "更改情况描述",
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
        "ExporterTel": "出口商电话",
        "ExporterFax": "出口商传真",
        "ExporterEmail": "出口商邮箱",
        "ConsigneeTel": "进口商电话",
        "ExpDeclDate": "出口报关日期",
        "BackToBackFlag": "是否背对背证书",
        "ApprovedExporterNo": "经核准出口商授权号",
        "FirstRcepCountryCode": "首次出口的RCEP原产国",
        "OriProofFileName": "进口证书扫描件",
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
        "OriProofNo": "原始原产地证明编号",
        "OriProofCountryCode": "原始原产地证明原产国",
        "OriProofHSCode": "原始原产地证明HS编码",
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


def text_of(mapping: Mapping[str, Any], key: str) -> str:
    """The stripped text of ``mapping[key]`` ('' when absent or None)."""
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
        return text_of(self.head, "CertType")

    @property
    def back_to_back(self) -> bool:
        """An RCEP back-to-back certificate (seed 001 §1.26)."""
        return self.cert_type == "RC" and self.h("BackToBackFlag") == "1"

    def h(self, field: str) -> str:
        """Head field text ('' when absent)."""
        return text_of(self.head, field)

    def lines(self) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """Goods lines with their 1-based index."""
        return enumerate(self.goods, start=1)


def is_non_goods(line: Mapping[str, Any]) -> bool:
    return text_of(line, "GoodsItemFlag") == "1"


_DECIMAL = re.compile(r"\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
PERCENT = re.compile(r"(\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*%")
CENT = Decimal("0.01")


def to_decimal(text: str) -> Decimal | None:
    """A non-negative decimal in XSD lexical form, or None (no exponents, NaN, or underscores)."""
    return Decimal(text) if _DECIMAL.fullmatch(text) else None


def to_date(text: str) -> datetime.date | None:
    """A real ``yyyy-MM-dd`` date, or None."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros (``12.50`` -> ``12.5``)."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def ratio_of(line: Mapping[str, Any]) -> tuple[str, Decimal | None]:
    """(text, value) of ICompPrpr; value is None when empty or invalid."""
    text = text_of(line, "ICompPrpr")
    return text, to_decimal(text)


# ---------------------------------------------------------------------------------------------
# common rules: field forms (guards for plain data), numbering

Rule = Callable[[Certificate], Iterable[Violation]]

HEAD_FLAGS = ("ApplyType", "ProducerSertFlag", "ExhibitFlag", "ThirdPartyInvFlag", "BackToBackFlag")
GOODS_FLAGS = ("GoodsItemFlag",)
HEAD_DECIMALS = ("FOBValue", "TotalAmt")
GOODS_DECIMALS = ("PackQty", "GoodsQty", "GrossWt", "NetWt", "InvPrice", "InvValue", "FOBValue", "ICompPrpr")
INVOICE_DECIMALS = ("Value",)
HEAD_DATES = ("InvDate", "IntendExpDate", "ExpDeclDate")
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
            text = text_of(mapping, name)
            if text:
                yield kind, at(name), text


def field_formats(c: Certificate) -> Iterator[Violation]:
    for kind, path, text in _fields(c):
        if kind == "flag" and text not in ("0", "1"):
            yield violation("FIELD.FLAG.INVALID", path, f"flag must be '0' or '1', got {text!r}")
        elif kind == "decimal" and to_decimal(text) is None:
            yield violation("FIELD.DECIMAL.INVALID", path, f"must be a non-negative decimal number, got {text!r}")
        elif kind == "date" and to_date(text) is None:
            yield violation("FIELD.DATE.INVALID", path, f"must be a date yyyy-MM-dd, got {text!r}")


def cert_type_known(c: Certificate) -> Iterator[Violation]:
    if not c.cert_type:
        yield violation("CERT.TYPE.REQUIRED", head_path("CertType"), "certificate type is required")
    elif c.cert_type not in KNOWN_TYPE_CODES:
        yield violation("CERT.TYPE.UNKNOWN", head_path("CertType"), f"unknown certificate type {c.cert_type!r}")


def cert_number(c: Certificate) -> Iterator[Violation]:
    path = head_path("CertNo")
    cert_no = c.h("CertNo")
    if not cert_no:
        yield violation("CERT.NUMBER.REQUIRED", path, "certificate number is required")
        return
    try:
        parsed = parse_certificate_number(cert_no)
    except ValueError as exc:
        yield violation("CERT.NUMBER.FORMAT", path, str(exc))
        return
    if c.cert_type in KNOWN_TYPE_CODES and parsed.type != c.cert_type:
        yield violation(
            "CERT.NUMBER.TYPE_MISMATCH",
            path,
            f"certificate number starts with {parsed.type!r} but the certificate type is {c.cert_type!r}",
        )


# ---------------------------------------------------------------------------------------------
# common rules: amendment, reissue, amend-and-reissue (seed 001 ch. 5)

STATUS_NAMES = MappingProxyType({"1": "amended", "2": "reissued", "3": "amended and reissued"})
#: ModCertificate fields that describe a change; an amendment (1, 3) fills them all (更改栏目,
#: 原有情况描述, 更改情况描述); a plain reissue (2) changes nothing and may leave them out.
CHANGE_FIELDS = ("ModColm", "OldSituDesc", "ModSituDesc")


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
        if c.mod is not None:
            yield violation(
                "CERT.MOD.NOT_EXPECTED",
                MOD,
                "a new certificate (CertStatus 0) has no ModCertificate; amend or reissue with CertStatus 1-3",
            )
        return
    mod = c.mod or {}
    old_no = text_of(mod, "OldCertNo")
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
    else:
        yield from _old_cert_number(c, old_no)
    if not text_of(mod, "ModReason"):
        yield violation(
            "CERT.STATUS.MOD_REASON_REQUIRED",
            sub_path(MOD, "ModReason"),
            f"CertStatus {status} (amend / reissue) needs ModCertificate/ModReason",
        )
    if status in ("1", "3"):
        for name in CHANGE_FIELDS:
            if not text_of(mod, name):
                yield violation(
                    "CERT.MOD.CHANGE_REQUIRED",
                    sub_path(MOD, name),
                    f"an {STATUS_NAMES[status]} certificate describes the change: ModCertificate/{name} is required",
                )
    yield from _old_dates(c, status)


def _old_cert_number(c: Certificate, old_no: str) -> Iterator[Violation]:
    """The original is a standard number of the same type (type conversion is another operation)."""
    path = sub_path(MOD, "OldCertNo")
    try:
        old = parse_certificate_number(old_no)
    except ValueError as exc:
        yield violation("CERT.MOD.OLD_CERT_FORMAT", path, f"OldCertNo: {exc}")
        return
    if c.cert_type in KNOWN_TYPE_CODES and old.type != c.cert_type:
        yield violation(
            "CERT.MOD.OLD_CERT_TYPE",
            path,
            f"an amendment or reissue keeps the certificate type: OldCertNo is type {old.type!r}, "
            f"the certificate {c.cert_type!r}",
        )


def _old_dates(c: Certificate, status: str) -> Iterator[Violation]:
    mod = c.mod or {}
    issued_text = text_of(mod, "OldIssueDate")
    if not issued_text:
        yield violation(
            "CERT.MOD.OLD_ISSUE_DATE_REQUIRED",
            sub_path(MOD, "OldIssueDate"),
            f"only an approved certificate can be {STATUS_NAMES[status]}: give its issue date (OldIssueDate)",
        )
        return
    declared, issued = to_date(text_of(mod, "OldDeclDate")), to_date(issued_text)
    if declared is not None and issued is not None and declared > issued:
        yield violation(
            "CERT.MOD.DATE_ORDER",
            sub_path(MOD, "OldIssueDate"),
            f"the original certificate was issued ({issued}) before it was declared ({declared})",
        )


# ---------------------------------------------------------------------------------------------
# common rules: goods lines


def goods_present(c: Certificate) -> Iterator[Violation]:
    if c.h("ApplyType") == "1" and not c.goods:
        yield violation("GOODS.REQUIRED", GOODS_LIST, "a declared certificate needs at least one goods line")


def goods_numbering(c: Certificate) -> Iterator[Violation]:
    for i, line in c.lines():
        gno = text_of(line, "GNo")
        if not (gno.isascii() and gno.isdecimal() and int(gno) == i):
            yield violation(
                "GOODS.GNO.SEQUENCE", goods_path(i, "GNo"), f"goods lines are numbered 1..n: expected {i}, got {gno!r}"
            )


def goods_hs_code(c: Certificate) -> Iterator[Violation]:
    for i, line in c.lines():
        hs = text_of(line, "HSCode")
        if not hs:
            if not is_non_goods(line):
                yield violation("GOODS.HS.REQUIRED", goods_path(i, "HSCode"), "HS code is required")
        elif not hs_code_is_valid(hs):
            yield violation(
                "GOODS.HS.FORMAT", goods_path(i, "HSCode"), f"HS code must be 6, 8 or 10 digits, got {hs!r}"
            )


def goods_ratio_range(c: Certificate) -> Iterator[Violation]:
    for i, line in c.lines():
        _, ratio = ratio_of(line)
        if ratio is not None and ratio > 100:
            yield violation(
                "GOODS.RATIO.RANGE",
                goods_path(i, "ICompPrpr"),
                f"import content ratio is a percentage 0-100, got {ratio}",
            )


def goods_weights(c: Certificate) -> Iterator[Violation]:
    """Net weight cannot exceed gross weight (same line, both given)."""
    for i, line in c.lines():
        gross, net = to_decimal(text_of(line, "GrossWt")), to_decimal(text_of(line, "NetWt"))
        if gross is not None and net is not None and net > gross:
            yield violation(
                "GOODS.WEIGHT.NET_EXCEEDS_GROSS",
                goods_path(i, "NetWt"),
                f"net weight {plain(net)} exceeds gross weight {plain(gross)}",
            )


def fob_sum(c: Certificate) -> Iterator[Violation]:
    texts = [text_of(line, "FOBValue") for line in c.goods]
    values = [to_decimal(t) for t in texts if t]
    if not values or any(v is None for v in values):
        return
    total = sum((v for v in values if v is not None), Decimal(0))
    head_text = c.h("FOBValue")
    if not head_text:
        yield violation(
            "GOODS.FOB.SUM", head_path("FOBValue"), f"FOBValue is required: goods lines add up to {plain(total)}"
        )
        return
    head_value = to_decimal(head_text)
    if head_value is not None and abs(head_value - total) > CENT:
        yield violation(
            "GOODS.FOB.SUM",
            head_path("FOBValue"),
            f"FOBValue {plain(head_value)} differs from the sum of the goods lines {plain(total)}",
        )


# ---------------------------------------------------------------------------------------------
# common rules: special fields used by one type only

#: Head fields of the RCEP back-to-back certificate (seed 001 §1.26).
BACK_TO_BACK_HEAD = ("ApprovedExporterNo", "FirstRcepCountryCode", "OriProofFileName")
#: Goods fields naming the imported goods' original proof of origin (进境货物原产地信息): RCEP
#: back-to-back (§1.26) and the China-ASEAN movement certificate (§1.24).
ORI_PROOF_GOODS = ("OriProofNo", "OriProofCountryCode", "OriProofHSCode")
ORI_PROOF_TYPES = ("EM",)  # plus RC when BackToBackFlag = 1


def special_field_scope(c: Certificate) -> Iterator[Violation]:
    """Back-to-back and original-proof fields only where the type uses them (catches a missing flag)."""
    if c.h("BackToBackFlag") == "1" and c.cert_type != "RC":
        yield violation(
            "RCEP.B2B.NOT_APPLICABLE",
            head_path("BackToBackFlag"),
            f"only an RCEP certificate (RC) can be back-to-back, not type {c.cert_type!r}",
        )
    elif not c.back_to_back:
        for name in BACK_TO_BACK_HEAD:
            if c.h(name):
                yield violation(
                    "RCEP.B2B.NOT_APPLICABLE",
                    head_path(name),
                    f"{name} belongs to an RCEP back-to-back certificate (CertType RC, BackToBackFlag 1)",
                )
    if c.back_to_back or c.cert_type in ORI_PROOF_TYPES:
        return
    for i, line in c.lines():
        for name in ORI_PROOF_GOODS:
            if text_of(line, name):
                yield violation(
                    "ORIPROOF.NOT_APPLICABLE",
                    goods_path(i, name),
                    f"{name} is only for RCEP back-to-back (RC with BackToBackFlag 1) and movement (EM) certificates",
                )


CONFIDENTIAL_PRODUCER = "AVAILABLE UPON REQUEST"


def producer_confidential(c: Certificate) -> Iterator[Violation]:
    """生产商保密 (seed 001 §1.3): the producer box reads AVAILABLE UPON REQUEST."""
    if c.h("ProducerSertFlag") == "1" and " ".join(c.h("Producer").split()) != CONFIDENTIAL_PRODUCER:
        yield violation(
            "CERT.PRODUCER.CONFIDENTIAL_TEXT",
            head_path("Producer"),
            f"with producer confidential (ProducerSertFlag 1) the producer description is "
            f"{CONFIDENTIAL_PRODUCER!r}, got {c.h('Producer')!r}",
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
    goods_weights,
    fob_sum,
    special_field_scope,
    producer_confidential,
)


def check_certificate(
    data: Mapping[str, Any], *, registry: Mapping[str, Sequence[Rule]] | None = None
) -> list[Violation]:
    """Every violation of the common rules and of the rules registered for the certificate's type."""
    cert = Certificate.of(data)
    types = _type_rules() if registry is None else registry
    rules = (*COMMON_RULES, *types.get(cert.cert_type, ()))
    return [v for rule in rules for v in rule(cert)]


# ---------------------------------------------------------------------------------------------
# catalogue

#: Rules of this module a schema-valid document can break.
COMMON_RULE_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "CERT.NUMBER.FORMAT": "CertNo is not type + yy + 9-char registrant + 4-digit serial (max 20 chars)",
        "CERT.NUMBER.TYPE_MISMATCH": "CertNo's type prefix differs from CertType",
        "CERT.STATUS.OLD_CERT_REQUIRED": "CertStatus 1-3 without ModCertificate/OldCertNo",
        "CERT.STATUS.OLD_CERT_SAME": "CertStatus 1-3 with OldCertNo equal to CertNo",
        "CERT.STATUS.MOD_REASON_REQUIRED": "CertStatus 1-3 without ModCertificate/ModReason",
        "CERT.MOD.NOT_EXPECTED": "ModCertificate on a new certificate (CertStatus 0)",
        "CERT.MOD.OLD_CERT_FORMAT": "OldCertNo is not a standard certificate number",
        "CERT.MOD.OLD_CERT_TYPE": "OldCertNo's type differs from CertType (amend/reissue keeps the type)",
        "CERT.MOD.CHANGE_REQUIRED": "CertStatus 1 or 3 without ModColm, OldSituDesc or ModSituDesc",
        "CERT.MOD.OLD_ISSUE_DATE_REQUIRED": "CertStatus 1-3 without the original's issue date (OldIssueDate)",
        "CERT.MOD.DATE_ORDER": "OldDeclDate after OldIssueDate",
        "GOODS.GNO.SEQUENCE": "GNo is not the line's position 1..n",
        "GOODS.WEIGHT.NET_EXCEEDS_GROSS": "a goods line's NetWt is greater than its GrossWt",
        "GOODS.FOB.SUM": "head FOBValue missing or not the sum of the goods FOBValue (within 0.01)",
        "RCEP.B2B.NOT_APPLICABLE": "back-to-back flag or fields on a certificate that is not RC with BackToBackFlag 1",
        "ORIPROOF.NOT_APPLICABLE": "original-proof goods fields on a certificate other than RC back-to-back or EM",
        "CERT.PRODUCER.CONFIDENTIAL_TEXT": "ProducerSertFlag 1 but Producer is not 'AVAILABLE UPON REQUEST'",
    }
)

#: Presence and lexical checks the XSD enforces on documents; only plain data that skipped the
#: schema can trip them (kept so that the rules never trust their input).
SCHEMA_GUARD_RULES: Mapping[str, str] = MappingProxyType(
    {
        "CERT.TYPE.REQUIRED": "CertType is empty",
        "CERT.TYPE.UNKNOWN": "CertType is not a GACC (or assumed) certificate type code",
        "CERT.NUMBER.REQUIRED": "CertNo is empty",
        "CERT.STATUS.INVALID": "CertStatus is not 0, 1, 2 or 3",
        "FIELD.FLAG.INVALID": "a flag field is not '0' or '1'",
        "FIELD.DECIMAL.INVALID": "an amount, quantity, weight or ratio is not a non-negative decimal",
        "FIELD.DATE.INVALID": "a date is not a real yyyy-MM-dd date",
        "GOODS.REQUIRED": "a declared certificate (ApplyType 1) without goods lines",
        "GOODS.HS.REQUIRED": "a goods line (not a non-goods item) without HS code",
        "GOODS.HS.FORMAT": "HS code is not 6, 8 or 10 digits",
        "GOODS.RATIO.RANGE": "import content ratio above 100%",
    }
)


@cache
def _type_rules() -> Mapping[str, tuple[Rule, ...]]:
    from gateway.domain.certificate_types import TYPE_RULES

    return TYPE_RULES


@cache
def _catalogues() -> tuple[Mapping[str, str], Mapping[str, str]]:
    from gateway.domain.certificate_types import TYPE_RULE_TEXTS, TYPE_SCHEMA_GUARD_RULES

    rules = MappingProxyType({**COMMON_RULE_TEXTS, **TYPE_RULE_TEXTS})
    return rules, MappingProxyType({**rules, **SCHEMA_GUARD_RULES, **TYPE_SCHEMA_GUARD_RULES})


def __getattr__(name: str) -> Any:
    """``RULES``, ``ALL_RULES`` and ``TYPE_RULES``, built with gateway.domain.certificate_types.

    Lazy because that module builds on this one (import either first: both work).
    """
    if name == "RULES":
        return _catalogues()[0]
    if name == "ALL_RULES":
        return _catalogues()[1]
    if name == "TYPE_RULES":
        return _type_rules()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
