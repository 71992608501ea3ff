"""Enterprise records (seed 001 ch. 1-3): basic info, certificate initial values, principals, agents."""

from messages.catalogue import Entry

NS = "urn:cogateway:gacc:enterprise:v1"
SCHEMA = "gacc-enterprise-v1.xsd"
FAMILY = "gacc_enterprise"

ENTRIES = (
    Entry(root=f"{{{NS}}}EnterpriseInfo", message_type="GACC_ENTERPRISE_INFO", family=FAMILY, authority="GACC",
          direction="outbound", schema=SCHEMA,
          description="Enterprise basic information 企业基本信息: Operation SYNC (maintain / resubmit) or CHANGE; "
                      "needs the applicant's commitment",
          envelope_type="GACC_ENTERPRISE_INFO", document_key="Head/DocumentNo"),
    Entry(root=f"{{{NS}}}CertInitialValues", message_type="GACC_CERT_INITIAL_VALUES", family=FAMILY,
          authority="GACC", direction="outbound", schema=SCHEMA,
          description="Certificate initial values 证书初始值 pre-filled into new certificates (self-applying "
                      "enterprises)",
          envelope_type="GACC_CERT_INITIAL_VALUES", document_key="Head/DocumentNo"),
    Entry(root=f"{{{NS}}}PrincipalRecords", message_type="GACC_PRINCIPAL_RECORDS", family=FAMILY,
          authority="GACC", direction="outbound", schema=SCHEMA,
          description="An agent's principals 委托人 (save or delete): USCC, CO registration number, names, "
                      "certificate defaults, validity",
          envelope_type="GACC_PRINCIPAL_RECORDS", document_key="Head/DocumentNo"),
    Entry(root=f"{{{NS}}}AgentRecords", message_type="GACC_AGENT_RECORDS", family=FAMILY, authority="GACC",
          direction="outbound", schema=SCHEMA,
          description="A principal's agents 代理企业 (add or delete per line), submitted to customs",
          envelope_type="GACC_AGENT_RECORDS", document_key="Head/DocumentNo"),
    Entry(root=f"{{{NS}}}EnterpriseSyncReceipt", message_type="GACC_ENTERPRISE_SYNC_RECEIPT", family=FAMILY,
          authority="GACC", direction="inbound", schema=SCHEMA,
          description="Sync status of the enterprise basic information: 未同步 / 同步中 / 同步成功 / 同步失败",
          envelope_type="GACC_ENTERPRISE_SYNC_RECEIPT"),
    Entry(root=f"{{{NS}}}AgentRecordReceipt", message_type="GACC_AGENT_RECORD_RECEIPT", family=FAMILY,
          authority="GACC", direction="inbound", schema=SCHEMA,
          description="Status of each agent line after submission; 海关接收成功 is final",
          envelope_type="GACC_AGENT_RECORD_RECEIPT"),
)
