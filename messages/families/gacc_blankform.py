"""Blank certificate forms 空白证单 (seed 001 ch. 8): allocation, write-off, void, receipts."""

from messages.catalogue import Entry

NS = "urn:cogateway:gacc:blankform:v1"
SCHEMA = "gacc-blankform-v1.xsd"

ENTRIES = (
    Entry(root=f"{{{NS}}}BlankFormAllocation", message_type="BLANK_FORM_ALLOCATION", family="gacc_blankform",
          authority="GACC", direction="inbound", schema=SCHEMA,
          description="Blank certificate forms allocated to the enterprise: serial ranges per form type",
          envelope_type="BLANK_FORM_ALLOCATION"),
    Entry(root=f"{{{NS}}}BlankFormWriteOff", message_type="BLANK_FORM_WRITEOFF", family="gacc_blankform",
          authority="GACC", direction="outbound", schema=SCHEMA,
          description="Write off (核销) blank-form serials, or a page count, against one approved certificate",
          envelope_type="BLANK_FORM_WRITEOFF", document_key="WriteOffHead/DocumentNo"),
    Entry(root=f"{{{NS}}}BlankFormVoid", message_type="BLANK_FORM_VOID", family="gacc_blankform",
          authority="GACC", direction="outbound", schema=SCHEMA,
          description="Void (作废) unused blank-form serials with a reason",
          envelope_type="BLANK_FORM_VOID", document_key="VoidHead/DocumentNo"),
    Entry(root=f"{{{NS}}}BlankFormReceipt", message_type="BLANK_FORM_RECEIPT", family="gacc_blankform",
          authority="GACC", direction="inbound", schema=SCHEMA,
          description="Receipt for one blank form (空白证单回执): written off, voided or failed",
          envelope_type="BLANK_FORM_RECEIPT"),
)
