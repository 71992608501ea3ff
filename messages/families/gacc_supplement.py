"""Export declaration supplement 出口报关单补录 (seed 004, seed 001 ch. 9)."""

from messages.catalogue import Entry

NS = "urn:cogateway:gacc:supplement:v1"
SCHEMA = "gacc-supplement-v1.xsd"

ENTRIES = (
    Entry(root=f"{{{NS}}}ExportDeclarationSupplement", message_type="EXPORT_DECLARATION_SUPPLEMENT",
          family="gacc_supplement", authority="GACC", direction="outbound", schema=SCHEMA,
          description="Add, add again or delete the export declaration numbers of an approved GACC/CCPIT "
                      "certificate (出口报关单补录)",
          envelope_type="EXPORT_DECLARATION_SUPPLEMENT", document_key="SupplementHead/DocumentNo"),
    Entry(root=f"{{{NS}}}ExportDeclarationSupplementReceipt", message_type="EXPORT_DECLARATION_SUPPLEMENT_RECEIPT",
          family="gacc_supplement", authority="GACC", direction="inbound", schema=SCHEMA,
          description="Status of a declaration supplement; final state 海关接收成功 (ACCEPTED)",
          envelope_type="EXPORT_DECLARATION_SUPPLEMENT_RECEIPT"),
)
