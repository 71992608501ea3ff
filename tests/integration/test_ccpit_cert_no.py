"""CCPIT numbers a certificate when it approves it (seed 002): the number in its approval receipt becomes
the document's number, so the API's document view, the UI's certificate query, printing and the events
the ERP receives (inbox, webhook, subscriptions by number) all show it. Real database, the in-memory
transport towards CCPIT, receipts signed with CCPIT's key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.memory import MemoryTransport
from gateway.db.ui_reads import CertificateFilter
from gateway.services.printing import print_document
from messages import envelope, receipt
from signing.xmldsig import Verifier
from tests.integration.erp_world import OURS, Hub, make_hub
from tests.pdftools import text

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "families" / "ccpit_certificate" / "valid_preferential_e.xml"
NUMBER = "26E350100001/00001"  # the shape CCPIT's numbers have (gateway.domain.ccpit)


@pytest.fixture
def ccpit_hub(database_url: str, pki_dir: Path, pki_passphrase: str) -> Iterator[Hub]:
    h = make_hub(database_url, pki_dir, pki_passphrase)
    h.ccpit = MemoryTransport()  # type: ignore[attr-defined]
    h.container.transports = {"GACC": h.transport, "CCPIT": h.ccpit}  # type: ignore[attr-defined, misc]
    h.container.verifiers = {name: Verifier([h.container.keystore.certificate(name)])  # type: ignore[misc]
                             for name in ("GACC", "CCPIT")}
    yield h
    h.container.close()


def _ccpit_sends(hub: Hub, body: receipt.Receipt, name: str) -> None:
    head = envelope.EnvelopeHead(message_id=name.replace("-", "")[:32].ljust(32, "0"), message_type="CO_RECEIPT",
                                 sender_id="CCPIT", receiver_id=OURS.id, send_time=hub.clock.now())
    signed = hub.container.keystore.signer("CCPIT").sign(envelope.wrap(head, receipt.to_xml(body)))
    hub.ccpit.deliver(f"{name}.xml", envelope.to_bytes(signed))  # type: ignore[attr-defined]


def _declared_and_approved(hub: Hub) -> str:
    mid = hub.push(SAMPLE.read_bytes())
    assert hub.container.dispatch_once().sent == 1
    now = hub.clock.now()
    _ccpit_sends(hub, receipt.ImportResponse(f"CCPIT-{mid}-1", mid, "0", "accepted", now), f"{mid}-1")
    _ccpit_sends(hub, receipt.BusinessReceipt(f"CCPIT-{mid}-2", mid, "", 1, "STORED", "贸促会入库成功", "", now),
                 f"{mid}-2")
    assert hub.container.ingest_once().applied == 2
    view = hub.client.get(f"/api/v1/messages/{mid}", headers=hub.auth()).get_json()
    assert view["document"]["cert_no"] == "" and view["document"]["status"] == "STORED"  # not numbered yet
    _ccpit_sends(hub, receipt.BusinessReceipt(f"CCPIT-{mid}-3", mid, NUMBER, 2, "APPROVED", "审核通过",
                                              "审核通过, 可以领证", now), f"{mid}-3")
    assert hub.container.ingest_once().applied == 1
    return mid


def test_the_number_ccpit_assigns_on_approval_is_the_documents_number(ccpit_hub: Hub) -> None:
    hub = ccpit_hub
    by_number = hub.client.post("/api/v1/subscriptions", headers=hub.auth(), json={
        "scope": "document", "document_no": NUMBER, "channel": "email", "target": "clerk@erp.test"})
    assert by_number.status_code == 201
    mid = _declared_and_approved(hub)

    view = hub.client.get(f"/api/v1/messages/{mid}", headers=hub.auth()).get_json()
    assert view["state"] == "DONE"
    assert (view["document"]["cert_no"], view["document"]["cert_type"], view["document"]["status"]) == (
        NUMBER, "E", "APPROVED")
    listed = hub.container.ui_reads.certificates([OURS.id], CertificateFilter(cert_no=NUMBER))
    assert [(row["cert_no"], row["message_id"]) for row in listed] == [(NUMBER, mid)]

    events = hub.inbox()["events"]
    approved = [e for e in events if e["type"] == "receipt.applied" and e["data"]["receipt"]["status_code"] ==
                "APPROVED"]
    assert [e["data"]["cert_no"] for e in approved] == [NUMBER]  # the event itself carries the new number
    stored = [e for e in events if e["type"] == "receipt.applied" and e["data"]["receipt"]["status_code"] ==
              "STORED"]
    assert [e["data"]["cert_no"] for e in stored] == [""]  # told before CCPIT numbered it
    deliveries = hub.client.get("/api/v1/webhook/deliveries", headers=hub.auth()).get_json()["deliveries"]
    assert [d["event_id"] for d in deliveries if d["channel"] == "email"] == [approved[0]["id"]]

    pdf = print_document(hub.container.self_print, OURS.id, NUMBER, "certificate").content
    printed = text(pdf)
    assert NUMBER in printed and "SAIGON HOUSEWARE" in printed and "STAINLESS STEEL VACUUM FLASKS" in printed
    batch = hub.client.post("/api/v1/prints/batch", headers=hub.auth(),
                            json={"items": [{"cert_no": NUMBER, "kind": "certificate"}], "format": "pdf"})
    assert batch.status_code == 200, batch.get_data(as_text=True)[:300]
    assert NUMBER in text(batch.data)


def test_an_unnumbered_ccpit_application_cannot_be_printed_by_an_empty_number(ccpit_hub: Hub) -> None:
    hub = ccpit_hub
    hub.push(SAMPLE.read_bytes())
    r = hub.client.post("/api/v1/prints/batch", headers=hub.auth(),
                        json={"items": [{"cert_no": "", "kind": "certificate"}], "format": "pdf"})
    assert r.status_code in (404, 422), r.get_data(as_text=True)[:300]
