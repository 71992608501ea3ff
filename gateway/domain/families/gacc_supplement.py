"""Export declaration supplement 出口报关单补录 (seed 004 l.61-165; seed 001 ch. 9 l.1859-1909).

``ExportDeclarationSupplement`` decodes to ``{"SupplementHead": {...}}``. The certificate must be an
approved GACC or CCPIT certificate (seed 004 l.69, l.103); approval is the authority's check, the
gateway checks the number's format. 是否实际出口 yes ⇒ declaration numbers, no ⇒ none (seed 004
l.109-111); several numbers are separated by an ASCII semicolon (l.115, seed 001 l.1883). Operations:
ADD 补录, ADD_AGAIN 新增 = second supplement of declaration numbers (seed 001 l.1900), DELETE 删除 the
supplement result (l.1902).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from gateway.domain.identifiers import customs_declaration_is_export, customs_declaration_no_is_valid
from gateway.domain.numbering import parse_cert_no
from gateway.domain.violations import Violation

FAMILY = "gacc_supplement"

RULES: Mapping[str, str] = MappingProxyType(
    {
        "SUPPLEMENT.CERT_NO_FORMAT": "a GACC certificate is identified by a standard GACC certificate number",
        "SUPPLEMENT.EXPORTED_REQUIRED": "ADD and ADD_AGAIN state whether the goods were actually exported "
                                        "(是否实际出口)",
        "SUPPLEMENT.DECL_NOS_REQUIRED": "actually exported = yes needs at least one export declaration number",
        "SUPPLEMENT.DECL_NOS_FORBIDDEN": "actually exported = no carries no declaration numbers",
        "SUPPLEMENT.DECL_NO_SEPARATOR": "several declaration numbers are separated by an ASCII ';' only",
        "SUPPLEMENT.DECL_NO_EMPTY_ITEM": "no empty item before, between or after the ';' separators",
        "SUPPLEMENT.DECL_NO_FORMAT": "each declaration number is 18 digits",
        "SUPPLEMENT.DECL_NO_NOT_EXPORT": "each declaration number is an export one (9th digit, the I/E flag, is 0)",
        "SUPPLEMENT.DECL_NO_DUPLICATE": "a declaration number is listed once",
        "SUPPLEMENT.ADD_AGAIN_NEEDS_EXPORT": "ADD_AGAIN (二次补录) adds declaration numbers, so exported must be yes "
                                             "(assumed)",
        "SUPPLEMENT.DELETE_NO_DATA": "DELETE removes the whole supplement: no exported flag, no numbers (assumed)",
    }
)

HEAD = "/ExportDeclarationSupplement/SupplementHead"
FIELD_CN = MappingProxyType(
    {"CertNo": "证明号", "ExportedFlag": "是否实际出口", "DeclarationNos": "报关单号", "Operation": "操作"}
)
#: Separators people type instead of the ASCII semicolon.
WRONG_SEPARATORS = frozenset("；,，、 \t\r\n|/")


def _v(rule_id: str, field: str, message: str) -> Violation:
    return Violation(rule_id, f"{HEAD}/{field}", message, FIELD_CN.get(field, ""))


def _text(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value.strip() if isinstance(value, str) else ""


def split_declaration_nos(text: str) -> list[str]:
    """The items of a ';'-separated declaration-number field (empty list for an empty field)."""
    text = text.strip()
    return text.split(";") if text else []


def declaration_no_violations(text: str) -> list[Violation]:
    """Problems of a non-empty ``DeclarationNos`` value, item by item."""
    wrong = sorted({ch for ch in text.strip() if ch in WRONG_SEPARATORS})
    if wrong:
        shown = ", ".join(repr(ch) for ch in wrong)
        return [_v("SUPPLEMENT.DECL_NO_SEPARATOR", "DeclarationNos",
                   f"DeclarationNos contains {shown}: separate declaration numbers with an ASCII ';' only")]
    found: list[Violation] = []
    seen: set[str] = set()
    for index, item in enumerate(split_declaration_nos(text), start=1):
        if not item:
            found.append(_v("SUPPLEMENT.DECL_NO_EMPTY_ITEM", "DeclarationNos",
                            f"DeclarationNos item {index} is empty (doubled, leading or trailing ';')"))
        elif not customs_declaration_no_is_valid(item):
            found.append(_v("SUPPLEMENT.DECL_NO_FORMAT", "DeclarationNos",
                            f"DeclarationNos item {index} {item!r} is not an 18-digit declaration number"))
        elif not customs_declaration_is_export(item):
            found.append(_v("SUPPLEMENT.DECL_NO_NOT_EXPORT", "DeclarationNos",
                            f"DeclarationNos item {index} {item} is an import declaration (9th digit {item[8]}); "
                            "only export declarations are supplemented"))
        elif item in seen:
            found.append(_v("SUPPLEMENT.DECL_NO_DUPLICATE", "DeclarationNos",
                            f"DeclarationNos item {index} {item} is listed twice"))
        seen.add(item)
    return found


def check(data: Mapping[str, Any]) -> list[Violation]:
    head = data.get("SupplementHead") if isinstance(data, Mapping) else None
    if not isinstance(head, Mapping):
        return []
    found: list[Violation] = []
    cert_no = _text(head, "CertNo")
    if _text(head, "CertAuthority") == "GACC":
        try:
            parse_cert_no(cert_no)
        except ValueError as exc:
            found.append(_v("SUPPLEMENT.CERT_NO_FORMAT", "CertNo", f"CertNo {cert_no!r}: {exc}"))

    operation = _text(head, "Operation")
    exported = head.get("ExportedFlag")
    flag = exported.strip() if isinstance(exported, str) else None
    nos_raw = head.get("DeclarationNos")
    nos = nos_raw.strip() if isinstance(nos_raw, str) else ""

    if operation == "DELETE":
        if flag is not None:
            found.append(_v("SUPPLEMENT.DELETE_NO_DATA", "ExportedFlag",
                            "DELETE removes the supplement of the certificate: leave ExportedFlag out"))
        if isinstance(nos_raw, str):
            found.append(_v("SUPPLEMENT.DELETE_NO_DATA", "DeclarationNos",
                            "DELETE removes the supplement of the certificate: leave DeclarationNos out"))
        return found

    if flag is None:
        found.append(_v("SUPPLEMENT.EXPORTED_REQUIRED", "ExportedFlag",
                        f"{operation} needs ExportedFlag (是否实际出口): 1 exported, 0 not exported"))
        if nos:
            found.extend(declaration_no_violations(nos))
        return found
    if flag == "0":
        if operation == "ADD_AGAIN":
            found.append(_v("SUPPLEMENT.ADD_AGAIN_NEEDS_EXPORT", "ExportedFlag",
                            "ADD_AGAIN adds further declaration numbers: ExportedFlag must be 1"))
        if nos:
            found.append(_v("SUPPLEMENT.DECL_NOS_FORBIDDEN", "DeclarationNos",
                            "ExportedFlag 0 (not actually exported) takes no declaration numbers"))
        return found
    if not nos:
        found.append(_v("SUPPLEMENT.DECL_NOS_REQUIRED", "DeclarationNos",
                        "ExportedFlag 1 (actually exported) needs the export declaration number(s)"))
        return found
    found.extend(declaration_no_violations(nos))
    return found
