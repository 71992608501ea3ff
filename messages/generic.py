"""A codec for every family without a hand-written one: XML ⇄ nested dicts keyed by local names.

Elements the schemas declare repeatable (maxOccurs > 1) always become lists, so the data has the same
shape whether a document has one line or many, and rule paths built from list positions match
`messages.paths.element_path` (`/Product/DetailList/Detail[2]/HSCode`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from messages.paths import element_path, repeatable


@dataclass
class Doc:
    root_name: str
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)


def _value(element: etree._Element) -> Any:
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return element.text or ""
    out: dict[str, Any] = {}
    many = repeatable()
    for child in children:
        name = etree.QName(child).localname
        if child.tag in many:
            out.setdefault(name, []).append(_value(child))
        else:
            out[name] = _value(child)
    return out


def decode(root: etree._Element) -> Doc:
    """Any (XSD-valid) business document -> Doc(root local name, data, path -> line map)."""
    value = _value(root)
    data = value if isinstance(value, dict) else {}
    lines = {element_path(el, root): el.sourceline for el in root.iter(etree.Element) if el.sourceline is not None}
    return Doc(etree.QName(root).localname, data, lines)


def find_text(root: etree._Element, relative_path: str) -> str | None:
    """Text at `A/B/C` below root (local names, the root's namespace), or None when absent."""
    ns = etree.QName(root).namespace
    node: etree._Element | None = root
    for step in filter(None, relative_path.split("/")):
        assert node is not None
        node = node.find(f"{{{ns}}}{step}" if ns else step)
        if node is None:
            return None
    return None if node is None else (node.text or "")
