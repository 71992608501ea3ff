from __future__ import annotations

from gateway.docs_gen import TARGET, messages_markdown
from gateway.domain.families import registry
from messages.catalogue import CATALOGUE


def test_committed_messages_doc_is_the_generated_one() -> None:
    assert TARGET.read_text(encoding="utf-8") == messages_markdown(), "run `cogw docs messages`"


def test_every_message_type_and_rule_id_is_documented() -> None:
    text = messages_markdown()
    assert all(f"`{e.message_type}`" in text for e in CATALOGUE)
    assert all(f"`{rule_id}`" in text for fr in registry().values() for rule_id in fr.rules)


def test_every_outbound_family_has_business_rules() -> None:
    outbound = {e.family for e in CATALOGUE if e.direction == "outbound"}
    assert outbound <= set(registry()), outbound - set(registry())
