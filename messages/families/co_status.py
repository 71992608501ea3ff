"""Networked certificate-of-origin status queries (seed 000) and their responses."""

from messages.catalogue import Entry

NS = "urn:cogateway:gacc:co-status:v1"
SCHEMA = "co-status-v1.xsd"

ENTRIES = (
    Entry(root=f"{{{NS}}}ExportCoStatusQuery", message_type="EXPORT_CO_STATUS_QUERY", family="co_status",
          authority="GACC", direction="outbound", schema=SCHEMA,
          description="Export CO status (domestic and partner customs) by CO number",
          envelope_type="EXPORT_CO_STATUS_QUERY", document_key="QueryHead/DocumentNo"),
    Entry(root=f"{{{NS}}}ImportCoStatusQuery", message_type="IMPORT_CO_STATUS_QUERY", family="co_status",
          authority="GACC", direction="outbound", schema=SCHEMA,
          description="Import CO status by agreement code + origin country + CO number (all three)",
          envelope_type="IMPORT_CO_STATUS_QUERY", document_key="QueryHead/DocumentNo"),
    Entry(root=f"{{{NS}}}ImportCoInfoQuery", message_type="IMPORT_CO_INFO_QUERY", family="co_status",
          authority="GACC", direction="outbound", schema=SCHEMA,
          description="Import CO information by agreement, origin country, CO number, type, first-item HS code "
                      "and issue date",
          envelope_type="IMPORT_CO_INFO_QUERY", document_key="QueryHead/DocumentNo"),
    Entry(root=f"{{{NS}}}ExportCoStatusResponse", message_type="EXPORT_CO_STATUS_RESPONSE", family="co_status",
          authority="GACC", direction="inbound", schema=SCHEMA,
          description="Export CO status: domestic status, partner customs status when networked",
          envelope_type="EXPORT_CO_STATUS_RESPONSE"),
    Entry(root=f"{{{NS}}}ImportCoStatusResponse", message_type="IMPORT_CO_STATUS_RESPONSE", family="co_status",
          authority="GACC", direction="inbound", schema=SCHEMA,
          description="Import CO status lines", envelope_type="IMPORT_CO_STATUS_RESPONSE"),
    Entry(root=f"{{{NS}}}ImportCoInfoResponse", message_type="IMPORT_CO_INFO_RESPONSE", family="co_status",
          authority="GACC", direction="inbound", schema=SCHEMA,
          description="Import CO information with its goods lines", envelope_type="IMPORT_CO_INFO_RESPONSE"),
)
