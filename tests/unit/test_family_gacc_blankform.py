"""Blank certificate forms (seed 001 ch. 8): write-off / void rules and serial arithmetic."""

from pathlib import Path

import pytest

from gateway.domain.families.gacc_blankform import RULES, check, next_unused_serials, serials_in_range
from messages import generic
from messages.validate import Validator

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "families" / "gacc_blankform"
W = "/BlankFormWriteOff/WriteOffHead"


def write_off(serials=("2600012001", "2600012002"), pages=None, cert="E263501000010001", form="E"):
    head = {"DocumentNo": "BF-1", "AplRegNo": "350100001", "CertNo": cert, "FormType": form, "ApplyMode": "SELF"}
    if pages is not None:
        head["PageCount"] = pages
    data: dict = {"WriteOffHead": head}
    if serials:
        data["SerialList"] = {"Serial": list(serials)}
    return data


def void(serials=("2600012010",), cert=None, form="E"):
    head = {"DocumentNo": "BF-2", "AplRegNo": "350100001", "FormType": form, "VoidReason": "torn"}
    if cert is not None:
        head["CertNo"] = cert
    return {"VoidHead": head, "SerialList": {"Serial": list(serials)}}


def found(data):
    return {(v.rule_id, v.path) for v in check(data)}


def test_listed_serials_are_fine():
    assert check(write_off()) == []


def test_page_count_alone_is_fine_the_authority_fills_the_serials():
    assert check(write_off(serials=(), pages="3")) == []


def test_page_count_equal_to_the_serials_is_fine():
    assert check(write_off(pages="2")) == []


def test_neither_serials_nor_pages():
    assert found(write_off(serials=())) == {("BLANKFORM.SERIALS_OR_PAGES", f"{W}/PageCount")}


@pytest.mark.parametrize("pages", ["1", "3"])
def test_page_count_must_match_the_serials(pages):
    assert found(write_off(pages=pages)) == {("BLANKFORM.PAGE_COUNT_MISMATCH", f"{W}/PageCount")}


def test_form_type_must_be_known_and_then_no_mismatch_is_reported():
    assert found(write_off(form="Q")) == {("BLANKFORM.FORM_TYPE_UNKNOWN", f"{W}/FormType")}


def test_form_type_must_be_the_certificate_type():
    assert found(write_off(form="C")) == {("BLANKFORM.FORM_TYPE_MISMATCH", f"{W}/FormType")}
    assert check(write_off(form="RC", cert="RC263501000010001")) == []


@pytest.mark.parametrize("cert", ["E26350100001001", "Q263501000010001", "E263501000010000", ""])
def test_write_off_certificate_number_is_a_gacc_number(cert):
    assert ("BLANKFORM.CERT_NO_FORMAT", f"{W}/CertNo") in found(write_off(cert=cert))


def test_duplicate_serial_reported_at_its_second_occurrence():
    data = write_off(serials=("2600012001", "2600012002", "2600012001"))
    assert found(data) == {("BLANKFORM.SERIAL_DUPLICATE", "/BlankFormWriteOff/SerialList/Serial[3]")}


def test_void_without_certificate_is_fine():
    assert check(void(serials=("2600012010", "2600012011"))) == []


def test_void_checks_certificate_when_given_and_duplicates():
    assert found(void(cert="E2635")) == {("BLANKFORM.CERT_NO_FORMAT", "/BlankFormVoid/VoidHead/CertNo")}
    assert found(void(cert="C263501000010007")) == {
        ("BLANKFORM.FORM_TYPE_MISMATCH", "/BlankFormVoid/VoidHead/FormType")
    }
    assert found(void(serials=("2600012010", "2600012010"))) == {
        ("BLANKFORM.SERIAL_DUPLICATE", "/BlankFormVoid/SerialList/Serial[2]")
    }


@pytest.mark.parametrize("data", [{}, {"WriteOffHead": "x"}, {"VoidHead": None}, {"AllocationId": "A-1"}, []])
def test_odd_input_never_raises(data):
    check(data)


def test_violations_carry_chinese_field_names_and_known_ids():
    for v in check(write_off(serials=(), form="Q")) + check(void(serials=("1", "1"))):
        assert v.rule_id in RULES
        assert v.field_cn


def test_serials_in_range_keeps_width():
    assert serials_in_range("0000000098", "0000000101") == ["0000000098", "0000000099", "0000000100", "0000000101"]
    with pytest.raises(ValueError):
        serials_in_range("0000000005", "0000000004")
    with pytest.raises(ValueError):
        serials_in_range("005", "0004")


def test_page_count_fill_takes_the_lowest_unused_serials_across_ranges():
    ranges = [("2600012001", "2600012003"), ("2600013001", "2600013002")]
    used = ["2600012001", "2600012003"]
    assert next_unused_serials(ranges, used, 2) == ["2600012002", "2600013001"]
    with pytest.raises(ValueError, match="only 3 unused"):
        next_unused_serials(ranges, used, 4)
    with pytest.raises(ValueError):
        next_unused_serials(ranges, used, 0)


@pytest.mark.parametrize("name", ["inbound_allocation.xml", "inbound_receipt.xml"])
def test_inbound_samples_are_schema_valid_authority_documents(name):
    result = Validator().validate((SAMPLES / name).read_bytes())
    assert result.problems == []
    assert result.entry is not None and result.entry.direction == "inbound"


def test_allocation_sample_ranges_add_up():
    result = Validator().validate((SAMPLES / "inbound_allocation.xml").read_bytes())
    assert result.root is not None
    data = generic.decode(result.root).data
    for r in data["RangeList"]["Range"]:
        assert len(serials_in_range(r["StartSerial"], r["EndSerial"])) == int(r["Count"])
