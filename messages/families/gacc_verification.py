"""Verification interaction 核查互动 (seed 001 ch. 7): customs' record, the enterprise's answer, receipts."""

from messages.catalogue import Entry

NS = "urn:cogateway:gacc:verification:v1"
SCHEMA = "gacc-verification-v1.xsd"

ENTRIES = (
    Entry(root=f"{{{NS}}}VerificationRecord", message_type="GACC_VERIFICATION_RECORD", family="gacc_verification",
          authority="GACC", direction="inbound", schema=SCHEMA,
          description="Verification record 核查记录单 from customs (待核查 / 退回核查): required materials, products "
                      "whose cost details are asked for, deadline",
          envelope_type="GACC_VERIFICATION_RECORD"),
    Entry(root=f"{{{NS}}}VerificationResponse", message_type="GACC_VERIFICATION_RESPONSE",
          family="gacc_verification", authority="GACC", direction="outbound", schema=SCHEMA,
          description="The enterprise's answer to a verification record: attachments by file name (every required "
                      "type present) and product cost details",
          envelope_type="GACC_VERIFICATION_RESPONSE", document_key="Head/DocumentNo"),
    Entry(root=f"{{{NS}}}VerificationFile", message_type="GACC_VERIFICATION_FILE", family="gacc_verification",
          authority="GACC", direction="outbound", schema=SCHEMA,
          description="One material uploaded for a verification record (PDF, ≤ 4 MB, ≤ 300 KB per page), sent "
                      "before the response that names it by FileName",
          envelope_type="GACC_VERIFICATION_FILE", document_key="DocumentNo"),
    Entry(root=f"{{{NS}}}VerificationReceipt", message_type="GACC_VERIFICATION_RECEIPT",
          family="gacc_verification", authority="GACC", direction="inbound", schema=SCHEMA,
          description="Status of a verification record after a response, e.g. 核查中 (IN_PROGRESS)",
          envelope_type="GACC_VERIFICATION_RECEIPT"),
)
