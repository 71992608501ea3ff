"""How certificate data (the plain dicts of ``messages.certificate.decode``) reads on paper."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway.pdf.kit import field

# Form E PSR sub-criteria (seed 001 §1.4): how they are printed.
E_PSR_SUB = {"1": "RVC 40%", "2": "CTC", "3": "PROCESS RULE"}


def head(data: Mapping[str, Any]) -> Mapping[str, Any]:
    value = data.get("head")
    return value if isinstance(value, Mapping) else {}


def goods(data: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    value = data.get("goods")
    return [g for g in value if isinstance(g, Mapping)] if isinstance(value, list) else []


def amount(text: str) -> str:
    """A decimal as printed: two places for money (the ERP may send five)."""
    try:
        return f"{Decimal(text):,.2f}"
    except (InvalidOperation, ValueError):
        return text


def number(text: str) -> str:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return text
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")


def joined(*parts: str, sep: str = " ") -> str:
    return sep.join(p for p in parts if p)


def transport(h: Mapping[str, Any], *, chinese: bool = False) -> str:
    details = field(h, "TransDetails")
    departure = field(h, "IntendExpDate")
    if chinese:
        return joined(details, f"离港日期: {departure}" if departure else "", sep="\n")
    route = "" if details else joined(f"FROM {field(h, 'LoadPort')}" if field(h, "LoadPort") else "",
                                      f"TO {field(h, 'UnloadPort')}" if field(h, "UnloadPort") else "")
    return joined(details or route, f"DEPARTURE DATE: {departure}" if departure else "", sep="\n")


def invoice(h: Mapping[str, Any]) -> str:
    return joined(field(h, "InvNo"), field(h, "InvDate"), sep="\n")


def packages_and_description(g: Mapping[str, Any], *, chinese: bool = False) -> str:
    name = (field(g, "GoodsName") or field(g, "GoodsNameE")) if chinese else (field(g, "GoodsNameE")
                                                                              or field(g, "GoodsName"))
    qty, unit = field(g, "PackQty"), field(g, "PackUnit")
    if not qty:
        return name
    if chinese:
        return f"{number(qty)} {unit} {name}".strip()
    return f"{number(qty)} ({unit}) {name}".strip() if unit else f"{number(qty)} {name}"


def quantity(g: Mapping[str, Any]) -> str:
    return joined(number(field(g, "GoodsQty")), field(g, "GoodsUnit"))


def gross_weight(g: Mapping[str, Any]) -> str:
    gross = field(g, "GrossWt")
    return joined(number(gross), field(g, "WtUnit") or "KG") if gross else quantity(g)


def fob(g: Mapping[str, Any], h: Mapping[str, Any]) -> str:
    value = field(g, "FOBValue")
    return joined(field(h, "Curr") or "USD", amount(value)) if value else ""


def weight_and_value(g: Mapping[str, Any], h: Mapping[str, Any]) -> str:
    return joined(gross_weight(g), fob(g, h), sep="\n")


def criterion(g: Mapping[str, Any], h: Mapping[str, Any]) -> str:
    """The origin criterion as printed, with the sub-criterion / auxiliary item the type uses."""
    crit, sub, ref = field(g, "OriCriteria"), field(g, "OriCriteriaSub"), field(g, "OriCriteriaRef")
    cert_type = field(h, "CertType")
    if not crit:
        ratio = field(g, "ICompPrpr")
        if cert_type in ("E", "EM") and ratio:  # Form E with no listed criterion: the regional value content
            try:
                return f"{number(str(Decimal(100) - Decimal(ratio)))}%"
            except (InvalidOperation, ValueError):
                return ""
        return ""
    if cert_type in ("E", "EM") and crit == "PSR" and sub in E_PSR_SUB:
        return f"PSR\n{E_PSR_SUB[sub]}"
    return joined(f'"{crit}"' if cert_type == "G" else crit, sub, ref)


def item_no(g: Mapping[str, Any], _h: Mapping[str, Any]) -> str:
    return field(g, "GNo")


def hs_code(g: Mapping[str, Any], _h: Mapping[str, Any]) -> str:
    return field(g, "HSCode")


def marks(g: Mapping[str, Any], h: Mapping[str, Any]) -> str:
    """The shipping marks belong to the whole certificate: printed on the first goods line only."""
    first = field(g, "GNo") in ("", "1")
    return (field(h, "Mark") or "N/M") if first else ""


def remarks(data: Mapping[str, Any], *, chinese: bool = False) -> str:
    """What goes in the official-use / remarks box: replacement, third-party invoicing, exhibition."""
    h = head(data)
    out: list[str] = []
    mod = data.get("mod")
    if isinstance(mod, Mapping) and field(mod, "OldCertNo"):
        old, when = field(mod, "OldCertNo"), field(mod, "OldIssueDate")
        out.append(f"本证书替代 {old}" + (f" ({when})" if when else "") if chinese else
                   f"THIS CERTIFICATE REPLACES CERTIFICATE NO. {old}" + (f" DATED {when}" if when else ""))
    if field(h, "ThirdPartyInvFlag") == "1":
        names = [joined(field(c, "EntName"), field(c, "EntCountryName") or field(c, "EntCountryCode"), sep=", ")
                 for c in data.get("nonparty") or [] if isinstance(c, Mapping)]
        out.append(("第三方发票: " if chinese else "THIRD-PARTY INVOICING: ") + "; ".join(n for n in names if n))
    if field(h, "ExhibitFlag") == "1":
        out.append("展览证书" if chinese else "EXHIBITION CERTIFICATE")
    if field(h, "BackToBackFlag") == "1":
        out.append("BACK-TO-BACK CERTIFICATE OF ORIGIN" + (
            f"; APPROVED EXPORTER NO. {field(h, 'ApprovedExporterNo')}" if field(h, "ApprovedExporterNo") else ""))
    return "\n".join(out)


def first_invoice(g: Mapping[str, Any], h: Mapping[str, Any]) -> str:
    """One invoice for the whole certificate: printed against the first goods line only."""
    return invoice(h) if field(g, "GNo") in ("", "1") else ""
