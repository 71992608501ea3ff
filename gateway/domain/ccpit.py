"""CCPIT (贸促会) facts shared by the ccpit_* rule families (seed 002; "l.N" = line N of the seed).

Certificate types (l.305-319): the seed lists 15 — C, B, N, X, R, H, L, HM, I, S, A, K, E, GE, F.
DOMAIN.md lists 14: it leaves out HM (内地与香港、澳门紧密贸易关系安排, CEPA, l.312). The seed wins.

Identifiers (l.210-212, l.836): 贸促会编码 is the 6-digit code of the local CCPIT office, 企业编码 the
enterprise's 9-position CCPIT registration code. Checked here with simple local patterns (the shared
``gateway.domain.identifiers`` module is being extended separately).

Certificate number: the seed gives no format (a draft's 证书编号 shows "-", l.452). We use the shape of
the one CCPIT-assigned number it does show, the product registration number ``18S2102M9997/00054``
(l.429): 2-digit year + type code + 9-digit enterprise code + ``/`` + 5-digit serial, e.g.
``26E350100001/00001`` (*assumed*). Its type must be the certificate's type and its enterprise code the
applicant's.

Origin criteria: the same allowed lists as the GACC certificate for the same agreement (read from the
GACC rules, see ``origin_criteria``); C carries none; HM has no GACC counterpart: required, any value
(*assumed*).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

#: The 15 CCPIT certificate types of the 创建原产地证 page (l.305-319), code -> Chinese name.
CERT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "C": "一般原产地证",
        "B": "亚太贸易协定",
        "N": "中国-新西兰自贸协定",
        "X": "中国-新加坡自贸协定",
        "R": "中国-秘鲁自贸协定",
        "H": "海峡两岸经济合作框架协议",
        "L": "中国-哥斯达黎加自贸协定",
        "HM": "内地与香港、澳门紧密贸易关系安排",
        "I": "中国-冰岛自贸协定",
        "S": "中国-瑞士自贸协定",
        "A": "中国-澳大利亚自贸协定",
        "K": "中国-韩国自贸协定",
        "E": "中国-东盟自贸协定",
        "GE": "中国-格鲁吉亚自贸协定",
        "F": "中国-智利自贸协定",
    }
)
#: The general (non-preferential) certificate (l.303, l.305).
GENERAL = "C"
#: Every other type is preferential (优惠原产地证, l.303): its goods must be registered and approved (l.431).
PREFERENTIAL_TYPES = frozenset(CERT_TYPES) - {GENERAL}
#: 《海峡两岸经济合作框架协议》: its products are registered on their own (l.551).
ECFA = "H"

OFFICE_CODE = re.compile(r"[0-9]{6}")  # 贸促会编码 (l.210)
ENTERPRISE_CODE = re.compile(r"[0-9]{9}")  # 企业编码 (l.212); "9位" read as 9 digits (DOMAIN.md)
_TYPE_ALT = "HM|GE|[" + "".join(sorted(t for t in CERT_TYPES if len(t) == 1)) + "]"
CERT_NO = re.compile(rf"([0-9]{{2}})({_TYPE_ALT})({ENTERPRISE_CODE.pattern})/([0-9]{{5}})")
#: Han ideographs (CJK unified, extension A, compatibility) and CJK punctuation / full-width forms.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def office_code_is_valid(value: str) -> bool:
    """True for a 6-digit CCPIT office code (贸促会编码, l.210)."""
    return isinstance(value, str) and OFFICE_CODE.fullmatch(value) is not None


def enterprise_code_is_valid(value: str) -> bool:
    """True for a 9-digit CCPIT enterprise code (企业编码, l.212)."""
    return isinstance(value, str) and ENTERPRISE_CODE.fullmatch(value) is not None


@dataclass(frozen=True)
class CcpitCertNumber:
    """A parsed CCPIT certificate number (format *assumed*, see the module docstring)."""

    year: int  # 2026 for "26"
    type: str
    ent_code: str
    serial: int

    def __str__(self) -> str:
        return f"{self.year % 100:02d}{self.type}{self.ent_code}/{self.serial:05d}"


def parse_cert_no(cert_no: str) -> CcpitCertNumber:
    """Parse ``yyT…/nnnnn``; raises ``ValueError`` saying what is wrong."""
    if not isinstance(cert_no, str) or not cert_no:
        raise ValueError("certificate number is empty")
    match = CERT_NO.fullmatch(cert_no)
    if match is None:
        raise ValueError("a CCPIT certificate number is 2-digit year + type code + 9-digit enterprise code + '/' + "
                         f"5-digit serial (e.g. 26E350100001/00001), got {cert_no!r}")
    yy, cert_type, ent_code, serial = match.groups()
    if serial == "00000":
        raise ValueError("certificate number serial 00000 is not allowed; serials start at 00001")
    return CcpitCertNumber(2000 + int(yy), cert_type, ent_code, int(serial))


def format_cert_no(cert_type: str, year: int, ent_code: str, serial: int) -> str:
    """Build a CCPIT certificate number; ``year`` may be 2026 or 26."""
    if cert_type not in CERT_TYPES:
        raise ValueError(f"unknown CCPIT certificate type {cert_type!r}")
    if not enterprise_code_is_valid(ent_code):
        raise ValueError(f"{ent_code!r} is not a 9-digit CCPIT enterprise code")
    if not 1 <= serial <= 99999:
        raise ValueError(f"serial {serial} is outside 1-99999")
    yy = year % 100 if 2000 <= year <= 2099 else year
    if not 0 <= yy <= 99:
        raise ValueError(f"year {year} is outside 2000-2099")
    return str(CcpitCertNumber(2000 + yy, cert_type, ent_code, serial))


def cert_no_problems(cert_no: str, *, cert_type: str, ent_code: str) -> tuple[str | None, str | None]:
    """(type problem, enterprise problem) of a certificate number against its certificate type and the
    applicant's enterprise code; ``None`` where fine. A number that does not parse gives neither (its
    form is the schema's business)."""
    try:
        parsed = parse_cert_no(cert_no)
    except ValueError:
        return None, None
    type_problem = ent_problem = None
    if cert_type and parsed.type != cert_type:
        type_problem = f"certificate number {cert_no} is of type {parsed.type!r}, the certificate type is {cert_type!r}"
    if ent_code and parsed.ent_code != ent_code:
        ent_problem = (f"certificate number {cert_no} belongs to enterprise code {parsed.ent_code}, "
                       f"not to the applicant {ent_code}")
    return type_problem, ent_problem


