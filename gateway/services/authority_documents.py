"""Documents the authority sends on its own (verification records, blank-form allocations, layout notices,
query answers …): stored as inbound messages of the enterprise they are addressed to.

They answer no MessageId of ours, so they are not receipts: the envelope's own MessageId identifies
them, its ReceiverId names the enterprise, and the document's DocumentNo (when it answers one of ours) is
kept to link them. Before one is stored:

- a second copy under the same (authority, MessageId) is a duplicate when its *content* is the same:
  the document, type, sender and receiver, not the bytes (a re-send is signed again, with a new SendTime);
  anything else under that id is quarantined, never silently acknowledged;
- the MessageId fits the gateway's column (32 characters);
- the signer is the sender, and the authority the catalogue gives the type (a CCPIT-signed blank-form
  allocation is not GACC's);
- the enterprise the document itself names (its Uscc, AplRegNo, or the owner of its certificate number
  as far as the gateway knows it) is the addressed one: the envelope alone does not decide whose it is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from gateway.domain.delivery import DeliveryState
from gateway.services.ports import EnterpriseInfo, MessageInfo, NewMessage, Transaction
from messages import envelope, safexml
from messages.catalogue import Entry, lookup
from messages.envelope import EnvelopeHead
from messages.errors import MessagesError
from messages.generic import find_text

# where an authority document carries the number of the enterprise document it answers
_DOCUMENT_NO_PATHS = ("DocumentNo", "ResponseHead/DocumentNo")

MESSAGE_ID_MAX = 32  # messages.message_id is String(32)

# Where a document names the enterprise it is about, per type: its USCC 统一社会信用代码, its CO registration
# number 产地证备案号, or a certificate number 证书号 (whose owner the gateway may know).
USCC, REG_NO, CERT_NO = "uscc", "reg_no", "cert_no"
_IDENTITY: dict[str, tuple[tuple[str, str], ...]] = {
    "GACC_VERIFICATION_RECORD": (("Enterprise/Uscc", USCC), ("Enterprise/AplRegNo", REG_NO)),
    "BLANK_FORM_ALLOCATION": (("AplRegNo", REG_NO),),
    "GACC_ENTERPRISE_SYNC_RECEIPT": (("Uscc", USCC),),
    "GACC_AGENT_RECORD_RECEIPT": (("Uscc", USCC),),
    "BLANK_FORM_RECEIPT": (("CertNo", CERT_NO),),
    "PRINT_LAYOUT_NOTICE": (("CertNo", CERT_NO),),
    "EXPORT_DECLARATION_SUPPLEMENT_RECEIPT": (("CertNo", CERT_NO),),
    "EXPORT_CO_STATUS_RESPONSE": (("ExportCoStatus/CoNo", CERT_NO),),
}


@dataclass(frozen=True)
class AuthorityDocument:
    head: EnvelopeHead
    entry: Entry
    document_no: str | None
    fingerprint: str = ""  # what makes two copies the same document (see content_fingerprint)
    identity: tuple[tuple[str, str, str], ...] = ()  # (path, kind, value) of the identity fields present


def content_fingerprint(head: EnvelopeHead, body: Any) -> str:
    """Hash of what a copy must repeat to be the same document: type, sender, receiver and the canonical
    body. Not SendTime nor the signature: a re-sent copy is signed again."""
    canonical = etree.tostring(body, method="c14n", exclusive=True)
    digest = hashlib.sha256()
    for part in (head.message_type, head.sender_id, head.receiver_id):
        digest.update(part.encode("utf-8") + b"\x00")
    digest.update(canonical)
    return digest.hexdigest()


def as_authority_document(head: EnvelopeHead, body: Any) -> AuthorityDocument | None:
    """The document when ``body`` is an inbound business document other than a receipt, else None."""
    entry = lookup(body.tag)
    if entry is None or entry.direction != "inbound" or entry.family == "receipt":
        return None
    document_no = next((found for path in _DOCUMENT_NO_PATHS if (found := find_text(body, path))), None)
    identity = tuple((path, kind, value.strip()) for path, kind in _IDENTITY.get(entry.message_type, ())
                     if (value := find_text(body, path)))
    return AuthorityDocument(head, entry, document_no, content_fingerprint(head, body), identity)


def _stored_fingerprint(tx: Transaction, existing: MessageInfo) -> str | None:
    raw = tx.payload(existing.pk, "raw")
    if raw is None:
        return None
    try:
        head, body = envelope.unwrap(safexml.parse(raw))
    except (MessagesError, ValueError):
        return None
    return content_fingerprint(head, body)


def _duplicate_or_reason(tx: Transaction, authority: str, doc: AuthorityDocument, sha: str,
                         existing: MessageInfo) -> str:
    mid = doc.head.message_id
    if existing.authority != authority:
        return f"authority document {mid}: that MessageId is already used by a message of {existing.authority}"
    if existing.raw_sha256 == sha or (doc.fingerprint and doc.fingerprint == _stored_fingerprint(tx, existing)):
        return "duplicate"
    return f"authority document {mid} seen before with different content"


def _identity_problem(tx: Transaction, doc: AuthorityDocument, enterprise: EnterpriseInfo) -> str | None:
    root = etree.QName(doc.entry.root).localname
    for path, kind, value in doc.identity:
        where = f"/{root}/{path}"
        if kind == USCC and value != enterprise.id:
            return (f"{doc.entry.message_type} addressed to {enterprise.id} names enterprise {value} at {where}"
                    " (统一社会信用代码): not stored for either")
        if kind == REG_NO and value != enterprise.reg_no:
            return (f"{doc.entry.message_type} addressed to {enterprise.id} names CO registration number"
                    f" {value} at {where} (产地证备案号), not {enterprise.reg_no}")
        if kind == CERT_NO:
            owners = tx.cert_no_owners(value)
            if owners and enterprise.id not in owners:
                return (f"{doc.entry.message_type} addressed to {enterprise.id} is about certificate {value}"
                        f" ({where}) of another enterprise")
    return None


def store_authority_document(tx: Transaction, authority: str, doc: AuthorityDocument, raw: bytes,
                             now: datetime, actor: str) -> str:
    """Store it once: ``stored`` | ``duplicate`` | a reason to quarantine it (any other string)."""
    sha = hashlib.sha256(raw).hexdigest()
    mid = doc.head.message_id
    if not mid or len(mid) > MESSAGE_ID_MAX:
        return f"authority document MessageId {mid!r} is not 1-{MESSAGE_ID_MAX} characters"
    existing = tx.message_by_message_id(mid)
    if existing is not None:
        return _duplicate_or_reason(tx, authority, doc, sha, existing)
    if doc.head.sender_id != authority:
        return f"document signed for {authority} names sender {doc.head.sender_id}"
    if doc.entry.authority not in (None, authority):
        return (f"{doc.entry.message_type} is sent by {doc.entry.authority}, but this one is signed by"
                f" {authority}")
    enterprise = tx.enterprise(doc.head.receiver_id)
    if enterprise is None:
        return f"authority document {mid} is addressed to unknown enterprise {doc.head.receiver_id}"
    problem = _identity_problem(tx, doc, enterprise)
    if problem is not None:
        return problem
    tx.create_message(
        NewMessage(message_id=doc.head.message_id, enterprise_id=doc.head.receiver_id, family=doc.entry.family,
                   message_type=doc.entry.message_type, direction="inbound", authority=authority,
                   state=DeliveryState.DONE.value, document_no=doc.document_no,
                   idempotency_key=f"{doc.entry.message_type}:inbound:{doc.head.message_id}", raw_sha256=sha,
                   next_attempt_at=None),
        raw=raw,
        history=[(None, DeliveryState.RECEIVED.value, f"sent by {authority}: {doc.entry.message_type}"),
                 (DeliveryState.RECEIVED.value, DeliveryState.DONE.value, "stored; the authority expects no reply"
                  " on this channel")],
        actor=actor,
    )
    return "stored"
