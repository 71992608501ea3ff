"""Self-print 自助打印 of GACC certificates (seed 003 part 2)."""

from messages.catalogue import Entry

NS = "urn:cogateway:gacc:selfprint:v1"
SCHEMA = "gacc-selfprint-v1.xsd"

ENTRIES = (
    Entry(root=f"{{{NS}}}SealSignatureAuthorisation", message_type="SEAL_SIGNATURE_AUTHORISATION",
          family="gacc_selfprint", authority="GACC", direction="outbound", schema=SCHEMA,
          description="Authorise the default seal and declarant signature to customs for self-printing",
          envelope_type="SEAL_SIGNATURE_AUTHORISATION", document_key="AuthorisationHead/DocumentNo"),
    Entry(root=f"{{{NS}}}AgentPrintAuthorisation", message_type="AGENT_PRINT_AUTHORISATION",
          family="gacc_selfprint", authority="GACC", direction="outbound", schema=SCHEMA,
          description="Allow or withdraw an agent's printing of the exporter's certificates (代理打印授权)",
          envelope_type="AGENT_PRINT_AUTHORISATION", document_key="AgentAuthorisationHead/DocumentNo"),
    Entry(root=f"{{{NS}}}PrintExceptionRequest", message_type="PRINT_EXCEPTION_REQUEST",
          family="gacc_selfprint", authority="GACC", direction="outbound", schema=SCHEMA,
          description="Print exception (打印异常申请): reprint after a device problem or a new layout for "
                      "missing/wrong content",
          envelope_type="PRINT_EXCEPTION_REQUEST", document_key="PrintExceptionHead/DocumentNo"),
    Entry(root=f"{{{NS}}}SealSignatureAuthorisationReceipt", message_type="SEAL_SIGNATURE_AUTHORISATION_RECEIPT",
          family="gacc_selfprint", authority="GACC", direction="inbound", schema=SCHEMA,
          description="Customs received the seal and signature (接收企业电子印章成功 / 接收申报员手签笔迹成功)",
          envelope_type="SEAL_SIGNATURE_AUTHORISATION_RECEIPT"),
    Entry(root=f"{{{NS}}}PrintLayoutNotice", message_type="PRINT_LAYOUT_NOTICE",
          family="gacc_selfprint", authority="GACC", direction="inbound", schema=SCHEMA,
          description="Print layout (版式) of a self-print certificate being received / received",
          envelope_type="PRINT_LAYOUT_NOTICE"),
)