# ---------------------------------------------------------------------------------------------
# origin criteria

@cache
def origin_criteria() -> Mapping[str, frozenset[str] | None]:
    """Allowed OriCriteria per preferential CCPIT type, read-only from the GACC rules.

    frozenset: the value must be one of it ("" in it: may be left empty, otherwise required);
    None: required, any value the schema accepts. C is not in the table: it carries no criterion.
    """
    from gateway.domain.certificate_types import ORIGIN_CRITERIA  # one table for both authorities

    table: dict[str, frozenset[str] | None] = {}
    for cert_type in sorted(PREFERENTIAL_TYPES):
        allowed = ORIGIN_CRITERIA.get(cert_type)  # a type GACC does not issue (HM): required, any value
        table[cert_type] = frozenset(allowed) if allowed is not None else None
    return MappingProxyType(table)


# ---------------------------------------------------------------------------------------------
# plain-data helpers


def child(data: Any, key: str) -> Mapping[str, Any]:
    """``data[key]`` when it is a mapping, else an empty mapping."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def children(data: Any, *keys: str) -> list[Mapping[str, Any]]:
    """The list at ``data[k1][k2]...`` (a single mapping counts as a list of one); non-mappings are skipped."""
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [item if isinstance(item, Mapping) else {} for item in value]
    return []


def text(data: Any, key: str) -> str:
    """The stripped text at ``data[key]`` ('' when absent or not text)."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


def texts(data: Any, key: str) -> list[str]:
    """The stripped texts of a repeatable text element (a single text counts as a list of one)."""
    value = data.get(key) if isinstance(data, Mapping) else None
    if isinstance(value, str):
        return [value.strip()]
    if isinstance(value, list):
        return [v.strip() if isinstance(v, str) else "" for v in value]
    return []


def has_cjk(value: str) -> bool:
    """True when ``value`` has a Chinese character or CJK / full-width punctuation."""
    return _CJK.search(value) is not None


def has_han(value: str) -> bool:
    """True when ``value`` has at least one Chinese (Han) character."""
    return _HAN.search(value) is not None


# ---------------------------------------------------------------------------------------------
# printing


def print_data(doc: Mapping[str, Any], cert_no: str) -> dict[str, Any]:
    """A CCPIT application (generic decode) in the shape the certificate renderers read (the GACC
    certificate's ``head`` / ``goods``), carrying the number CCPIT assigned when it approved it: the
    application itself has none (or a provisional one)."""
    head = child(doc, "CertificateHead")
    marks = [m for m in (text(g, "Marks") for g in children(doc, "CertificateList", "Goods")) if m]
    printed_head = {
        "CertNo": cert_no, "CertType": text(head, "CertType"), "EntUscc": text(head, "EntUscc"),
        "AplRegNo": text(head, "EntCode"), "OrgCode": text(head, "OfficeCode"),
        "Exporter": text(head, "Exporter"), "Consignee": text(head, "Importer"), "Producer": text(head, "Producer"),
        "LoadPort": text(head, "LoadPort"), "UnloadPort": text(head, "DestPort"),
        "DestCountryCode": text(head, "DestCountryCode"), "TransDetails": text(head, "TransRoute"),
        "IntendExpDate": text(head, "TransDate"), "InvNo": text(head, "InvNo"), "InvDate": text(head, "InvDate"),
        "FOBValue": text(head, "FOBValue"), "TotalAmt": text(head, "InvAmount"), "Curr": text(head, "InvCurr"),
        "PriceTerms": text(head, "PriceTerms"), "FetchPlace": text(head, "SignPlace"), "Mark": "\n".join(marks),
    }
    goods = [{
        "GNo": text(g, "GNo"), "HSCode": text(g, "HSCode"), "GoodsName": text(g, "GoodsDesc"),
        "GoodsNameE": text(g, "GoodsDesc"), "GoodsQty": text(g, "Qty"), "GoodsUnit": text(g, "Unit"),
        "NetWt": text(g, "NetWt"), "WtUnit": text(g, "NetWtUnit"),
        "InvPrice": text(g, "UnitPrice"), "InvValue": text(g, "Amount"), "FOBValue": text(g, "FOBValue"),
        "OriCriteria": text(g, "OriCriteria"), "InvNo": text(head, "InvNo"),
    } for g in children(doc, "CertificateList", "Goods")]
    return {"head": printed_head, "goods": goods, "mod": None, "nonparty": [], "invoices": [], "promises": []}
