"""Parsing untrusted XML: no DTD, no entities, no network, bounded size.

Everything that reaches lxml from outside (ERP uploads, authority receipts) goes through parse().
A DOCTYPE is never legitimate in our formats, so any DOCTYPE is refused outright rather than
parsed "safely": that closes billion-laughs, XXE and external-DTD tricks in one rule.
"""

from lxml import etree

from messages.errors import MalformedXml, UnsafeXml, XmlTooLarge

MAX_BYTES = 5 * 1024 * 1024


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse(data: bytes, *, max_bytes: int = MAX_BYTES) -> etree._Element:
    """Parse `data` into a root element or raise UnsafeXml / XmlTooLarge / MalformedXml."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse() takes bytes; decode nothing yourself, the XML declaration decides")
    data = bytes(data)
    if len(data) > max_bytes:
        raise XmlTooLarge(f"document is {len(data)} bytes, the limit is {max_bytes}")
    # Cheap pre-check so an ASCII-compatible DOCTYPE never reaches libxml2 at all.
    # (Entities cannot be declared without a DOCTYPE, so this one marker is enough.)
    if b"<!DOCTYPE" in data:
        raise UnsafeXml("DOCTYPE and entity declarations are not allowed", _line_of(data, b"<!DOCTYPE"))
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedXml(str(exc.msg or exc), exc.lineno or None) from None
    # Second check after parsing: catches a DOCTYPE hidden by a non-ASCII encoding (UTF-16 ...).
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url or docinfo.public_id:
        raise UnsafeXml("DOCTYPE and entity declarations are not allowed", 1)
    return root


def _line_of(data: bytes, marker: bytes) -> int:
    return data.count(b"\n", 0, max(data.find(marker), 0)) + 1
