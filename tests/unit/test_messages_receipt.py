"""Receipts: dataclass <-> XML round trips, samples decode, output is schema-valid."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from messages import receipt, safexml
from messages.envelope import to_bytes
from messages.errors import InvalidMessage
from messages.validate import get_validator

DATA = Path(__file__).resolve().parents[1] / "data"
ACCEPTED = receipt.ImportResponse(
    receipt_id="GACC-IR-20261123-000187",
    message_id="3f2b8c1d9e4a4b6f8a7c5d2e1f0a9b8c",
    result_code="0",
    result_text="导入成功",
    received_at=datetime(2026, 11, 23, 8, 42, 35, tzinfo=UTC),
)
RETURNED = receipt.BusinessReceipt(
    receipt_id="GACC-BR-20261123-004406",
    message_id="3f2b8c1d9e4a4b6f8a7c5d2e1f0a9b8c",
    cert_no="E261234567890002",
    seq_no=2,
    status_code="RETURNED",
    status="退证",
    text="0002--退证时间:2026-11-23 14:05:10 原产地标准与证书类型不符",
    issued_at=datetime(2026, 11, 23, 6, 5, 10, tzinfo=UTC),
    reasons=(receipt.Reason(
        "E.ORIGIN_CRITERION", "/Certificate/CertificateList/Goods[2]/OriCriteria",
        'Origin criterion "P" is not allowed on a Form E certificate (allowed: WO, PE, PSR, CTH or empty).'),),
)


@pytest.mark.parametrize("value", [ACCEPTED, RETURNED], ids=["import_response", "business_receipt"])
def test_to_xml_from_xml_round_trip_through_bytes(value: receipt.Receipt) -> None:
    result = get_validator().validate(to_bytes(receipt.to_xml(value)))
    assert result.problems == []
    assert result.root is not None
    assert receipt.from_xml(result.root) == value


def test_samples_decode_to_the_expected_dataclasses() -> None:
    assert receipt.from_xml(safexml.parse((DATA / "receipt_import_response.xml").read_bytes())) == ACCEPTED
    assert receipt.from_xml(safexml.parse((DATA / "receipt_business_returned.xml").read_bytes())) == RETURNED
    assert ACCEPTED.accepted


def test_stored_receipt_without_reasons_round_trips() -> None:
    stored = receipt.BusinessReceipt("GACC-BR-1", "a" * 32, "E261234567890001", 1, "STORED", "海关入库成功",
                                     "0001--报文收到时间:2026-11-23 08:42:35",
                                     datetime(2026, 11, 23, 0, 42, 35, tzinfo=UTC))
    element = receipt.to_xml(stored)
    assert element.find("{urn:cogateway:receipt:v1}Reasons") is None
    assert get_validator().validate_element(element).problems == []
    assert receipt.from_xml(element) == stored


def test_from_xml_refuses_other_elements() -> None:
    with pytest.raises(InvalidMessage):
        receipt.from_xml(etree.Element("{urn:cogateway:receipt:v1}Unknown"))
    with pytest.raises(InvalidMessage):
        receipt.from_xml(etree.Element("{urn:cogateway:receipt:v1}ImportResponse"))


def test_naive_times_are_refused() -> None:
    naive = receipt.ImportResponse("R1", "a" * 32, "1", "bad", datetime(2026, 11, 23, 8, 0))
    with pytest.raises(InvalidMessage):
        receipt.to_xml(naive)
