"""CCPIT certificate-of-origin application (seed 002 l.121-124, l.299-431, l.837): rules of ``Certificate``
in ``urn:cogateway:ccpit:certificate:v1``.

The document decodes (generic codec) to ``{"CertificateHead": {...}, "CertificateList": {"Goods": [...]},
"ModCertificate": {...}}``. Rules, with the seed lines they come from:

- preferential certificates (every type but C, l.303) may only use registered goods that CCPIT
  approved (l.431): each goods line names its product registration number (申请备案号, l.428-429).
  Whether that registration exists, is approved and covers the certificate's agreement is CCPIT's
  check (the gateway has no copy of CCPIT's register; data sync, l.765, fetches it for the ERP);
- origin criteria as the GACC certificate for the same agreement (``ccpit.origin_criteria``); the
  general certificate (C) carries none (*assumed*: the slides do not show the criterion column);
- amend-and-reissue (改证重发申请, l.124, l.449) names the issued certificate it replaces and the
  reason; a new application carries no such block;
- certificate numbers (证书号, l.391, format *assumed*, see ``gateway.domain.ccpit``) are of the
  certificate's type and the applicant's enterprise code;
- a declared application has goods (基本信息暂存成功后才允许录入商品信息, l.837 — a draft may not yet);
  goods lines are numbered 1..n (序号, l.347); the head FOB value (FOB值(以美元计), l.401) is the sum
  of the lines' FOB values (商品FOB价值(美元), l.414) (*assumed*, as on GACC certificates);
- the transport route follows 运输细节录入规则 FROM[起运港]TO[卸货港]VIA[转运港]BY[运输方式] (l.399);
- the processing declaration (加工工序编辑, l.351-376) belongs to the general certificate page (l.325)
  and its 4-digit H.S.Code (l.355) is the goods line's heading (*assumed*: the page pre-fills it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from gateway.domain import ccpit
from gateway.domain.certificate_rules import to_decimal
from gateway.domain.identifiers import uscc_is_valid
from gateway.domain.violations import Violation

FAMILY = "ccpit_certificate"
ROOT = "/Certificate"
HEAD = f"{ROOT}/CertificateHead"
GOODS_LIST = f"{ROOT}/CertificateList"
MOD = f"{ROOT}/ModCertificate"

RULES: Mapping[str, str] = MappingProxyType(
    {
        "CCPIT_CO.USCC_CHECK": "the applicant's USCC (EntUscc), when given, has a correct GB 32100 check character",
        "CCPIT_CO.CERT_NO_TYPE": "a certificate number (CertNo, OldCertNo) is of the certificate's type",
        "CCPIT_CO.CERT_NO_ENTERPRISE": "a certificate number (CertNo, OldCertNo) carries the applicant's "
                                       "9-digit enterprise code (企业编码)",
        "CCPIT_CO.MOD_NOT_EXPECTED": "a new application (ApplyKind NEW) has no ModCertificate",
        "CCPIT_CO.OLD_CERT_REQUIRED": "amend-and-reissue (改证重发) names the certificate it replaces (OldCertNo)",
        "CCPIT_CO.MOD_REASON_REQUIRED": "amend-and-reissue (改证重发) gives the reason (ModReason)",
        "CCPIT_CO.OLD_CERT_SAME": "the reissued certificate's number differs from the one it replaces",
        "CCPIT_CO.GOODS_REQUIRED": "a declared application (ApplyType DECLARE) has at least one goods line",
        "CCPIT_CO.GNO_SEQUENCE": "goods lines are numbered 1..n (序号)",
        "CCPIT_CO.FOB_SUM": "the head FOB value (USD) is the sum of the goods lines' FOB values (within 0.01; "
                            "assumed)",
        "CCPIT_CO.REGISTRATION_REQUIRED": "on a preferential certificate (all types but C) every goods line names "
                                          "its registered product (申请备案号, RegistrationNo)",
        "CCPIT_CO.ORIGIN_REQUIRED": "a preferential goods line has an origin criterion (E may leave it empty)",
        "CCPIT_CO.ORIGIN_ALLOWED": "the origin criterion is one the agreement allows (as on GACC certificates)",
        "CCPIT_CO.ORIGIN_NONE_FOR_GENERAL": "a general certificate (C) carries no origin criterion (assumed)",
        "CCPIT_CO.ROUTE_FORMAT": "the transport route reads FROM <port> TO <port> [VIA <port>] [BY <means>], "
                                 "with VIA when a transit port is given",
        "CCPIT_CO.PROCESS_GENERAL_ONLY": "a processing declaration (加工工序) is made on general certificates (C) only",
        "CCPIT_CO.PROCESS_HS_HEADING": "the processing declaration's H.S.Code is the goods line's 4-digit heading "
                                       "(assumed)",
    }
)

FIELD_CN: Mapping[str, str] = MappingProxyType(
    {
        "EntUscc": "统一社会信用代码",
        "CertNo": "证书号",
        "OldCertNo": "原证书号",
        "ModReason": "改证重发原因",
        "ModCertificate": "改证重发信息",
        "CertificateList": "商品信息",
        "GNo": "序号",
        "FOBValue": "FOB值(以美元计)",
        "RegistrationNo": "申请备案号",
        "OriCriteria": "原产地标准",
        "TransRoute": "运输路线",
        "ProcessDeclaration": "加工工序",
        "HSHeading": "H.S.Code",
    }
)

CENT = Decimal("0.01")
_INDEX = re.compile(r"\[\d+\]$")
#: 运输细节录入规则 FROM[起运港]TO[卸货港]VIA[转运港]BY[运输方式] (l.399); VIA and BY optional.
_ROUTE = re.compile(r"FROM\s+(?P<src>\S.*?)\s+TO\s+(?P<dst>\S.*?)(?:\s+VIA\s+(?P<via>\S.*?))?(?:\s+BY\s+(?P<by>\S.*))?",
                    re.IGNORECASE | re.DOTALL)


def _v(rule_id: str, path: str, message: str) -> Violation:
    leaf = _INDEX.sub("", path.rsplit("/", 1)[-1])
    return Violation(rule_id, path, message, FIELD_CN.get(leaf, ""))


def _goods_path(index: int, field: str) -> str:
    return f"{GOODS_LIST}/Goods[{index}]/{field}"


def _identity(head: Mapping[str, Any]) -> Iterator[Violation]:
    uscc = ccpit.text(head, "EntUscc")
    if uscc and not uscc_is_valid(uscc):
        yield _v("CCPIT_CO.USCC_CHECK", f"{HEAD}/EntUscc", f"EntUscc {uscc} has a wrong check character (GB 32100)")


def _number(path: str, cert_no: str, head: Mapping[str, Any]) -> Iterator[Violation]:
    """证书号 (l.391): type and enterprise code inside the (assumed) number format."""
    if not cert_no:
        return
    type_problem, ent_problem = ccpit.cert_no_problems(
        cert_no, cert_type=ccpit.text(head, "CertType"), ent_code=ccpit.text(head, "EntCode"))
    if type_problem:
        yield _v("CCPIT_CO.CERT_NO_TYPE", path, type_problem)
    if ent_problem:
        yield _v("CCPIT_CO.CERT_NO_ENTERPRISE", path, ent_problem)


def _amend_reissue(data: Mapping[str, Any], head: Mapping[str, Any]) -> Iterator[Violation]:
    """改证重发申请 (l.124) from the certificate list's 改证重发 button (l.449)."""
    kind = ccpit.text(head, "ApplyKind")
    present = "ModCertificate" in data
    mod = ccpit.child(data, "ModCertificate")
    if kind == "NEW":
        if present:
            yield _v("CCPIT_CO.MOD_NOT_EXPECTED", MOD,
                     "a new application (ApplyKind NEW) has no ModCertificate; use ApplyKind AMEND_REISSUE to "
                     "amend and reissue an issued certificate")
        return
    if kind != "AMEND_REISSUE":
        return  # the schema enumerates the kinds
    old_no = ccpit.text(mod, "OldCertNo")
    if not old_no:
        yield _v("CCPIT_CO.OLD_CERT_REQUIRED", f"{MOD}/OldCertNo",
                 "amend-and-reissue (改证重发) needs the number of the certificate it replaces "
                 "(ModCertificate/OldCertNo)")
    elif old_no == ccpit.text(head, "CertNo"):
        yield _v("CCPIT_CO.OLD_CERT_SAME", f"{MOD}/OldCertNo",
                 f"the reissued certificate gets a new number: CertNo equals OldCertNo {old_no}")
    else:
        yield from _number(f"{MOD}/OldCertNo", old_no, head)
    if not ccpit.text(mod, "ModReason"):
        yield _v("CCPIT_CO.MOD_REASON_REQUIRED", f"{MOD}/ModReason",
                 "amend-and-reissue (改证重发) needs the reason (ModCertificate/ModReason)")


