"""Issue 3's bar: `xmllint --schema` and xmlschema both accept every sample of every family.

Valid, inbound and invalid samples alike: invalid ones break a *business* rule, so they must pass the
schema (lxml, our fast path, is exercised by the API tests; here two independent validators agree).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
import xmlschema

from messages import XSD_DIR, safexml
from messages.catalogue import lookup

FAMILIES = Path(__file__).parents[1] / "data" / "families"
SAMPLES = sorted([*FAMILIES.glob("*/valid_*.xml"), *FAMILIES.glob("*/inbound_*.xml"),
                  *FAMILIES.glob("*/invalid_*.xml")])


def _by_schema() -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = defaultdict(list)
    for path in SAMPLES:
        root = safexml.parse(path.read_bytes())
        entry = lookup(root.tag)
        assert entry is not None, f"{path}: root {root.tag} is not catalogued"
        groups[entry.schema].append(path)
    return groups


GROUPS = _by_schema()


@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint (libxml2-utils) not installed")
@pytest.mark.parametrize("schema", sorted(GROUPS))
def test_xmllint_accepts_every_sample(schema: str) -> None:
    files = [str(p) for p in GROUPS[schema]]
    run = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", str(XSD_DIR / schema), *files],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stderr.count("validates") == len(files)


@pytest.mark.parametrize("schema", sorted(GROUPS))
def test_xmlschema_accepts_every_sample(schema: str) -> None:
    xs = xmlschema.XMLSchema(str(XSD_DIR / schema), allow="local")
    for path in GROUPS[schema]:
        errors = list(xs.iter_errors(str(path)))
        assert errors == [], f"{path.name}: {errors[0]}"


def test_there_are_samples_for_every_outbound_message_type() -> None:
    from messages.catalogue import CATALOGUE

    seen = {lookup(safexml.parse(p.read_bytes()).tag).message_type for p in SAMPLES}  # type: ignore[union-attr]
    outbound = {e.message_type for e in CATALOGUE if e.direction == "outbound"}
    assert outbound - seen == set()
