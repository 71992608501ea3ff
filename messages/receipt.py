"""Receipt codec: ImportResponse / BusinessReceipt XML <-> frozen dataclasses.

Times are aware UTC datetimes in Python and xs:dateTime with Z on the wire.
"""

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from messages._xml import elements, format_instant, parse_instant, sub, text
from messages.catalogue import NS_RECEIPT as NS
from messages.errors import InvalidMessage


@dataclass(frozen=True)
class Reason:
    rule_id: str
    path: str  # element path in the answered document; "" for the document as a whole
    message: str


@dataclass(frozen=True)
class ImportResponse:
    receipt_id: str
    message_id: str  # the outbound MessageId this answers
    result_code: str  # "0" accepted, "1" failed
    result_text: str
    received_at: datetime
    reasons: tuple[Reason, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.result_code == "0"


@dataclass(frozen=True)
class BusinessReceipt:
    receipt_id: str
    message_id: str
    cert_no: str
    seq_no: int  # position in the certificate's receipt timeline, from 1
    status_code: str  # STORED, APPROVED, RETURNED
    status: str  # the authority's wording (海关入库成功 / 审核通过 / 退证)
    text: str
    issued_at: datetime
    reasons: tuple[Reason, ...] = ()


Receipt = ImportResponse | BusinessReceipt


def to_xml(receipt: Receipt) -> etree._Element:
    """Receipt dataclass -> its root element (wrap it in an envelope to send it)."""
    if isinstance(receipt, ImportResponse):
        root = etree.Element(f"{{{NS}}}ImportResponse", nsmap={None: NS})
        values = [
            ("ReceiptId", receipt.receipt_id), ("MessageId", receipt.message_id),
            ("ResultCode", receipt.result_code), ("ResultText", receipt.result_text),
            ("ReceivedAt", format_instant(receipt.received_at)),
        ]
    elif isinstance(receipt, BusinessReceipt):
        root = etree.Element(f"{{{NS}}}BusinessReceipt", nsmap={None: NS})
        values = [
            ("ReceiptId", receipt.receipt_id), ("MessageId", receipt.message_id),
            ("CertNo", receipt.cert_no), ("SeqNo", str(receipt.seq_no)),
            ("StatusCode", receipt.status_code), ("Status", receipt.status), ("Text", receipt.text),
            ("IssuedAt", format_instant(receipt.issued_at)),
        ]
    else:
        raise InvalidMessage(f"not a receipt: {type(receipt).__name__}")
    for name, value in values:
        if name == "CertNo" and not value:
            continue  # optional: not every family's document has a certificate
        sub(root, NS, name, value)
    if receipt.reasons:
        reasons = sub(root, NS, "Reasons")
        for reason in receipt.reasons:
            item = sub(reasons, NS, "Reason")
            sub(item, NS, "RuleId", reason.rule_id)
            sub(item, NS, "Path", reason.path)
            sub(item, NS, "Message", reason.message)
    return root


def from_xml(element: etree._Element) -> Receipt:
    """ImportResponse or BusinessReceipt element (already XSD-valid) -> dataclass."""
    name = etree.QName(element)
    if name.namespace != NS or name.localname not in ("ImportResponse", "BusinessReceipt"):
        raise InvalidMessage(f"not a receipt element: {element.tag!r}")
    reasons = _reasons(element)
    if name.localname == "ImportResponse":
        return ImportResponse(
            receipt_id=text(element, NS, "ReceiptId"),
            message_id=text(element, NS, "MessageId"),
            result_code=text(element, NS, "ResultCode"),
            result_text=text(element, NS, "ResultText"),
            received_at=parse_instant(text(element, NS, "ReceivedAt")),
            reasons=reasons,
        )
    seq_no = text(element, NS, "SeqNo")
    if not seq_no.strip().isdigit():
        raise InvalidMessage(f"SeqNo {seq_no!r} is not a number")
    return BusinessReceipt(
        receipt_id=text(element, NS, "ReceiptId"),
        message_id=text(element, NS, "MessageId"),
        cert_no=element.findtext(f"{{{NS}}}CertNo") or "",  # optional
        seq_no=int(seq_no),
        status_code=text(element, NS, "StatusCode"),
        status=text(element, NS, "Status"),
        text=text(element, NS, "Text"),
        issued_at=parse_instant(text(element, NS, "IssuedAt")),
        reasons=reasons,
    )


def _reasons(element: etree._Element) -> tuple[Reason, ...]:
    container = element.find(f"{{{NS}}}Reasons")
    if container is None:
        return ()
    return tuple(
        Reason(text(item, NS, "RuleId"), text(item, NS, "Path"), text(item, NS, "Message"))
        for item in elements(container)
    )