def _goods_lines(data: Mapping[str, Any], head: Mapping[str, Any]) -> Iterator[Violation]:
    goods = ccpit.children(data, "CertificateList", "Goods")
    if not goods and ccpit.text(head, "ApplyType") == "DECLARE":
        # l.837: goods are entered after the head is saved, so only a draft may lack them.
        yield _v("CCPIT_CO.GOODS_REQUIRED", GOODS_LIST, "a declared application needs at least one goods line")
    for i, line in enumerate(goods, start=1):
        gno = ccpit.text(line, "GNo")
        if not (gno.isascii() and gno.isdecimal() and int(gno) == i):  # 序号 (l.347)
            yield _v("CCPIT_CO.GNO_SEQUENCE", _goods_path(i, "GNo"), f"goods lines are numbered 1..n: expected {i}, "
                                                                     f"got {gno!r}")
    yield from _fob_sum(head, goods)
    cert_type = ccpit.text(head, "CertType")
    for i, line in enumerate(goods, start=1):
        yield from _registration(cert_type, i, line)
        yield from _origin(cert_type, i, line)
        yield from _process(cert_type, i, line)


def _fob_sum(head: Mapping[str, Any], goods: list[Mapping[str, Any]]) -> Iterator[Violation]:
    """FOB值(以美元计) (l.401) = Σ 商品FOB价值(美元) (l.414); *assumed* as on GACC certificates."""
    values = [to_decimal(ccpit.text(line, "FOBValue")) for line in goods]
    head_value = to_decimal(ccpit.text(head, "FOBValue"))
    if not goods or head_value is None or any(v is None for v in values):
        return
    total = sum((v for v in values if v is not None), Decimal(0))
    if abs(head_value - total) > CENT:
        yield _v("CCPIT_CO.FOB_SUM", f"{HEAD}/FOBValue",
                 f"FOBValue {head_value.normalize():f} differs from the sum of the goods lines' FOBValue "
                 f"{total.normalize():f}")


