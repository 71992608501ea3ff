"""Catalogue: root elements and message types map to one entry each."""

from messages import XSD_DIR
from messages.catalogue import CATALOGUE, NS_CERTIFICATE, NS_ENVELOPE, NS_RECEIPT, entry_for_type, lookup


def test_certificate_is_an_outbound_gacc_application() -> None:
    entry = lookup(f"{{{NS_CERTIFICATE}}}Certificate")
    assert entry is not None
    assert (entry.message_type, entry.family, entry.authority, entry.direction, entry.schema) == (
        "CO_APPLICATION", "gacc_certificate", "GACC", "outbound", "gacc-certificate-v1.xsd")
    assert entry.envelope_type == "CO_APPLICATION"


def test_receipts_are_inbound_and_travel_as_co_receipt() -> None:
    for name, message_type in (("ImportResponse", "CO_IMPORT_RESPONSE"), ("BusinessReceipt", "CO_BUSINESS_RECEIPT")):
        entry = lookup(f"{{{NS_RECEIPT}}}{name}")
        assert entry is not None
        assert (entry.message_type, entry.family, entry.direction, entry.schema) == (
            message_type, "receipt", "inbound", "receipt-v1.xsd")
        assert entry.envelope_type == "CO_RECEIPT"


def test_envelope_entry() -> None:
    entry = entry_for_type("ENVELOPE")
    assert entry is not None and entry.root == f"{{{NS_ENVELOPE}}}Envelope" and entry.family == "envelope"


def test_unknown_root_and_type_give_none() -> None:
    assert lookup("{urn:example}Certificate") is None
    assert lookup("Certificate") is None
    assert entry_for_type("CO_NOPE") is None


def test_entries_are_unique_and_have_schemas() -> None:
    assert len({e.root for e in CATALOGUE}) == len({e.message_type for e in CATALOGUE}) == len(CATALOGUE)
    for entry in CATALOGUE:
        assert (XSD_DIR / entry.schema).is_file()
        assert lookup(entry.root) is entry
        assert entry_for_type(entry.message_type) is entry
        assert entry.direction in ("outbound", "inbound", "both")
        assert entry.authority in ("GACC", "CCPIT", None)
