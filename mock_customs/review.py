"""The authority's own review of a CO application, written from the manuals, not from the gateway.

Two stages, as at the real authority:

- **intake** (answered by the ImportResponse): the envelope is well formed and safe, addressed to this
  authority, carries a known message type, the sender is registered, the enveloped signature verifies
  against *the certificate the enterprise registered* (not whatever certificate the message carries),
  and envelope and body are valid against the XSDs. Any failure → ResultCode 1.
- **business review** (answered by BusinessReceipt SeqNo 2): certificate number format and uniqueness,
  registration number, origin criteria per certificate type, Form E import-content rules, and a few
  cross-field checks. Any failure → RETURNED (退证) with reasons.

Every finding carries a rule id prefixed ``AUTH.`` (so it is never confused with a gateway rule), the
element path (``/Certificate/CertificateList/Goods[1]/OriCriteria``) and an English message naming the
Chinese field. The business rules work on plain data (the dicts of ``messages.certificate.decode``),
so they can be tested without XML; the tables below are the single place to extend them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

# the authority keeps Beijing time (the receipts' texts show it)
CHINA_TZ = timezone(timedelta(hours=8), "CST")

CERT_ROOT = "/Certificate"
HEAD = f"{CERT_ROOT}/CertificateHead"
GOODS = f"{CERT_ROOT}/CertificateList/Goods"
MOD = f"{CERT_ROOT}/ModCertificate"
NONPARTY = f"{CERT_ROOT}/NonpartyCorpList"

# English name and Chinese field name, for messages
FIELDS: dict[str, tuple[str, str]] = {
    "CertNo": ("certificate number", "证书号"),
    "CertType": ("certificate type", "证书类型"),
    "AplRegNo": ("CO registration number", "产地证备案号"),
    "ApplyType": ("application type", "申报类型"),
    "CertStatus": ("certificate category", "证书类别"),
    "FOBValue": ("FOB value", "FOB值"),
    "ThirdPartyInvFlag": ("third-party invoice flag", "是否第三方发票"),
    "HSCode": ("HS code", "HS编码"),
    "OriCriteria": ("origin criterion", "原产地标准"),
    "OriCriteriaSub": ("origin sub-criterion", "原产地子标准"),
    "OriCriteriaRef": ("origin criterion auxiliary item", "原产地标准辅助项"),
    "ICompPrpr": ("import-content ratio", "进口成份比例"),
    "OldCertNo": ("original certificate number", "原证书号"),
    "ModReason": ("amendment reason", "更改原因"),
    "NonpartyCorp": ("non-party company", "第三方发票/非缔约方公司"),
    "SenderId": ("sender", "发送方"),
    "EntUscc": ("unified social credit code", "统一社会信用代码"),
    "GrossWt": ("gross weight", "毛重"),
    "NetWt": ("net weight", "净重"),
    "WtUnit": ("weight unit", "重量单位"),
    "OriCountryCode": ("origin country", "原产国"),
    "Producer": ("producer description", "生产商描述"),
    "DestCountryCode": ("destination country", "目的国/地区"),
    "OriInv": ("invoice", "发票信息"),
    "PriceClause": ("price terms", "价格条款"),
    "InvNo": ("invoice number", "发票号"),
    "Signature": ("signature", "签名"),
}


def field_label(name: str) -> str:
    english, chinese = FIELDS.get(name, (name, name))
    return f"{english} {chinese} ({name})"


@dataclass(frozen=True)
class Finding:
    """One reason for failing or returning a message."""

    rule_id: str
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule_id": self.rule_id, "path": self.path, "message": self.message}


# ------------------------------------------------------------------------------------ reference data

# GACC certificate types (DOMAIN.md); two-letter codes make 17-character certificate numbers
GACC_CERT_TYPES = frozenset({
    "C", "G", "B", "E", "F", "M", "P", "T", "N", "X", "R", "H", "L", "I", "S", "PR", "TR", "A", "K", "AD",
    "AP", "GE", "MU", "CA", "RC", "NI", "EC", "SE", "HD", "MV", "CG",
})
CCPIT_CERT_TYPES = frozenset({"C", "B", "N", "X", "R", "H", "L", "I", "S", "A", "K", "E", "GE", "F"})
CERT_TYPES_BY_AUTHORITY: dict[str, frozenset[str]] = {"GACC": GACC_CERT_TYPES, "CCPIT": CCPIT_CERT_TYPES}


@dataclass(frozen=True)
class OriginTable:
    """Allowed OriCriteria values for one certificate type. ``""`` in ``allowed`` = may be empty."""

    allowed: tuple[str, ...]
    source: str

    def describe(self) -> str:
        if not self.allowed or self.allowed == ("",):
            return "none (must be empty)"
        named = [v for v in self.allowed if v]
        return ", ".join(named) + (" or empty" if "" in self.allowed else "")


_KOREA = ("WO", "WP", "PSR", "OP")
ORIGIN_CRITERIA: dict[str, OriginTable] = {
    "C": OriginTable(("",), "seed 001 §1.1: general CO has no origin criterion"),
    "AD": OriginTable(("",), "seed 001 §1.19: goods fields as §1.1"),
    "E": OriginTable(("WO", "PE", "PSR", "CTH", ""), "seed 001 §1.4"),
    "G": OriginTable(("P", "W", "F", "Y", "PK"), "seed 001 §1.2"),
    "RC": OriginTable(("WO", "PE", "CTC", "RVC", "CR"), "seed 001 §1.25"),
    "A": OriginTable(("WO", "WP", "PSR"), "seed 001 §1.10"),
    "F": OriginTable(("WO", "WP", "PSR"), "seed 001 §1.6"),
    "K": OriginTable(_KOREA, "seed 001 §1.3"),
    "H": OriginTable(("WO", "WP", "PSR", "PSR ACU", "PSR DMI", "PSR FG"), "seed 001 §1.9"),
    "GE": OriginTable(("WO", "WP", "40%", "PSR"), "seed 001 §1.22"),
}
# every other type's goods fields are "see §1.3 Korea" in seed 001 (assumed: the Korea list)
for _type in sorted(GACC_CERT_TYPES | CCPIT_CERT_TYPES):
    ORIGIN_CRITERIA.setdefault(_type, OriginTable(_KOREA, "seed 001: goods special fields see §1.3 (assumed)"))


@dataclass(frozen=True)
class ContentRule:
    """Form E (seed 001 §1.4) import-content rule for one origin criterion."""

    ratio: str  # "zero" | "positive" | "max60"
    aux: str  # "empty" | "complement"  ((100 − ratio)%)
    subs: tuple[str, ...] = ()  # allowed OriCriteriaSub values; () = not checked
    code: str = ""


FORM_E_CONTENT: dict[str, ContentRule] = {
    "WO": ContentRule(ratio="zero", aux="empty", code="WO"),
    "PE": ContentRule(ratio="zero", aux="empty", code="PE"),
    "PSR": ContentRule(ratio="positive", aux="empty", subs=("1", "2", "3"), code="PSR"),
    "CTH": ContentRule(ratio="positive", aux="empty", code="CTH"),
    "": ContentRule(ratio="max60", aux="complement", code="EMPTY"),
}
FORM_E_MAX_RATIO = Decimal(60)


@dataclass(frozen=True)
class HsRange:
    """HS chapters / headings, as prefixes of the HS code ("50" = chapter 50, "8471" = heading)."""

    prefixes: frozenset[str]
    label: str

    def contains(self, hs_code: str) -> bool:
        return any(hs_code.startswith(p) for p in self.prefixes)


def _chapters(first: int, last: int) -> frozenset[str]:
    return frozenset(f"{n:02d}" for n in range(first, last + 1))


# Which HS codes are on the China-ASEAN product-specific-rule list and which fall in the CTH range.
# The authority holds these lists; the enterprise does not see them (seed 001 §1.4 rule 5 and its
# flowchart). The real lists are long annexes; the mock uses this partition by HS chapter (assumed):
#   PSR list   chapters 15-24 (prepared foodstuffs), 50-64 (textiles, apparel, footwear), 72 (steel)
#   CTH range  chapters 25-49, 65-71, 73-97
#   neither    chapters 01-14 (live animals, vegetable products): WO/PE, or the empty criterion with
#              the auxiliary item (100 - ratio)%
# WO and PE apply to any HS code.
FORM_E_PSR_LIST = HsRange(
    _chapters(15, 24) | _chapters(50, 64) | {"72"},
    "the China-ASEAN PSR list (HS chapters 15-24, 50-64, 72)",
)
FORM_E_CTH_RANGE = HsRange(
    _chapters(25, 49) | _chapters(65, 71) | _chapters(73, 97),
    "the China-ASEAN CTH range (HS chapters 25-49, 65-71, 73-97)",
)

# GoodsItemFlag: "1" marks a non-goods item of a mixed line (no origin data required) — assumed coding
NON_GOODS_FLAGS = frozenset({"1", "Y", "true"})

CERT_NO_RE = re.compile(r"^(?P<year>\d{2})(?P<reg>[0-9A-Z]{9})(?P<serial>\d{4})$")
HS_RE = re.compile(r"^(\d{6}|\d{8}|\d{10})$")


# ----------------------------------------------------------------------------------- review context


@dataclass(frozen=True)
class ReviewContext:
    """What the authority knows when it reviews one message."""

    authority: str
    message_id: str
    sender_id: str
    reg_no: str  # the sender's registered AplRegNo
    received_at: datetime
    cert_no_holders: Callable[[str], Sequence[str]] = lambda _no: ()
    approved_cert_nos: Callable[[str], bool] = lambda _no: False

    @property
    def local_year(self) -> int:
        return self.received_at.astimezone(CHINA_TZ).year


Data = Mapping[str, Any]
Check = Callable[[ReviewContext, Data], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    rule_id: str
    description: str
    check: Check
    types: frozenset[str] | None = None  # None = every type

    def applies(self, cert_type: str) -> bool:
        return self.types is None or cert_type in self.types


def _head(data: Data) -> Mapping[str, Any]:
    head = data.get("head") or {}
    return head if isinstance(head, Mapping) else {}


def _goods(data: Data) -> list[Mapping[str, Any]]:
    goods = data.get("goods") or []
    return [g for g in goods if isinstance(g, Mapping)]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _decimal(value: Any) -> Decimal | None:
    text = _text(value).rstrip("%").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _goods_path(index: int, name: str) -> str:
    return f"{GOODS}[{index}]/{name}"


# ------------------------------------------------------------------------------- certificate number


def check_cert_no(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    head = _head(data)
    cert_no = _text(head.get("CertNo"))
    cert_type = _text(head.get("CertType"))
    path = f"{HEAD}/CertNo"
    label = field_label("CertNo")
    if not cert_no:
        yield Finding("AUTH.CERTNO.REQUIRED", path, f"{label} is required")
        return
    if not cert_type or not cert_no.startswith(cert_type):
        yield Finding(
            "AUTH.CERTNO.TYPE", path,
            f"{label} {cert_no!r} must start with the certificate type {field_label('CertType')} {cert_type!r}",
        )
        return
    expected = len(cert_type) + 2 + 9 + 4
    if len(cert_no) != expected:
        yield Finding(
            "AUTH.CERTNO.LENGTH", path,
            f"{label} {cert_no!r} has {len(cert_no)} characters; type {cert_type} numbers have {expected}"
            " (type + 2-digit year + 9-character registration number + 4-digit serial)",
        )
        return
    match = CERT_NO_RE.match(cert_no[len(cert_type):])
    if match is None:
        yield Finding(
            "AUTH.CERTNO.FORMAT", path,
            f"{label} {cert_no!r} must be type + 2-digit year + 9-character registration number"
            " + 4-digit serial",
        )
        return
    year = int(match["year"])
    this_year = ctx.local_year % 100
    if year not in (this_year, (this_year - 1) % 100):
        yield Finding(
            "AUTH.CERTNO.YEAR", path,
            f"{label} {cert_no!r}: year {match['year']} is neither this year ({this_year:02d}) nor last year",
        )
    accepted = {ctx.reg_no}
    if len(ctx.sender_id) == 18:
        accepted.add(ctx.sender_id[8:17])  # USCC characters 9-17
    if match["reg"] not in accepted:
        yield Finding(
            "AUTH.CERTNO.REGNO", path,
            f"{label} {cert_no!r}: characters {len(cert_type) + 3}-{len(cert_type) + 11} must be the"
            f" registered {field_label('AplRegNo')} {ctx.reg_no} or USCC characters 9-17 of the sender",
        )
    if match["serial"] == "0000":
        yield Finding("AUTH.CERTNO.SERIAL", path, f"{label} {cert_no!r}: the serial starts at 0001")
    holders = ctx.cert_no_holders(cert_no)
    if holders:
        yield Finding(
            "AUTH.CERTNO.DUPLICATE", path,
            f"{label} {cert_no!r} is already used by a pending or approved certificate (message {holders[0]})",
        )


def check_cert_type(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    cert_type = _text(_head(data).get("CertType"))
    known = CERT_TYPES_BY_AUTHORITY.get(ctx.authority, GACC_CERT_TYPES)
    if cert_type not in known:
        yield Finding(
            "AUTH.CERTTYPE.UNSUPPORTED", f"{HEAD}/CertType",
            f"{field_label('CertType')} {cert_type!r} is not issued by {ctx.authority}",
        )


def check_apl_reg_no(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    value = _text(_head(data).get("AplRegNo"))
    if value != ctx.reg_no:
        yield Finding(
            "AUTH.APLREGNO.MISMATCH", f"{HEAD}/AplRegNo",
            f"{field_label('AplRegNo')} {value!r} is not the number registered for {ctx.sender_id}",
        )


def check_apply_type(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    value = _text(_head(data).get("ApplyType"))
    if value and value != "1":
        yield Finding(
            "AUTH.APPLYTYPE.NOT_DECLARED", f"{HEAD}/ApplyType",
            f"{field_label('ApplyType')} {value!r}: only declarations (1) are accepted, not drafts",
        )


def check_modification(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    status = _text(_head(data).get("CertStatus")) or "0"
    if status not in ("1", "2", "3"):
        return
    mod = data.get("mod") or {}
    old = _text(mod.get("OldCertNo")) if isinstance(mod, Mapping) else ""
    reason = _text(mod.get("ModReason")) if isinstance(mod, Mapping) else ""
    if not old:
        yield Finding(
            "AUTH.MOD.OLDCERTNO_REQUIRED", f"{MOD}/OldCertNo",
            f"{field_label('CertStatus')} {status}: {field_label('OldCertNo')} is required",
        )
    elif not ctx.approved_cert_nos(old):
        yield Finding(
            "AUTH.MOD.OLDCERT_NOT_APPROVED", f"{MOD}/OldCertNo",
            f"{field_label('OldCertNo')} {old!r} is not an approved certificate of this authority",
        )
    if not reason:
        yield Finding(
            "AUTH.MOD.REASON_REQUIRED", f"{MOD}/ModReason",
            f"{field_label('CertStatus')} {status}: {field_label('ModReason')} is required",
        )
    if old and old == _text(_head(data).get("CertNo")):
        yield Finding(
            "AUTH.MOD.SAME_NUMBER", f"{HEAD}/CertNo",
            f"an amended or reissued certificate needs a new {field_label('CertNo')}, not {old!r}",
        )


def check_fob_sum(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    total = _decimal(_head(data).get("FOBValue"))
    values = [_decimal(g.get("FOBValue")) for g in _goods(data)]
    if total is None or not values or any(v is None for v in values):
        return
    line_sum = sum((v for v in values if v is not None), Decimal(0))
    if abs(line_sum - total) > Decimal("0.00001"):
        yield Finding(
            "AUTH.FOB.SUM", f"{HEAD}/FOBValue",
            f"{field_label('FOBValue')} {total} is not the sum of the goods lines ({line_sum})",
        )


def check_hs_codes(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    for index, goods in enumerate(_goods(data), start=1):
        hs = _text(goods.get("HSCode"))
        if hs and not HS_RE.match(hs):
            yield Finding(
                "AUTH.GOODS.HSCODE", _goods_path(index, "HSCode"),
                f"{field_label('HSCode')} {hs!r} must have 6, 8 or 10 digits",
            )


def _origin_lines(data: Data) -> Iterable[tuple[int, Mapping[str, Any]]]:
    for index, goods in enumerate(_goods(data), start=1):
        if _text(goods.get("GoodsItemFlag")) in NON_GOODS_FLAGS:
            continue
        yield index, goods


def check_origin_allowed(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    cert_type = _text(_head(data).get("CertType"))
    table = ORIGIN_CRITERIA.get(cert_type)
    if table is None:
        return
    for index, goods in _origin_lines(data):
        value = _text(goods.get("OriCriteria"))
        if value in table.allowed:
            continue
        rule = "AUTH.ORIGIN.{}.{}".format(cert_type, "REQUIRED" if not value else "ALLOWED")
        shown = "empty" if not value else repr(value)
        yield Finding(
            rule, _goods_path(index, "OriCriteria"),
            f"{field_label('OriCriteria')} {shown} is not allowed for certificate type {cert_type};"
            f" allowed: {table.describe()}",
        )


def check_form_e_content(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    for index, goods in _origin_lines(data):
        criterion = _text(goods.get("OriCriteria"))
        rule = FORM_E_CONTENT.get(criterion)
        if rule is None:
            continue  # reported by check_origin_allowed
        prefix = f"AUTH.ORIGIN.E.{rule.code}"
        shown = criterion or "empty"
        raw_ratio = _text(goods.get("ICompPrpr"))
        ratio = _decimal(raw_ratio) if raw_ratio else Decimal(0)
        ratio_path = _goods_path(index, "ICompPrpr")
        if ratio is None or ratio < 0 or ratio > 100:
            yield Finding(
                f"{prefix}.RATIO_FORMAT", ratio_path,
                f"{field_label('ICompPrpr')} {raw_ratio!r} must be a percentage between 0 and 100",
            )
            continue
        if rule.ratio == "zero" and ratio != 0:
            yield Finding(
                f"{prefix}.RATIO", ratio_path,
                f"{field_label('OriCriteria')} {shown}: {field_label('ICompPrpr')} must be 0, not {raw_ratio}",
            )
        elif rule.ratio == "positive" and ratio <= 0:
            yield Finding(
                f"{prefix}.RATIO", ratio_path,
                f"{field_label('OriCriteria')} {shown}: {field_label('ICompPrpr')} must be greater than 0",
            )
        elif rule.ratio == "max60" and ratio > FORM_E_MAX_RATIO:
            yield Finding(
                f"{prefix}.RATIO", ratio_path,
                f"{field_label('OriCriteria')} {shown}: {field_label('ICompPrpr')} {raw_ratio} must not exceed"
                f" {FORM_E_MAX_RATIO}%",
            )
        aux = _text(goods.get("OriCriteriaRef"))
        aux_path = _goods_path(index, "OriCriteriaRef")
        if rule.aux == "empty" and aux:
            yield Finding(
                f"{prefix}.AUX", aux_path,
                f"{field_label('OriCriteria')} {shown}: {field_label('OriCriteriaRef')} must be empty, not {aux!r}",
            )
        elif rule.aux == "complement":
            expected = Decimal(100) - ratio
            got = _decimal(aux) if aux.endswith("%") else None
            if got is None or got != expected:
                yield Finding(
                    f"{prefix}.AUX", aux_path,
                    f"{field_label('OriCriteria')} {shown}: {field_label('OriCriteriaRef')} must be"
                    f" (100 − {field_label('ICompPrpr')})% = {_percent(expected)}, not {aux or 'empty'!r}",
                )
        hs = _text(goods.get("HSCode"))
        if hs:
            yield from _form_e_hs_lists(prefix, index, criterion, hs)
        if rule.subs:
            sub = _text(goods.get("OriCriteriaSub"))
            if sub not in rule.subs:
                yield Finding(
                    f"{prefix}.SUB", _goods_path(index, "OriCriteriaSub"),
                    f"{field_label('OriCriteria')} {shown}: {field_label('OriCriteriaSub')} must be one of"
                    f" 1 (RVC40), 2 (CTC), 3 (process rule), not {sub or 'empty'!r}",
                )


def _form_e_hs_lists(prefix: str, index: int, criterion: str, hs: str) -> Iterable[Finding]:
    path = _goods_path(index, "OriCriteria")
    label = field_label("OriCriteria")
    on_psr, in_cth = FORM_E_PSR_LIST.contains(hs), FORM_E_CTH_RANGE.contains(hs)
    if criterion == "PSR" and not on_psr:
        yield Finding(f"{prefix}.NOT_LISTED", path,
                      f"{label} PSR: {field_label('HSCode')} {hs} is not on {FORM_E_PSR_LIST.label}")
    elif criterion == "CTH" and not in_cth:
        yield Finding(f"{prefix}.NOT_IN_RANGE", path,
                      f"{label} CTH: {field_label('HSCode')} {hs} is not in {FORM_E_CTH_RANGE.label}")
    elif criterion == "" and (on_psr or in_cth):
        which = FORM_E_PSR_LIST.label if on_psr else FORM_E_CTH_RANGE.label
        yield Finding(f"{prefix}.LISTED", path,
                      f"{label} may be empty only for goods in neither the PSR list nor the CTH range;"
                      f" {field_label('HSCode')} {hs} is in {which}")


def _percent(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return f"{text}%"


def check_third_party(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    flag = _text(_head(data).get("ThirdPartyInvFlag"))
    if flag in ("1", "Y", "true") and not data.get("nonparty"):
        yield Finding(
            "AUTH.E.NONPARTY_REQUIRED", NONPARTY,
            f"{field_label('ThirdPartyInvFlag')} is set: at least one {field_label('NonpartyCorp')} is required",
        )


def check_ent_uscc(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    uscc = _text(_head(data).get("EntUscc"))
    if uscc and len(ctx.sender_id) == 18 and uscc != ctx.sender_id:
        yield Finding(
            "AUTH.ENTUSCC.MISMATCH", f"{HEAD}/EntUscc",
            f"{field_label('EntUscc')} {uscc!r} is not the sender {ctx.sender_id}",
        )


def check_weights(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    cert_type = _text(_head(data).get("CertType"))
    for index, goods in enumerate(_goods(data), start=1):
        for name in ("GrossWt", "NetWt", "WtUnit"):
            if not _text(goods.get(name)):
                yield Finding(
                    f"AUTH.{cert_type}.WEIGHT_REQUIRED", _goods_path(index, name),
                    f"certificate type {cert_type}: {field_label(name)} is required",
                )


def check_origin_country(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    head = _head(data)
    if not _text(head.get("OriCountryCode")):
        cert_type = _text(head.get("CertType"))
        yield Finding(
            f"AUTH.{cert_type}.ORICOUNTRY_REQUIRED", f"{HEAD}/OriCountryCode",
            f"certificate type {cert_type}: {field_label('OriCountryCode')} is required",
        )


def check_third_party_producer(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    head = _head(data)
    if _text(head.get("ThirdPartyInvFlag")) == "1" and not _text(head.get("Producer")):
        cert_type = _text(head.get("CertType"))
        yield Finding(
            f"AUTH.{cert_type}.PRODUCER_REQUIRED", f"{HEAD}/Producer",
            f"certificate type {cert_type} with a third-party invoice: {field_label('Producer')} is required",
        )


def check_korea_destination(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    dest = _text(_head(data).get("DestCountryCode"))
    if dest != "KOR":
        yield Finding(
            "AUTH.K.DESTINATION", f"{HEAD}/DestCountryCode",
            f"certificate type K: {field_label('DestCountryCode')} must be KOR, not {dest!r}",
        )


def check_rcep_invoices(ctx: ReviewContext, data: Data) -> Iterable[Finding]:
    invoices = [i for i in (data.get("invoices") or []) if isinstance(i, Mapping)]
    if not invoices:
        yield Finding("AUTH.RC.INVOICES_REQUIRED", f"{CERT_ROOT}/OriInvs",
                      f"certificate type RC: at least one {field_label('OriInv')} is required")
        return
    clauses = {_text(i.get("PriceClause")) for i in invoices}
    if len(clauses) > 1:
        yield Finding("AUTH.RC.PRICE_CLAUSE", f"{CERT_ROOT}/OriInvs",
                      f"certificate type RC: every invoice needs the same {field_label('PriceClause')},"
                      f" found {', '.join(sorted(clauses))}")
    numbers = {_text(i.get("InvNo")) for i in invoices}
    for index, goods in enumerate(_goods(data), start=1):
        inv = _text(goods.get("InvNo"))
        if inv not in numbers:
            yield Finding("AUTH.RC.GOODS_INVOICE", _goods_path(index, "InvNo"),
                          f"certificate type RC: goods line {field_label('InvNo')} {inv or 'empty'!r}"
                          " must be one of the certificate's invoices")


BUSINESS_RULES: tuple[Rule, ...] = (
    Rule("AUTH.CERTTYPE", "certificate type issued by this authority", check_cert_type),
    Rule("AUTH.APPLYTYPE", "only declarations reach the authority", check_apply_type),
    Rule("AUTH.APLREGNO", "AplRegNo is the sender's registration", check_apl_reg_no),
    Rule("AUTH.CERTNO", "certificate number format and uniqueness", check_cert_no),
    Rule("AUTH.MOD", "amended / reissued certificates refer to an approved one", check_modification),
    Rule("AUTH.FOB", "FOB value is the sum of the goods lines", check_fob_sum),
    Rule("AUTH.GOODS", "HS code shape", check_hs_codes),
    Rule("AUTH.ORIGIN", "origin criterion allowed for the type", check_origin_allowed),
    Rule("AUTH.ORIGIN.E", "Form E import-content rules", check_form_e_content, frozenset({"E"})),
    Rule("AUTH.E", "Form E third-party invoice", check_third_party, frozenset({"E"})),
    Rule("AUTH.ENTUSCC", "EntUscc is the sender", check_ent_uscc),
    Rule("AUTH.WEIGHT", "T and M need weights", check_weights, frozenset({"T", "M"})),
    Rule("AUTH.ORICOUNTRY", "TR and PR need the origin country", check_origin_country, frozenset({"TR", "PR"})),
    Rule("AUTH.PRODUCER", "EC and SE third-party invoice needs the producer", check_third_party_producer,
         frozenset({"EC", "SE"})),
    Rule("AUTH.K", "Korea certificates go to Korea", check_korea_destination, frozenset({"K"})),
    Rule("AUTH.RC", "RCEP invoices", check_rcep_invoices, frozenset({"RC"})),
)


@dataclass
class BusinessReview:
    findings: list[Finding] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return not self.findings


def review_certificate(
    ctx: ReviewContext, data: Data, rules: Sequence[Rule] = BUSINESS_RULES
) -> BusinessReview:
    """Run every applicable business rule; the certificate is approved when nothing is found."""
    cert_type = _text(_head(data).get("CertType"))
    result = BusinessReview()
    for rule in rules:
        if rule.applies(cert_type):
            result.findings.extend(rule.check(ctx, data))
    return result


def utcnow() -> datetime:
    return datetime.now(UTC)
