"""CCPIT base data 基础资料 (seed 002 l.587-742): rules of ``ExporterRecord``, ``ImporterRecord``,
``ProducerRecord`` and ``SpecialClauseRecord``.

Each decodes to ``{"Head": {...}, "<Exporter|Importer|Producer|SpecialClause>": {...}}``. The lexical
rules of the manual are in the schema: codes of 3-8 letters or digits (l.639, l.666, l.693, l.731),
phones of at most 20 digits and symbols (l.639), the importer's bank account of 19 letters or digits
(l.666). Rules here, for SAVE (a DELETE only names the record by its code):

- exporters, importers and producers are picked into certificates to fill the exporter / importer /
  producer boxes (l.604, l.681, l.705): a saved record has a name, Chinese or English (*assumed*: the
  slides mark no field as required);
- a special clause is picked to print its text (l.740): a saved clause has its content (特殊条款内容, l.733);
- the English fields (名称(英), 地址(英), l.641-642, l.668-670, l.696-698) carry no Chinese characters.
Base data needs no declaration or review (l.605).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from gateway.domain import ccpit
from gateway.domain.violations import Violation

FAMILY = "ccpit_basedata"

RULES: Mapping[str, str] = MappingProxyType(
    {
        "CCPIT_BASEDATA.NAME_REQUIRED": "a saved exporter, importer or producer has a Chinese or English name "
                                        "(assumed)",
        "CCPIT_BASEDATA.CONTENT_REQUIRED": "a saved special clause has its content (特殊条款内容)",
        "CCPIT_BASEDATA.ENGLISH_NO_CHINESE": "English names and addresses (名称(英), 地址(英)) have no Chinese "
                                             "characters",
    }
)

#: body element -> (root element, Chinese name of the record)
_KINDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "Exporter": ("ExporterRecord", "出口商"),
        "Importer": ("ImporterRecord", "进口商"),
        "Producer": ("ProducerRecord", "生产商"),
        "SpecialClause": ("SpecialClauseRecord", "特殊条款"),
    }
)
_ENGLISH_FIELDS: Mapping[str, str] = MappingProxyType({"NameEn": "名称(英)", "AddressEn": "地址(英)"})


def _record(kind: str, body: Mapping[str, Any], saving: bool) -> Iterator[Violation]:
    root, what = _KINDS[kind]
    base = f"/{root}/{kind}"
    if kind == "SpecialClause":
        if saving and not ccpit.text(body, "Content"):
            yield Violation("CCPIT_BASEDATA.CONTENT_REQUIRED", f"{base}/Content",
                            f"special clause {ccpit.text(body, 'Code')} is saved without its content", "特殊条款内容")
        return
    if saving and not (ccpit.text(body, "NameEn") or ccpit.text(body, "NameCn")):
        yield Violation("CCPIT_BASEDATA.NAME_REQUIRED", f"{base}/NameEn",
                        f"{kind.lower()} {ccpit.text(body, 'Code')} is saved without a name: give NameEn or NameCn",
                        f"{what}名称(英)")
    for field, cn in _ENGLISH_FIELDS.items():
        value = ccpit.text(body, field)
        if value and ccpit.has_cjk(value):
            yield Violation("CCPIT_BASEDATA.ENGLISH_NO_CHINESE", f"{base}/{field}",
                            f"{field} is the English text printed on certificates and has Chinese characters: "
                            f"{value!r}", cn)


def check(data: Mapping[str, Any]) -> list[Violation]:
    if not isinstance(data, Mapping):
        return []
    saving = ccpit.text(ccpit.child(data, "Head"), "Operation") == "SAVE"
    found: list[Violation] = []
    for kind in _KINDS:
        if kind in data:
            found += _record(kind, ccpit.child(data, kind), saving)
    return found
