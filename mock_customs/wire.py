"""The mock's use of ``messages`` and ``signing``: reading what enterprises send, writing receipts.

Kept in one module so the review logic stays plain Python and the contract with the wire-format
packages (docs/architecture.md) is visible in one place.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from lxml import etree

from mock_customs.review import Finding, field_label

if TYPE_CHECKING:
    from mock_customs.registry import Enterprise, Registry

ENVELOPE_NS = "urn:cogateway:envelope:v1"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
IMPORT_RESPONSE = "ImportResponse"
BUSINESS_RECEIPT = "BusinessReceipt"
RECEIPT_MESSAGE_TYPE = "CO_RECEIPT"
MESSAGE_ID_RE = re.compile(r"^[0-9a-f]{32}$")
# receipt envelopes get a MessageId derived from the ReceiptId: the same receipt is the same message
RECEIPT_NAMESPACE = uuid.UUID("6f1d7c52-5c1e-4a53-9a8e-2b1f0c9d7e41")

HEAD_PATH = "/Envelope/Head"


class SignerLike(Protocol):
    def sign(self, root: Any) -> Any: ...


def timestamp(moment: datetime) -> str:
    """xs:dateTime with a zone, second precision, UTC (``2026-11-23T10:00:00Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass
class Intake:
    """What stage 1 learned about one inbound file."""

    message_id: str | None = None
    message_type: str | None = None
    sender_id: str | None = None
    enterprise: Enterprise | None = None
    body: Any = None  # the verified business document element
    findings: list[Finding] = field(default_factory=list)


def _q(name: str) -> str:
    return f"{{{ENVELOPE_NS}}}{name}"


def _head_text(root: Any, name: str) -> str | None:
    element = root.find(f"{_q('Head')}/{_q(name)}")
    if element is None or element.text is None:
        return None
    return str(element.text).strip()


class Inspector:
    """Stage-1 checks of one authority. The validator (compiled schemas) is built once."""

    def __init__(self, authority_id: str, accepted_types: tuple[str, ...]) -> None:
        self.authority_id = authority_id
        self.accepted_types = accepted_types
        self._validator: Any = None

    @property
    def validator(self) -> Any:
        if self._validator is None:
            from messages.validate import get_validator

            self._validator = get_validator()  # compiled once per process
        return self._validator

    def inspect(self, data: bytes, registry: Registry) -> Intake:
        from messages import errors as message_errors
        from messages import safexml

        intake = Intake()
        try:
            root = safexml.parse(data)
        except message_errors.UnsafeXml as exc:
            intake.findings.append(Finding("AUTH.XML.UNSAFE", "/", f"unsafe XML refused: {exc}"))
            return intake
        except message_errors.MalformedXml as exc:
            intake.findings.append(Finding("AUTH.XML.MALFORMED", "/", f"malformed XML: {exc}"))
            return intake
        except Exception as exc:  # size limit and anything else the parser refuses
            intake.findings.append(Finding("AUTH.XML.REFUSED", "/", f"XML refused: {exc}"))
            return intake
        if root.tag != _q("Envelope"):
            intake.findings.append(Finding(
                "AUTH.ENVELOPE.ROOT", "/", f"the root element must be Envelope ({ENVELOPE_NS}), not {root.tag}"
            ))
            return intake

        # unverified head values: used to correlate and to find the sender's registered certificate
        raw_id = _head_text(root, "MessageId")
        intake.message_id = raw_id if raw_id and MESSAGE_ID_RE.match(raw_id) else None
        intake.message_type = _head_text(root, "MessageType")
        intake.sender_id = _head_text(root, "SenderId")
        receiver = _head_text(root, "ReceiverId")
        findings = intake.findings
        if intake.message_id is None:
            findings.append(Finding("AUTH.ENVELOPE.MESSAGE_ID", f"{HEAD_PATH}/MessageId",
                                    f"MessageId {raw_id!r} must be 32 lowercase hex characters"))
        if receiver != self.authority_id:
            findings.append(Finding("AUTH.ENVELOPE.RECEIVER", f"{HEAD_PATH}/ReceiverId",
                                    f"ReceiverId {receiver!r} is not this authority ({self.authority_id})"))
        if intake.message_type not in self.accepted_types:
            findings.append(Finding(
                "AUTH.ENVELOPE.MESSAGE_TYPE", f"{HEAD_PATH}/MessageType",
                f"MessageType {intake.message_type!r} is not accepted by {self.authority_id}"
                f" (accepted: {', '.join(self.accepted_types)})",
            ))
        if intake.sender_id:
            intake.enterprise = registry.enterprise(self.authority_id, intake.sender_id)
        if intake.enterprise is None:
            findings.append(Finding(
                "AUTH.SENDER.UNREGISTERED", f"{HEAD_PATH}/SenderId",
                f"{field_label('SenderId')} {intake.sender_id!r} is not an enterprise registered with"
                f" {self.authority_id}",
            ))

        findings.extend(self._xsd(root))

        verified = None
        if intake.enterprise is not None:
            verified, problem = verify(data, intake.enterprise.certificate_pem)
            if problem is not None:
                findings.append(Finding(
                    "AUTH.SIGNATURE.INVALID", "/Envelope/Signature",
                    f"{field_label('Signature')} does not verify against the certificate registered for"
                    f" {intake.enterprise.id}: {problem}",
                ))
        if findings or verified is None:
            return intake

        # from here on only signed content is used
        from messages.catalogue import entry_for_type
        from messages.envelope import unwrap
        from messages.errors import MessagesError

        try:
            head, body = unwrap(verified)
        except MessagesError as exc:
            findings.append(Finding("AUTH.ENVELOPE.STRUCTURE", "/Envelope", f"envelope cannot be read: {exc}"))
            return intake
        if head.message_id != intake.message_id or head.sender_id != intake.sender_id:
            # cannot happen once the signature verified; stated so the rule is explicit
            findings.append(Finding("AUTH.ENVELOPE.HEAD", HEAD_PATH, "the head differs from the signed one"))
        entry = entry_for_type(intake.message_type or "")
        if entry is not None and body.tag != entry.root:
            findings.append(Finding(
                "AUTH.ENVELOPE.BODY", "/Envelope/Body",
                f"MessageType {intake.message_type} needs a {etree.QName(entry.root).localname} document"
                f" ({etree.QName(entry.root).namespace}), not {body.tag}",
            ))
            return intake
        intake.body = body
        return intake

    def _xsd(self, root: Any) -> list[Finding]:
        """XSD problems of the envelope and of the business document inside its Body.

        The envelope schema takes any one element as its body (lax), so the document is validated
        on its own as well; its paths start at its own root (``/Certificate/...``).
        """
        findings: list[Finding] = []
        targets = [root]
        body = root.find(_q("Body"))
        if body is not None:
            children = [c for c in body if isinstance(c.tag, str)]
            if len(children) == 1:
                targets.append(children[0])
        seen: set[tuple[str, str, str]] = set()
        for target in targets:
            for problem in self.validator.validate_element(target).problems:
                key = (str(problem.path), str(problem.rule), str(problem.message))
                if key not in seen:
                    seen.add(key)
                    findings.append(Finding(f"AUTH.{problem.rule}", str(problem.path or "/"), str(problem.message)))
        return findings


def verify(data: bytes, certificate_pem: str) -> tuple[Any, str | None]:
    """Verify the enveloped signature against exactly one registered certificate."""
    from cryptography import x509

    from signing.errors import SignatureInvalid
    from signing.xmldsig import Verifier

    try:
        cert = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
    except ValueError as exc:
        return None, f"the registered certificate cannot be read ({exc})"
    try:
        return Verifier([cert]).verify(data), None
    except SignatureInvalid as exc:
        return None, str(exc)


def decode_certificate(body: Any) -> dict[str, Any]:
    from messages.certificate import decode

    return dict(decode(body).data)


def receipt_envelope(
    *, kind: str, fields: dict[str, Any], authority: str, receiver: str, signer: SignerLike, send_time: datetime
) -> bytes:
    """An authority-signed ``CO_RECEIPT`` envelope carrying one ImportResponse or BusinessReceipt."""
    from messages.envelope import EnvelopeHead, wrap
    from messages.receipt import BusinessReceipt, ImportResponse, Reason, to_xml

    reasons = tuple(
        Reason(rule_id=r["rule_id"], path=r["path"], message=r["message"]) for r in fields.get("reasons", [])
    )
    receipt: ImportResponse | BusinessReceipt
    if kind == IMPORT_RESPONSE:
        receipt = ImportResponse(
            receipt_id=fields["receipt_id"], message_id=fields["message_id"],
            result_code=str(fields["result_code"]), result_text=fields["result_text"],
            received_at=parse_timestamp(fields["received_at"]), reasons=reasons,
        )
    elif kind == BUSINESS_RECEIPT:
        receipt = BusinessReceipt(
            receipt_id=fields["receipt_id"], message_id=fields["message_id"], cert_no=fields["cert_no"],
            seq_no=int(fields["seq_no"]), status_code=fields["status_code"], status=fields["status"],
            text=fields["text"], issued_at=parse_timestamp(fields["issued_at"]), reasons=reasons,
        )
    else:
        raise ValueError(f"unknown receipt kind {kind!r}")
    head = EnvelopeHead(
        message_id=uuid.uuid5(RECEIPT_NAMESPACE, fields["receipt_id"]).hex,
        message_type=RECEIPT_MESSAGE_TYPE,
        sender_id=authority,
        receiver_id=receiver,
        send_time=send_time.astimezone(UTC).replace(microsecond=0),
        version="1.0",
    )
    signed = signer.sign(wrap(head, to_xml(receipt)))
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def decode_document(message_type: str, body: Any) -> dict[str, Any]:
    """Any accepted business document as plain data (lists for repeatable elements)."""
    from messages import codecs
    from messages.catalogue import entry_for_type

    entry = entry_for_type(message_type)
    if entry is None:
        raise ValueError(f"unknown message type {message_type!r}")
    return dict(codecs.decode(entry, body).data)


Spec = list[tuple[str, Any]]  # ordered (local name, text | Spec | list of Spec for repeated elements)


def build_document(message_type: str, spec: Spec) -> str:
    """An authority document of ``message_type`` from an ordered spec, checked against its XSD.

    A document the schema refuses is a bug in the mock, so it raises instead of sending it.
    """
    from messages.catalogue import entry_for_type

    entry = entry_for_type(message_type)
    if entry is None or entry.direction != "inbound":
        raise ValueError(f"{message_type!r} is not a document an authority sends")
    namespace = etree.QName(entry.root).namespace
    root = etree.Element(entry.root, nsmap={None: namespace})

    def fill(parent: Any, items: Spec) -> None:
        for name, value in items:
            if value is None:
                continue
            for one in value if isinstance(value, list) and value and isinstance(value[0], list) else [value]:
                child = etree.SubElement(parent, f"{{{namespace}}}{name}")
                if isinstance(one, list):
                    fill(child, one)
                else:
                    child.text = str(one)

    fill(root, spec)
    from messages.validate import get_validator

    problems = get_validator().validate_element(root).problems
    if problems:
        raise ValueError(f"{message_type} built by the mock is invalid: "
                         + "; ".join(f"{p.path}: {p.message}" for p in problems[:3]))
    return str(etree.tostring(root, encoding="unicode"))


def document_envelope(
    *, message_type: str, document: str, receipt_id: str, authority: str, receiver: str, signer: SignerLike,
    send_time: datetime,
) -> bytes:
    """An authority-signed envelope around one authority document (MessageId derived from ``receipt_id``)."""
    from messages import safexml
    from messages.catalogue import entry_for_type
    from messages.envelope import EnvelopeHead, wrap

    entry = entry_for_type(message_type)
    assert entry is not None
    head = EnvelopeHead(
        message_id=uuid.uuid5(RECEIPT_NAMESPACE, receipt_id).hex,
        message_type=entry.envelope_type,
        sender_id=authority,
        receiver_id=receiver,
        send_time=send_time.astimezone(UTC).replace(microsecond=0),
        version="1.0",
    )
    signed = signer.sign(wrap(head, safexml.parse(document.encode("utf-8"))))
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def derived_message_id(receipt_id: str) -> str:
    """The envelope MessageId of a receipt or authority document: the same receipt is the same message."""
    return uuid.uuid5(RECEIPT_NAMESPACE, receipt_id).hex


def authority_of(message_type: str) -> str | None:
    """The authority a message type is addressed to (None: any; unknown types: None)."""
    from messages.catalogue import entry_for_type

    entry = entry_for_type(message_type)
    return entry.authority if entry is not None else None
