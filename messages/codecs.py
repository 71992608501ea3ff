"""Decode any catalogued business document into plain data plus a path -> line map."""

from __future__ import annotations

from lxml import etree

from messages import certificate, generic
from messages.catalogue import Entry
from messages.generic import Doc


def decode(entry: Entry, root: etree._Element) -> Doc:
    if entry.family == "gacc_certificate":
        doc = certificate.decode(root)
        return Doc(etree.QName(root).localname, doc.data, doc.lines)
    return generic.decode(root)


def document_number(entry: Entry, root: etree._Element) -> str | None:
    """The ERP's own number for this document (what makes a re-push the same message)."""
    return generic.find_text(root, entry.document_key) if entry.document_key else None
