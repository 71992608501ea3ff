"""CCPIT base data 基础资料 (seed 002 l.587-742): exporters, importers, producers, special clauses."""

from messages.catalogue import Entry

NS = "urn:cogateway:ccpit:basedata:v1"
SCHEMA = "ccpit-basedata-v1.xsd"


def _entry(root: str, message_type: str, what: str) -> Entry:
    return Entry(root=f"{{{NS}}}{root}", message_type=message_type, family="ccpit_basedata", authority="CCPIT",
                 direction="outbound", schema=SCHEMA,
                 description=f"CCPIT base data: save or delete one {what}; no review needed",
                 envelope_type=message_type, document_key="Head/DocumentNo")


ENTRIES = (
    _entry("ExporterRecord", "CCPIT_EXPORTER", "exporter (出口商管理)"),
    _entry("ImporterRecord", "CCPIT_IMPORTER", "importer (进口商管理)"),
    _entry("ProducerRecord", "CCPIT_PRODUCER", "producer (生产商管理)"),
    _entry("SpecialClauseRecord", "CCPIT_SPECIAL_CLAUSE", "special clause (特殊条款管理)"),
)
