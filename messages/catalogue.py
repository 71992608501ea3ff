"""Which document is which: root element -> message type, family, authority, direction, schema.

One Entry per root element. A new document family is one more Entry here plus its XSD in xsd/;
the validator picks schemas up from this table, nothing else needs to change.
"""

from dataclasses import dataclass
from typing import Literal

from messages.families import discovered_entries

Direction = Literal["outbound", "inbound", "both"]

NS_COMMON = "urn:cogateway:common:v1"
NS_ENVELOPE = "urn:cogateway:envelope:v1"
NS_CERTIFICATE = "urn:cogateway:gacc:certificate:v1"
NS_RECEIPT = "urn:cogateway:receipt:v1"
NS_DSIG = "http://www.w3.org/2000/09/xmldsig#"


@dataclass(frozen=True)
class Entry:
    root: str  # Clark notation: {namespace}LocalName
    message_type: str  # our name for the document, e.g. CO_APPLICATION
    family: str  # codec / document family, e.g. gacc_certificate
    authority: str | None  # GACC or CCPIT; None when every authority uses it
    direction: Direction  # outbound = enterprise -> authority, inbound = authority -> enterprise
    schema: str  # file name in messages/xsd/
    description: str
    envelope_type: str  # Envelope/Head/MessageType when this document travels in an envelope
    # Path below the root (local names) of the ERP's own document number: the idempotency identity.
    document_key: str = ""


_CORE: tuple[Entry, ...] = (
    Entry(
        root=f"{{{NS_CERTIFICATE}}}Certificate",
        message_type="CO_APPLICATION",
        family="gacc_certificate",
        authority="GACC",
        direction="outbound",
        schema="gacc-certificate-v1.xsd",
        description="GACC certificate-of-origin application (declare, draft, amend, reissue)",
        envelope_type="CO_APPLICATION",
        document_key="CertificateHead/DocumentNo",
    ),
    Entry(
        root=f"{{{NS_RECEIPT}}}ImportResponse",
        message_type="CO_IMPORT_RESPONSE",
        family="receipt",
        authority=None,
        direction="inbound",
        schema="receipt-v1.xsd",
        description="Authority import response: message accepted (0) or failed (1)",
        envelope_type="CO_RECEIPT",
    ),
    Entry(
        root=f"{{{NS_RECEIPT}}}BusinessReceipt",
        message_type="CO_BUSINESS_RECEIPT",
        family="receipt",
        authority=None,
        direction="inbound",
        schema="receipt-v1.xsd",
        description="Authority business receipt: one step of the certificate timeline",
        envelope_type="CO_RECEIPT",
    ),
    Entry(
        root=f"{{{NS_ENVELOPE}}}Envelope",
        message_type="ENVELOPE",
        family="envelope",
        authority=None,
        direction="both",
        schema="envelope-v1.xsd",
        description="Signed transport envelope around exactly one business document",
        envelope_type="",
    ),
)

CATALOGUE: tuple[Entry, ...] = _CORE + discovered_entries()

_BY_ROOT = {entry.root: entry for entry in CATALOGUE}
_BY_TYPE = {entry.message_type: entry for entry in CATALOGUE}
if not len(_BY_ROOT) == len(_BY_TYPE) == len(CATALOGUE):  # a duplicate would silently shadow an entry
    raise RuntimeError("catalogue roots and message types must be unique")


def lookup(root_qname: str) -> Entry | None:
    """Entry for a root element given in Clark notation ({ns}Name), or None if unknown."""
    return _BY_ROOT.get(root_qname)


def entry_for_type(message_type: str) -> Entry | None:
    """Entry for one of our message types (CO_APPLICATION ...), or None if unknown."""
    return _BY_TYPE.get(message_type)
