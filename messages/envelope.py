"""Transport envelope: routing head + exactly one business document + (later) a signature.

wrap() deep-copies the body so the caller's document is never re-parented; signing/ appends the
ds:Signature as the last child afterwards. unwrap() does not verify anything: verify first.
"""

from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from messages._xml import child, elements, format_instant, parse_instant, sub, text
from messages.catalogue import NS_ENVELOPE as NS
from messages.errors import InvalidMessage

ROOT = f"{{{NS}}}Envelope"


@dataclass(frozen=True)
class EnvelopeHead:
    message_id: str  # uuid4 hex, 32 chars; stable for the message's whole life
    message_type: str  # e.g. CO_APPLICATION, CO_RECEIPT
    sender_id: str
    receiver_id: str
    send_time: datetime  # aware; written and read back as UTC
    version: str = "1.0"


def wrap(head: EnvelopeHead, body: etree._Element) -> etree._Element:
    """Envelope element around a copy of `body` (no signature yet)."""
    root = etree.Element(ROOT, nsmap={None: NS})
    head_el = sub(root, NS, "Head")
    sub(head_el, NS, "MessageId", head.message_id)
    sub(head_el, NS, "MessageType", head.message_type)
    sub(head_el, NS, "SenderId", head.sender_id)
    sub(head_el, NS, "ReceiverId", head.receiver_id)
    sub(head_el, NS, "SendTime", format_instant(head.send_time))
    sub(head_el, NS, "Version", head.version)
    sub(root, NS, "Body").append(deepcopy(body))
    return root


def unwrap(root: etree._Element) -> tuple[EnvelopeHead, etree._Element]:
    """(head, body document element). The body stays in the tree, so its source lines are kept."""
    if root.tag != ROOT:
        raise InvalidMessage(f"expected {ROOT}, got {root.tag!r}")
    head_el = child(root, NS, "Head")
    head = EnvelopeHead(
        message_id=text(head_el, NS, "MessageId"),
        message_type=text(head_el, NS, "MessageType"),
        sender_id=text(head_el, NS, "SenderId"),
        receiver_id=text(head_el, NS, "ReceiverId"),
        send_time=parse_instant(text(head_el, NS, "SendTime")),
        version=text(head_el, NS, "Version"),
    )
    documents = elements(child(root, NS, "Body"))
    if len(documents) != 1:
        raise InvalidMessage(f"envelope body must hold exactly one document, found {len(documents)}")
    return head, documents[0]


def to_bytes(element: etree._Element) -> bytes:
    """UTF-8 with an XML declaration: the form written to mailboxes and signed."""
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")
