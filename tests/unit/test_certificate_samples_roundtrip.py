"""Every valid certificate sample of every type survives decode → encode unchanged and schema-valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from messages import certificate, safexml
from messages.validate import get_validator

SAMPLES = sorted((Path(__file__).parents[1] / "data" / "families" / "gacc_certificate").glob("valid_*.xml"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_round_trip(path: Path) -> None:
    doc = certificate.decode(safexml.parse(path.read_bytes()))
    again = certificate.encode(doc.data)
    assert get_validator().validate_element(again).problems == []
    assert certificate.decode(again).data == doc.data
