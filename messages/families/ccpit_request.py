"""CCPIT requests (seed 002): data sync (数据同步, l.763-775) with its result, and certificate void (作废)."""

from messages.catalogue import Entry

NS = "urn:cogateway:ccpit:request:v1"
SCHEMA = "ccpit-request-v1.xsd"

ENTRIES = (
    Entry(root=f"{{{NS}}}SyncRequest", message_type="CCPIT_SYNC_REQUEST", family="ccpit_request",
          authority="CCPIT", direction="outbound", schema=SCHEMA,
          description="CCPIT data sync request: the enterprise's CCPIT registration (同步企业信息) or its registered "
                      "products (同步商品备案信息)",
          envelope_type="CCPIT_SYNC_REQUEST", document_key="Head/DocumentNo"),
    Entry(root=f"{{{NS}}}SyncResult", message_type="CCPIT_SYNC_RESULT", family="ccpit_request",
          authority="CCPIT", direction="inbound", schema=SCHEMA,
          description="CCPIT data sync result: status (同步完成 ...), number of records synchronised, remark",
          envelope_type="CCPIT_SYNC_RESULT"),
    Entry(root=f"{{{NS}}}VoidRequest", message_type="CCPIT_CO_VOID", family="ccpit_request",
          authority="CCPIT", direction="outbound", schema=SCHEMA,
          description="Void (作废) one CCPIT certificate of origin, with the reason",
          envelope_type="CCPIT_CO_VOID", document_key="Head/DocumentNo"),
)