def _registration(cert_type: str, i: int, line: Mapping[str, Any]) -> Iterator[Violation]:
    """优惠原产地证书, 录入的商品信息必须是已备案并审核通过的商品数据 (l.431)."""
    if cert_type in ccpit.PREFERENTIAL_TYPES and not ccpit.text(line, "RegistrationNo"):
        yield _v("CCPIT_CO.REGISTRATION_REQUIRED", _goods_path(i, "RegistrationNo"),
                 f"a preferential certificate (type {cert_type}) may only carry registered, approved goods: give the "
                 "product registration number (申请备案号) of this line")


def _origin(cert_type: str, i: int, line: Mapping[str, Any]) -> Iterator[Violation]:
    crit = ccpit.text(line, "OriCriteria")
    path = _goods_path(i, "OriCriteria")
    if cert_type == ccpit.GENERAL:
        if crit:
            yield _v("CCPIT_CO.ORIGIN_NONE_FOR_GENERAL", path,
                     f"a general certificate (C) has no origin criterion, got {crit!r}")
        return
    table = ccpit.origin_criteria()
    if cert_type not in table:
        return
    allowed = table[cert_type]
    shown = "" if allowed is None else ", ".join(sorted(a for a in allowed if a))
    if not crit:
        if allowed is None or "" not in allowed:
            yield _v("CCPIT_CO.ORIGIN_REQUIRED", path, f"type {cert_type} needs an origin criterion on every goods "
                                                       f"line{f' ({shown})' if shown else ''}")
    elif allowed is not None and crit not in allowed:
        yield _v("CCPIT_CO.ORIGIN_ALLOWED", path, f"origin criterion {crit!r} is not allowed for type {cert_type} "
                                                  f"({shown})")


def _process(cert_type: str, i: int, line: Mapping[str, Any]) -> Iterator[Violation]:
    """加工工序编辑 (l.351-376), on the 一般原产地证 page (l.325)."""
    if "ProcessDeclaration" not in line:
        return
    if cert_type != ccpit.GENERAL:
        yield _v("CCPIT_CO.PROCESS_GENERAL_ONLY", _goods_path(i, "ProcessDeclaration"),
                 f"the processing declaration (加工工序) belongs to general certificates (C), not type {cert_type}; "
                 "preferential goods describe their process in the product registration (工序说明)")
        return
    heading = ccpit.text(ccpit.child(line, "ProcessDeclaration"), "HSHeading")
    hs = ccpit.text(line, "HSCode")
    if heading and len(hs) >= 4 and heading != hs[:4]:
        yield _v("CCPIT_CO.PROCESS_HS_HEADING", f"{_goods_path(i, 'ProcessDeclaration')}/HSHeading",
                 f"the processing declaration's H.S.Code {heading} is not the heading of the goods line's HS code "
                 f"{hs} ({hs[:4]})")


def _route(head: Mapping[str, Any]) -> Iterator[Violation]:
    """运输细节录入规则 FROM[起运港]TO[卸货港]VIA[转运港]BY[运输方式] (l.399)."""
    route = " ".join(ccpit.text(head, "TransRoute").split())
    if not route:
        return
    match = _ROUTE.fullmatch(route)
    path = f"{HEAD}/TransRoute"
    if match is None:
        yield _v("CCPIT_CO.ROUTE_FORMAT", path,
                 f"the transport route must read FROM <loading port> TO <destination port> [VIA <transit port>] "
                 f"[BY <means>], got {route!r}")
    elif ccpit.text(head, "TransitPort") and not match["via"]:
        yield _v("CCPIT_CO.ROUTE_FORMAT", path,
                 f"a transit port ({ccpit.text(head, 'TransitPort')}) is given: the route names it after VIA, got "
                 f"{route!r}")


def check(data: Mapping[str, Any]) -> list[Violation]:
    if not isinstance(data, Mapping):
        return []
    head = ccpit.child(data, "CertificateHead")
    if not head:
        return []
    found: list[Violation] = []
    found += _identity(head)
    found += _number(f"{HEAD}/CertNo", ccpit.text(head, "CertNo"), head)
    found += _amend_reissue(data, head)
    found += _route(head)
    found += _goods_lines(data, head)
    return found
