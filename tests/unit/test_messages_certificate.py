"""Certificate codec: XML <-> plain data, with a line for every element, round-tripping losslessly."""

import copy
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from messages import certificate, safexml
from messages.envelope import to_bytes
from messages.errors import InvalidMessage
from messages.validate import get_validator

DATA = Path(__file__).resolve().parents[1] / "data"
VALID = ["certificate_C_valid.xml", "certificate_E_valid.xml", "certificate_E_bad_origin.xml"]


def _load(name: str) -> etree._Element:
    return safexml.parse((DATA / name).read_bytes())


def _shape(element: etree._Element) -> tuple[Any, ...]:
    """Tag, text and children, ignoring comments and indentation: 'equal document' for our formats."""
    children = [c for c in element if isinstance(c.tag, str)]
    text = (element.text or "") if not children else None
    return (element.tag, text, tuple(_shape(c) for c in children))


def _rcep_data() -> dict[str, Any]:
    """A certificate that uses every optional part: amendment, non-party, RCEP invoices, promises."""
    doc = certificate.decode(_load("certificate_E_valid.xml"))
    data = copy.deepcopy(doc.data)
    data["head"].update(CertType="RC", CertNo="RC261234567890003", CertStatus="1", ThirdPartyInvFlag="1",
                        DestCountryCode="JPN", OriCountryCode="CHN")
    for line in data["goods"]:
        line.update(OriCriteria="CTC", InvNo="INV-SZ-26-0815")
        line.pop("OriCriteriaSub", None)
    data["mod"] = {"OldCertNo": "RC261234567890001", "ModReason": "Consignee address corrected.",
                   "OldIssueDate": "2026-11-20"}
    data["nonparty"] = [{"SortNo": "1", "EntName": "HK PACIFIC TRADING LIMITED", "EntCountryCode": "HKG"}]
    data["invoices"] = [{"InvNo": "INV-SZ-26-0815", "Value": "41200.00000", "Curr": "USD", "PriceClause": "FOB",
                         "InvDate": "2026-11-18"}]
    data["promises"] = ["1", "2"]
    return data


def test_decode_form_e_gives_plain_data() -> None:
    doc = certificate.decode(_load("certificate_E_valid.xml"))
    head = doc.data["head"]
    assert head["CertNo"] == "E261234567890001"
    assert head["AplRegNo"] == "123456789"
    assert head["DocumentNo"] == "ERP-SO-2026-004711"
    assert head["Exporter"].splitlines()[0] == "SUZHOU JINHE AGRICULTURAL PRODUCTS CO., LTD."
    assert "OriCountryCode" not in head
    assert [g["OriCriteria"] for g in doc.data["goods"]] == ["WO", "PSR"]
    assert doc.data["goods"][1]["OriCriteriaSub"] == "1"
    assert doc.data["mod"] is None
    assert doc.data["nonparty"] == [] and doc.data["invoices"] == []
    assert doc.data["promises"] == ["1"]
    assert all(isinstance(v, str) for g in doc.data["goods"] for v in g.values())


def test_empty_and_absent_elements_stay_distinct() -> None:
    goods = certificate.decode(_load("certificate_C_valid.xml")).data["goods"]
    assert "OriCriteria" not in goods[0]
    assert goods[1]["OriCriteria"] == ""


def test_lines_cover_every_element_with_its_source_line() -> None:
    root = _load("certificate_E_valid.xml")
    doc = certificate.decode(root)
    assert doc.lines["/Certificate"] == 3
    assert doc.lines["/Certificate/CertificateHead/CertNo"] == 6
    assert doc.lines["/Certificate/CertificateList/Goods[2]"] == 57
    assert doc.lines["/Certificate/CertificateList/Goods[2]/OriCriteria"] == 74
    assert doc.lines["/Certificate/AplPromise/AplPromiseCode[1]"] == 79
    assert len(doc.lines) == sum(1 for _ in root.iter(etree.Element))
    for key in doc.data["head"]:
        assert f"/Certificate/CertificateHead/{key}" in doc.lines


def test_repeatable_elements_are_indexed_even_when_alone() -> None:
    data = certificate.decode(_load("certificate_E_valid.xml")).data
    data["goods"] = data["goods"][:1]
    root = safexml.parse(to_bytes(certificate.encode(data)))
    assert "/Certificate/CertificateList/Goods[1]/HSCode" in certificate.decode(root).lines


@pytest.mark.parametrize("sample", VALID)
def test_encode_of_decode_round_trips_to_an_equal_valid_document(sample: str) -> None:
    original = _load(sample)
    doc = certificate.decode(original)
    encoded = certificate.encode(doc.data)
    assert get_validator().validate_element(encoded).problems == []
    assert _shape(encoded) == _shape(original)
    assert certificate.decode(encoded).data == doc.data


def test_every_optional_part_round_trips() -> None:
    data = _rcep_data()
    encoded = certificate.encode(data)
    result = get_validator().validate(to_bytes(encoded))
    assert result.problems == []
    assert certificate.decode(encoded).data == data


def test_encode_writes_schema_order_whatever_the_dict_order() -> None:
    data = _rcep_data()
    data["head"] = dict(reversed(list(data["head"].items())))
    assert get_validator().validate_element(certificate.encode(data)).problems == []


def test_none_means_absent() -> None:
    data = certificate.decode(_load("certificate_E_valid.xml")).data
    data["head"]["EntUscc"] = None
    encoded = certificate.encode(data)
    assert encoded.find("{urn:cogateway:gacc:certificate:v1}CertificateHead/"
                        "{urn:cogateway:gacc:certificate:v1}EntUscc") is None


def test_encode_refuses_unknown_keys_and_non_strings() -> None:
    data = certificate.decode(_load("certificate_E_valid.xml")).data
    typo = copy.deepcopy(data)
    typo["head"]["CertN0"] = "E1"
    with pytest.raises(InvalidMessage, match="CertN0"):
        certificate.encode(typo)
    number = copy.deepcopy(data)
    number["goods"][0]["FOBValue"] = 25350.0
    with pytest.raises(InvalidMessage, match="FOBValue"):
        certificate.encode(number)
    extra = copy.deepcopy(data)
    extra["attachments"] = []
    with pytest.raises(InvalidMessage, match="attachments"):
        certificate.encode(extra)


def test_decode_refuses_other_documents() -> None:
    with pytest.raises(InvalidMessage):
        certificate.decode(_load("receipt_import_response.xml"))
