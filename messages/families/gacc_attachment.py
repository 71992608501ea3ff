"""Certificate attachments 随附单据 (seed 001 ch. 4 §1.1 附件上传, §1.26): one PDF per message."""

from messages.catalogue import Entry

NS = "urn:cogateway:gacc:attachment:v1"
SCHEMA = "gacc-attachment-v1.xsd"

ENTRIES = (
    Entry(
        root=f"{{{NS}}}File",
        message_type="CO_ATTACHMENT",
        family="gacc_attachment",
        authority="GACC",
        direction="outbound",
        schema=SCHEMA,
        description="A PDF attached to a GACC certificate (supporting document, or the scanned original "
        "certificate of an RCEP back-to-back certificate); ≤ 4 MB, ≤ 300 KB per page",
        envelope_type="CO_ATTACHMENT",
        document_key="DocumentNo",
    ),
)
