"""CCPIT user record 用户备案 (seed 002 l.164-214, l.835-836)."""

from messages.catalogue import Entry

NS = "urn:cogateway:ccpit:user:v1"
SCHEMA = "ccpit-user-v1.xsd"

ENTRIES = (
    Entry(root=f"{{{NS}}}UserRecord", message_type="CCPIT_USER_RECORD", family="ccpit_user",
          authority="CCPIT", direction="outbound", schema=SCHEMA,
          description="CCPIT user record (用户备案): 6-digit CCPIT office code, 9-digit CCPIT enterprise code and "
                      "the signers (手签员) registered at CCPIT",
          envelope_type="CCPIT_USER_RECORD", document_key="Head/DocumentNo"),
)
