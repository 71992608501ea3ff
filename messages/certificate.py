"""GACC certificate codec: <Certificate> XML <-> plain data (dicts and lists of strings).

Plain data keeps the business rules free of lxml: keys are the element local names, values the
text exactly as written ("" for an empty element; an absent optional element has no key).
`lines` maps the path of every element to its source line so rule failures can point into the
document the ERP sent.
"""

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from messages._xml import elements, sub
from messages.catalogue import NS_CERTIFICATE as NS
from messages.errors import InvalidMessage
from messages.paths import element_path

# Schema order of the child elements (xsd/gacc-certificate-v1.xsd); encode() writes in this order,
# and a unit test keeps these tuples equal to the XSD.
HEAD_FIELDS = (
    "DocumentNo", "CertNo", "ApplyType", "CertStatus", "CertType", "AplRegNo", "EntUscc", "OrgCode",
    "FetchPlace", "InvNo", "InvDate", "DestCountryCode", "Exporter", "Consignee", "Mark", "LoadPort",
    "UnloadPort", "TransMeans", "TransDetails", "IntendExpDate", "TradeModeCode", "FOBValue", "TotalAmt",
    "PriceTerms", "Curr", "ProducerSertFlag", "ExhibitFlag", "ThirdPartyInvFlag", "Producer",
    "OriCountryCode",
    # type-specific special fields (CertificateHeadExtType)
    "ExporterTel", "ExporterFax", "ExporterEmail", "ConsigneeTel", "ExpDeclDate", "BackToBackFlag",
    "ApprovedExporterNo", "FirstRcepCountryCode", "OriProofFileName",
)
GOODS_FIELDS = (
    "GoodsItemFlag", "GNo", "HSCode", "GoodsName", "GoodsNameE", "PackQty", "PackUnit", "GoodsQty",
    "GoodsUnit", "GrossWt", "NetWt", "WtUnit", "InvPrice", "InvValue", "FOBValue", "ICompPrpr",
    "OriCriteria", "OriCriteriaSub", "OriCriteriaRef", "Producer", "InvNo",
    # original proof of origin of the goods (GoodsExtType): RCEP back-to-back, movement certificate
    "OriProofNo", "OriProofCountryCode", "OriProofHSCode",
)
MOD_FIELDS = ("OldCertNo", "ModReason", "ModColm", "OldSituDesc", "ModSituDesc", "OldDeclDate", "OldIssueDate")
NONPARTY_FIELDS = ("SortNo", "EntName", "EntAddr", "EntCountryCode", "EntCountryName")
INVOICE_FIELDS = (
    "CertNo", "InvNo", "ContractNo", "LcNo", "Value", "Curr", "PriceClause", "SpecInvTerms", "InvDate",
)
DATA_KEYS = ("head", "goods", "mod", "nonparty", "invoices", "promises")

ROOT = f"{{{NS}}}Certificate"


@dataclass
class CertificateDoc:
    data: dict[str, Any]  # {"head": {...}, "goods": [{...}], "mod": {...} | None, "nonparty": [...], ...}
    lines: dict[str, int] = field(default_factory=dict)  # "/Certificate/CertificateHead/CertNo" -> 6


def decode(root: etree._Element) -> CertificateDoc:
    """Certificate element (already XSD-valid) -> plain data and a path -> line map."""
    if root.tag != ROOT:
        raise InvalidMessage(f"expected {ROOT}, got {root.tag!r}")
    head = root.find(_q("CertificateHead"))
    if head is None:
        raise InvalidMessage("Certificate has no CertificateHead")
    mod = root.find(_q("ModCertificate"))
    data: dict[str, Any] = {
        "head": _leaves(head),
        "goods": [_leaves(g) for g in root.iterfind(_q("CertificateList", "Goods"))],
        "mod": _leaves(mod) if mod is not None else None,
        "nonparty": [_leaves(c) for c in root.iterfind(_q("NonpartyCorpList", "NonpartyCorp"))],
        "invoices": [_leaves(i) for i in root.iterfind(_q("OriInvs", "OriInv"))],
        "promises": [p.text or "" for p in root.iterfind(_q("AplPromise", "AplPromiseCode"))],
    }
    lines = {
        element_path(el, root): el.sourceline
        for el in root.iter(etree.Element)
        if el.sourceline is not None
    }
    return CertificateDoc(data, lines)


def encode(data: dict[str, Any]) -> etree._Element:
    """Plain data -> Certificate element in schema order. Validate the result before sending it."""
    _no_unknown(data, DATA_KEYS, "certificate data")
    root = etree.Element(ROOT, nsmap={None: NS})
    _group(root, "CertificateHead", data["head"], HEAD_FIELDS)
    goods_list = sub(root, NS, "CertificateList")
    for goods in data["goods"]:
        _group(goods_list, "Goods", goods, GOODS_FIELDS)
    if data.get("mod"):
        _group(root, "ModCertificate", data["mod"], MOD_FIELDS)
    if data.get("nonparty"):
        container = sub(root, NS, "NonpartyCorpList")
        for corp in data["nonparty"]:
            _group(container, "NonpartyCorp", corp, NONPARTY_FIELDS)
    if data.get("invoices"):
        container = sub(root, NS, "OriInvs")
        for invoice in data["invoices"]:
            _group(container, "OriInv", invoice, INVOICE_FIELDS)
    if data.get("promises"):
        container = sub(root, NS, "AplPromise")
        for code in data["promises"]:
            sub(container, NS, "AplPromiseCode", _str(code, "AplPromiseCode"))
    return root


def _q(*names: str) -> str:
    return "/".join(f"{{{NS}}}{name}" for name in names)


def _leaves(element: etree._Element) -> dict[str, str]:
    values: dict[str, str] = {}
    for leaf in elements(element):
        if len(leaf):
            raise InvalidMessage(f"{element_path(leaf)} should hold text, not elements")
        values[etree.QName(leaf).localname] = leaf.text or ""
    return values


def _group(parent: etree._Element, name: str, values: dict[str, Any], order: tuple[str, ...]) -> None:
    _no_unknown(values, order, name)
    group = sub(parent, NS, name)
    for key in order:
        if values.get(key) is not None:  # None and a missing key both mean "element absent"
            sub(group, NS, key, _str(values[key], key))


def _no_unknown(values: dict[str, Any], known: tuple[str, ...], what: str) -> None:
    # Typos in keys would otherwise vanish silently from the message.
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InvalidMessage(f"unknown keys in {what}: {', '.join(unknown)}")


def _str(value: Any, key: str) -> str:
    # Only strings: str(Decimal/float) could change the lexical form the ERP sent.
    if not isinstance(value, str):
        raise InvalidMessage(f"{key} must be a string, got {type(value).__name__}")
    return value
