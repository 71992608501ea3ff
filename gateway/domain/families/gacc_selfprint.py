"""Self-print 自助打印 of GACC certificates (seed 003 part 2, l.872-1906).

Outbound documents (decoded by ``messages.generic``), dispatched on their first element:

- ``SealSignatureAuthorisation`` ``{"AuthorisationHead", "Seal", "Signature"}``: the default seal and
  declarant signature authorised to customs (l.1596-1620). Seal name ≤ 25 characters and the three
  seal types are XSD rules (l.1322-1336); validity start ≤ end (l.1340-1342); seal sizes (l.1354-1357):
  round diameter ≤ 45 mm, rectangle ≤ 55 × 40 mm, oval axes ≤ 55 × 45 mm.
- ``AgentPrintAuthorisation`` ``{"AgentAuthorisationHead"}``: 9-character organisation code of the
  agent (l.1650), authorise yes/no, optional validity.
- ``PrintExceptionRequest`` ``{"PrintExceptionHead"}``: a printed certificate (l.1791) of one of the
  15 self-print types (l.927-941, l.1698); hardware reasons → reprint, missing/wrong content → new
  layout from customs (l.1778-1785).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from gateway.domain.certificate_rules import to_decimal
from gateway.domain.identifiers import org_code_is_valid, resident_id_is_valid, uscc_is_valid
from gateway.domain.numbering import parse_cert_no
from gateway.domain.violations import Violation

FAMILY = "gacc_selfprint"

RULES: Mapping[str, str] = MappingProxyType(
    {
        "SELFPRINT.USCC_CHECK": "Uscc must carry a correct GB 32100 check character",
        "SEAL.VALIDITY_ORDER": "the seal's validity start date is not after its end date",
        "SEAL.SIZE_ROUND": "a round seal is at most 45 mm in diameter",
        "SEAL.SIZE_RECTANGLE": "a rectangular seal is at most 55 mm long and 40 mm wide",
        "SEAL.SIZE_OVAL": "an oval seal's long axis is at most 55 mm and its short axis at most 45 mm",
        "SIGNATURE.ID_NUMBER_CHECK": "the declarant's ID number carries a correct GB 11643 check character",
        "AGENTPRINT.ORG_CODE_CHECK": "the agent's organisation code carries a correct GB 11714 check character",
        "AGENTPRINT.NOT_SELF": "the agent is another enterprise, not the exporter itself (assumed)",
        "AGENTPRINT.VALIDITY_ORDER": "the authorisation's validity start date is not after its end date",
        "PRINTEXC.CERT_NO_FORMAT": "CertNo must be a standard GACC certificate number",
        "PRINTEXC.TYPE_NOT_ELIGIBLE": "only the 15 self-print certificate types can have print exceptions",
        "PRINTEXC.ACTION_MISMATCH": "device problems are reprinted (REPRINT), missing or wrong content needs a "
                                    "new layout (NEW_LAYOUT)",
        "PRINTEXC.DETAIL_REQUIRED": "missing or wrong content needs the problem details (assumed)",
    }
)

#: Seed 003 l.927-941: the certificates that can be self-printed. APTA (B) only when issued for Korea
#: (输韩国); the destination is not part of a print-exception request, so that is the authority's check.
SELF_PRINT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "A": "China-Australia FTA",
        "N": "China-New Zealand FTA",
        "P": "China-Pakistan FTA",
        "F": "China-Chile FTA",
        "S": "China-Switzerland FTA",
        "I": "China-Iceland FTA",
        "GE": "China-Georgia FTA",
        "X": "China-Singapore FTA",
        "K": "China-Korea FTA",
        "H": "Cross-Strait ECFA",
        "B": "APTA (to Korea only)",
        "C": "Non-preferential",
        "T": "Tobacco authenticity",
        "TR": "Re-export",
        "PR": "Processing and assembly",
    }
)

#: Seed 003 l.1778-1785: reason -> what the request does.
REASON_ACTION: Mapping[str, str] = MappingProxyType(
    {
        "POWER_LOSS": "REPRINT",  # 打印过程中断电
        "NO_PAPER": "REPRINT",  # 打印机缺纸
        "PAPER_JAM": "REPRINT",  # 打印过程中卡纸
        "LOW_TONER": "REPRINT",  # 打印机墨盒或碳粉不足
        "DEVICE_FAULT": "REPRINT",  # 打印机出现无法判断的机器故障
        "CONTENT_MISSING": "NEW_LAYOUT",  # 证书打印内容有缺失
        "CONTENT_WRONG": "NEW_LAYOUT",  # 证书打印内容有误
    }
)

#: Seed 003 l.1354-1357, in millimetres: shape -> (long side, short side) limits.
SEAL_LIMITS: Mapping[str, tuple[Decimal, Decimal]] = MappingProxyType(
    {
        "ROUND": (Decimal(45), Decimal(45)),
        "RECTANGLE": (Decimal(55), Decimal(40)),
        "OVAL": (Decimal(55), Decimal(45)),
    }
)
_SIZE_RULE = {"ROUND": "SEAL.SIZE_ROUND", "RECTANGLE": "SEAL.SIZE_RECTANGLE", "OVAL": "SEAL.SIZE_OVAL"}

FIELD_CN = MappingProxyType(
    {
        "Uscc": "统一社会信用代码",
        "ValidFrom": "有效开始日期",
        "ValidTo": "有效结束日期",
        "WidthMm": "印章宽度(毫米)",
        "HeightMm": "印章高度(毫米)",
        "DeclarantIdNo": "签名申报员身份证号",
        "AgentOrgCode": "代理企业代码",
        "CertNo": "证书编号",
        "Reason": "打印异常原因",
        "Action": "操作类型",
        "ProblemDetail": "原产地证书打印文件问题详情",
    }
)


def _v(rule_id: str, path: str, message: str) -> Violation:
    return Violation(rule_id, path, message, FIELD_CN.get(path.rsplit("/", 1)[-1], ""))


def _text(mapping: Any, key: str) -> str:
    if not isinstance(mapping, Mapping):
        return ""
    value = mapping.get(key)
    return value.strip() if isinstance(value, str) else ""


def _part(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _uscc(base: str, head: Mapping[str, Any]) -> Iterator[Violation]:
    uscc = _text(head, "Uscc")
    if uscc and not uscc_is_valid(uscc):
        yield _v("SELFPRINT.USCC_CHECK", f"{base}/Uscc", f"Uscc {uscc} fails the GB 32100 check character")


def _validity(rule_id: str, base: str, part: Mapping[str, Any]) -> Iterator[Violation]:
    start, end = _date(_text(part, "ValidFrom")), _date(_text(part, "ValidTo"))
    if start and end and start > end:
        yield _v(rule_id, f"{base}/ValidTo", f"ValidTo {end} is before ValidFrom {start}")


def seal_size_violations(shape: str, width: Decimal, height: Decimal, base: str) -> list[Violation]:
    """Seal size limits of seed 003 l.1354-1357; the longer of width/height is the long side."""
    limits = SEAL_LIMITS.get(shape)
    if limits is None:
        return []
    long_limit, short_limit = limits
    if width >= height:
        long_side, short_side = ("WidthMm", width), ("HeightMm", height)
    else:
        long_side, short_side = ("HeightMm", height), ("WidthMm", width)
    found = []
    for (field, value), limit, what in ((long_side, long_limit, "long side"), (short_side, short_limit, "short side")):
        if value > limit:
            found.append(_v(_SIZE_RULE[shape], f"{base}/{field}",
                            f"{shape.lower()} seal {field} {value} mm exceeds the {what} limit of {limit} mm"))
    return found


def check_seal_signature(data: Mapping[str, Any]) -> list[Violation]:
    root = "/SealSignatureAuthorisation"
    found = list(_uscc(f"{root}/AuthorisationHead", _part(data, "AuthorisationHead")))
    seal = _part(data, "Seal")
    found.extend(_validity("SEAL.VALIDITY_ORDER", f"{root}/Seal", seal))
    width, height = to_decimal(_text(seal, "WidthMm")), to_decimal(_text(seal, "HeightMm"))
    if width is not None and height is not None:
        found.extend(seal_size_violations(_text(seal, "SealShape"), width, height, f"{root}/Seal"))
    id_no = _text(_part(data, "Signature"), "DeclarantIdNo")
    if id_no and not resident_id_is_valid(id_no):
        found.append(_v("SIGNATURE.ID_NUMBER_CHECK", f"{root}/Signature/DeclarantIdNo",
                        f"DeclarantIdNo {id_no} fails the GB 11643 check character"))
    return found


def check_agent_print(data: Mapping[str, Any]) -> list[Violation]:
    base = "/AgentPrintAuthorisation/AgentAuthorisationHead"
    head = _part(data, "AgentAuthorisationHead")
    found = list(_uscc(base, head))
    org = _text(head, "AgentOrgCode")
    if org and not org_code_is_valid(org):
        found.append(_v("AGENTPRINT.ORG_CODE_CHECK", f"{base}/AgentOrgCode",
                        f"AgentOrgCode {org} fails the GB 11714 check character"))
    elif org and org == _text(head, "Uscc")[8:17]:
        found.append(_v("AGENTPRINT.NOT_SELF", f"{base}/AgentOrgCode",
                        f"AgentOrgCode {org} is the exporter's own organisation code"))
    found.extend(_validity("AGENTPRINT.VALIDITY_ORDER", base, head))
    return found


def check_print_exception(data: Mapping[str, Any]) -> list[Violation]:
    base = "/PrintExceptionRequest/PrintExceptionHead"
    head = _part(data, "PrintExceptionHead")
    found = list(_uscc(base, head))
    cert_no = _text(head, "CertNo")
    try:
        cert_type = parse_cert_no(cert_no).type
    except ValueError as exc:
        found.append(_v("PRINTEXC.CERT_NO_FORMAT", f"{base}/CertNo", f"CertNo {cert_no!r}: {exc}"))
    else:
        if cert_type not in SELF_PRINT_TYPES:
            found.append(_v("PRINTEXC.TYPE_NOT_ELIGIBLE", f"{base}/CertNo",
                            f"certificate type {cert_type} of {cert_no} is not one of the 15 self-print types "
                            f"({', '.join(SELF_PRINT_TYPES)})"))
    reason, action = _text(head, "Reason"), _text(head, "Action")
    expected = REASON_ACTION.get(reason)
    if expected and action and action != expected:
        found.append(_v("PRINTEXC.ACTION_MISMATCH", f"{base}/Action",
                        f"Reason {reason} is handled by {expected}, not {action}"))
    if expected == "NEW_LAYOUT" and not _text(head, "ProblemDetail"):
        found.append(_v("PRINTEXC.DETAIL_REQUIRED", f"{base}/ProblemDetail",
                        f"Reason {reason} needs ProblemDetail describing what is missing or wrong"))
    return found


_DISPATCH = {
    "AuthorisationHead": check_seal_signature,
    "AgentAuthorisationHead": check_agent_print,
    "PrintExceptionHead": check_print_exception,
}


def check(data: Mapping[str, Any]) -> list[Violation]:
    if not isinstance(data, Mapping):
        return []
    for key, rule in _DISPATCH.items():
        if key in data:
            return rule(data)
    return []  # inbound receipts and layout notices
