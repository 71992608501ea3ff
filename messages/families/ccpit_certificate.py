"""CCPIT certificate-of-origin application (seed 002 l.121-124, l.299-431): 15 certificate types."""

from messages.catalogue import Entry

NS = "urn:cogateway:ccpit:certificate:v1"
SCHEMA = "ccpit-certificate-v1.xsd"

ENTRIES = (
    Entry(root=f"{{{NS}}}Certificate", message_type="CCPIT_CO_APPLICATION", family="ccpit_certificate",
          authority="CCPIT", direction="outbound", schema=SCHEMA,
          description="CCPIT certificate-of-origin application (新证申请 or 改证重发 amend-and-reissue), draft or "
                      "declare; preferential goods lines name their product registration (申请备案号)",
          envelope_type="CCPIT_CO_APPLICATION", document_key="CertificateHead/DocumentNo"),
)
