"""Plain data → a business document's bytes, for the documents the UI prepares (verification answers,
declaration supplements, blank-form write-offs). The shape is the one ``messages.generic`` decodes to:
a mapping is an element with children in order, a list repeats the element, empty values are left out
(optional elements). The result is validated like any input when it goes through ``accept_message``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree


def _append(parent: etree._Element, ns: str, name: str, value: Any) -> None:
    if isinstance(value, list | tuple):
        for item in value:
            _append(parent, ns, name, item)
    elif isinstance(value, Mapping):
        element = etree.SubElement(parent, f"{{{ns}}}{name}")
        for key, child in value.items():
            _append(element, ns, key, child)
    elif value not in (None, ""):
        etree.SubElement(parent, f"{{{ns}}}{name}").text = str(value)


def document(ns: str, root: str, data: Mapping[str, Any]) -> bytes:
    """The UTF-8 document ``<root xmlns=ns>`` with ``data`` as its children."""
    element = etree.Element(f"{{{ns}}}{root}", nsmap={None: ns})
    for key, value in data.items():
        _append(element, ns, key, value)
    return bytes(etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True))
