"""Helpers for the tests of the message-only declarant pages (核查互动, 空白证单, 出口报关单补录): documents the
authority sends, stored exactly as receipt ingestion stores them (an inbound message, state DONE), business
receipts on the enterprise's own messages, small real PDFs."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

from reportlab.pdfgen import canvas

from gateway.services.ports import NewMessage, ReceiptRecord
from messages.catalogue import entry_for_type
from tests.integration.ui_world import UiWorld

FAMILIES = Path(__file__).resolve().parents[1] / "data" / "families"


def receive(world: UiWorld, enterprise_id: str, message_type: str, raw: bytes, document_no: str | None = None) -> str:
    """An authority document addressed to ``enterprise_id``, stored as ``store_authority_document`` does."""
    entry = entry_for_type(message_type)
    assert entry is not None and entry.direction == "inbound"
    c = world.container
    mid = uuid.uuid4().hex
    with c.store.transaction() as tx:
        tx.create_message(NewMessage(message_id=mid, enterprise_id=enterprise_id, family=entry.family,
                                     message_type=message_type, direction="inbound", authority="GACC", state="DONE",
                                     document_no=document_no, idempotency_key=f"{message_type}:inbound:{mid}",
                                     raw_sha256=hashlib.sha256(raw).hexdigest(), next_attempt_at=None),
                          raw=raw, history=[(None, "RECEIVED", "sent by GACC"), ("RECEIVED", "DONE", "stored")],
                          actor="receipts")
    return mid


def decide(world: UiWorld, message_id: str, status_code: str, status: str, *, text: str = "",
           reasons: list[dict[str, str]] | None = None) -> None:
    """The authority's business receipt on one of the enterprise's messages (APPROVED / RETURNED)."""
    c = world.container
    now = datetime.now(UTC)
    with c.store.transaction() as tx:
        msg = tx.message_by_message_id(message_id)
        assert msg is not None
        tx.add_receipt(msg.pk, ReceiptRecord(authority="GACC", receipt_id=f"R-{uuid.uuid4().hex[:12]}", kind="business",
                                             seq_no=2, status_code=status_code, status=status, text=text,
                                             reasons=reasons or [], issued_at=now, content_sha256=uuid.uuid4().hex,
                                             raw=b"<receipt/>"), received_at=now)


def pdf(pages: int = 1, text: str = "verification material") -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    for n in range(1, pages + 1):
        page.drawString(72, 720, f"{text} - page {n}")
        page.showPage()
    page.save()
    return out.getvalue()


def record_xml(record_no: str = "HC3501202600004512", status: str = "PENDING", uscc: str = "91350100M000100Y43",
               reg_no: str = "350100001", return_reason: str = "") -> bytes:
    """The sample verification record 待核查, for another record number / status / enterprise."""
    text = (FAMILIES / "gacc_verification" / "inbound_record_pending.xml").read_text(encoding="utf-8")
    text = text.replace("HC3501202600004512", record_no)
    text = text.replace("<Status>PENDING</Status>", f"<Status>{status}</Status>")
    text = text.replace("91350100M000100Y43", uscc).replace("<AplRegNo>350100001</AplRegNo>",
                                                           f"<AplRegNo>{reg_no}</AplRegNo>")
    if return_reason:
        text = text.replace("</Content>", f"</Content>\n    <ReturnReason>{return_reason}</ReturnReason>")
    return text.encode()


def approve(world: UiWorld, message_id: str) -> str:
    """The certificate of ``message_id`` approved by customs (审核通过), as the receipt projection records it;
    returns its number."""
    from gateway.services.documents import project

    decide(world, message_id, "APPROVED", "审核通过, 可以领证")
    with world.container.store.transaction() as tx:
        msg = tx.message_by_message_id(message_id)
        assert msg is not None
        project(tx, msg.pk, "APPROVED", at=datetime.now(UTC))
    detail = world.container.ui_reads.message_detail([msg.enterprise_id], message_id)
    assert detail is not None and detail["document"]["status"] == "APPROVED"
    return str(detail["cert_no"])
