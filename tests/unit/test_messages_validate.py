"""Validator: every schema error comes back with a path, a line, a stable rule and plain words."""

import threading
from pathlib import Path

import pytest
from lxml import etree

from messages.catalogue import lookup
from messages.validate import Problem, ValidationResult, Validator, get_validator

DATA = Path(__file__).resolve().parents[1] / "data"
C_VALID = (DATA / "certificate_C_valid.xml").read_bytes()


@pytest.fixture(scope="module")
def validator() -> Validator:
    return get_validator()


def _broken(*replacements: tuple[bytes, bytes]) -> bytes:
    data = C_VALID
    for old, new in replacements:
        assert old in data, old
        data = data.replace(old, new, 1)
    return data


@pytest.mark.parametrize(("sample", "message_type"), [
    ("certificate_C_valid.xml", "CO_APPLICATION"),
    ("certificate_E_valid.xml", "CO_APPLICATION"),
    ("certificate_E_bad_origin.xml", "CO_APPLICATION"),
    ("receipt_import_response.xml", "CO_IMPORT_RESPONSE"),
    ("receipt_business_returned.xml", "CO_BUSINESS_RECEIPT"),
])
def test_valid_samples_have_no_problems(validator: Validator, sample: str, message_type: str) -> None:
    result = validator.validate((DATA / sample).read_bytes())
    assert result.problems == []
    assert result.ok
    assert result.entry is not None and result.entry.message_type == message_type
    assert result.root is not None


def test_invalid_sample_reports_every_error_with_path_line_and_rule(validator: Validator) -> None:
    result = validator.validate((DATA / "certificate_invalid_xsd.xml").read_bytes())
    assert result.entry == lookup("{urn:cogateway:gacc:certificate:v1}Certificate")
    assert [(p.path, p.line, p.rule) for p in result.problems] == [
        ("/Certificate/CertificateHead/InvDate", 14, "XSD.minOccurs"),
        ("/Certificate/CertificateList/Goods[2]/HSCode", 57, "XSD.pattern"),
    ]
    missing, pattern = result.problems
    assert missing.message == "Unexpected child with tag 'DestCountryCode' at position 10. Tag 'InvDate' expected."
    assert "'12AB'" in pattern.message and "[0-9]{6}" in pattern.message
    assert "{urn:" not in missing.message + pattern.message  # namespaces trimmed


def test_missing_child_at_the_end_points_at_the_parent_line(validator: Validator) -> None:
    result = validator.validate(_broken((b"<ThirdPartyInvFlag>0</ThirdPartyInvFlag>", b"")))
    assert [(p.path, p.line, p.rule) for p in result.problems] == [
        ("/Certificate/CertificateHead/ThirdPartyInvFlag", 4, "XSD.minOccurs"),
    ]
    assert "not complete" in result.problems[0].message


def test_many_errors_in_one_document_each_get_a_kind(validator: Validator) -> None:
    result = validator.validate(_broken(
        (b"<CertType>C</CertType>", b"<CertType>ZZ</CertType>"),
        (b"<InvDate>2026-11-20</InvDate>", b"<InvDate>2026-13-20</InvDate>"),
        (b"<Curr>USD</Curr>", b"<Curr>USD</Curr><Bogus/>"),
        (b"<PackUnit>CARTON</PackUnit>", b"<PackUnit>   </PackUnit>"),
        (b"<GNo>2</GNo>", b"<GNo>two</GNo>"),
        (b"<GNo>3</GNo>", b'<GNo unit="x">3</GNo>'),
        (b"<FOBValue>16.00000</FOBValue>", b"<FOBValue>16.000001</FOBValue>"),
        (b"</AplPromise>", b"</AplPromise>\n  <AplPromise><AplPromiseCode>2</AplPromiseCode></AplPromise>"),
    ))
    assert [(p.path, p.line, p.rule) for p in result.problems] == [
        ("/Certificate/CertificateHead/CertType", 9, "XSD.enumeration"),
        ("/Certificate/CertificateHead/InvDate", 14, "XSD.type"),
        ("/Certificate/CertificateHead/Bogus", 32, "XSD.content"),
        ("/Certificate/CertificateList/Goods[1]/PackUnit", 45, "XSD.minLength"),
        ("/Certificate/CertificateList/Goods[2]/GNo", 57, "XSD.type"),
        ("/Certificate/CertificateList/Goods[3]/GNo", 72, "XSD.attribute"),
        ("/Certificate/CertificateList/Goods[3]/FOBValue", 80, "XSD.fractionDigits"),
        ("/Certificate/AplPromise[2]", 86, "XSD.maxOccurs"),
    ]
    messages = {p.rule + p.path: p.message for p in result.problems}
    assert messages["XSD.type/Certificate/CertificateHead/InvDate"] == (
        "'2026-13-20' is not a valid xs:date: month must be in 1..12")
    assert messages["XSD.type/Certificate/CertificateList/Goods[2]/GNo"] == "'two' is not a valid xs:positiveInteger"
    assert "'ZZ'" in messages["XSD.enumeration/Certificate/CertificateHead/CertType"]
    assert "'   '" in messages["XSD.minLength/Certificate/CertificateList/Goods[1]/PackUnit"]


def test_repeated_single_element_is_max_occurs_on_the_repeat(validator: Validator) -> None:
    twice = b"<TransMeans>2</TransMeans><TransMeans>2</TransMeans>"
    result = validator.validate(_broken((b"<TransMeans>2</TransMeans>", twice)))
    assert [(p.path, p.line, p.rule) for p in result.problems] == [
        ("/Certificate/CertificateHead/TransMeans[2]", 25, "XSD.maxOccurs"),
    ]


def test_amount_with_too_many_digits_and_negative_values_are_refused(validator: Validator) -> None:
    result = validator.validate(_broken(
        (b"<TotalAmt>21808.00000</TotalAmt>", b"<TotalAmt>123456789012345.12345</TotalAmt>"),
        (b"<FOBValue>16.00000</FOBValue>", b"<FOBValue>-1</FOBValue>"),
    ))
    assert [(p.path, p.rule) for p in result.problems] == [
        ("/Certificate/CertificateHead/TotalAmt", "XSD.totalDigits"),
        ("/Certificate/CertificateList/Goods[3]/FOBValue", "XSD.minInclusive"),
    ]


def test_unknown_root_is_a_catalogue_problem(validator: Validator) -> None:
    result = validator.validate(b'<?xml version="1.0"?>\n<Invoice xmlns="urn:example"/>')
    assert result.entry is None
    assert result.root is not None
    assert result.problems == [Problem("/Invoice", 2, "CATALOGUE.unknown_root",
                                       "unknown document root '{urn:example}Invoice'")]


def test_root_without_namespace_is_unknown(validator: Validator) -> None:
    data = C_VALID.replace(b' xmlns="urn:cogateway:gacc:certificate:v1"', b"")
    assert [p.rule for p in validator.validate(data).problems] == ["CATALOGUE.unknown_root"]


def test_validate_element_checks_an_embedded_document_with_its_own_paths(validator: Validator) -> None:
    outer = etree.fromstring(b"<wrapper>\n" + (DATA / "certificate_invalid_xsd.xml").read_bytes().split(b"?>", 1)[1]
                             + b"</wrapper>")
    body = outer.find("{urn:cogateway:gacc:certificate:v1}Certificate")
    assert body is not None
    result = validator.validate_element(body)
    assert isinstance(result, ValidationResult)
    # Paths start at the embedded root; lines are those of the outer document (one line later here).
    assert [(p.path, p.line) for p in result.problems] == [
        ("/Certificate/CertificateHead/InvDate", 15),
        ("/Certificate/CertificateList/Goods[2]/HSCode", 58),
    ]


def test_get_validator_is_built_once() -> None:
    assert get_validator() is get_validator()


def test_validator_can_be_shared_between_threads(validator: Validator) -> None:
    good = C_VALID
    bad = (DATA / "certificate_invalid_xsd.xml").read_bytes()
    failures: list[str] = []

    def work(data: bytes, expected: int) -> None:
        for _ in range(20):
            if len(validator.validate(data).problems) != expected:
                failures.append("mismatch")

    threads = [threading.Thread(target=work, args=(good, 0)) for _ in range(4)]
    threads += [threading.Thread(target=work, args=(bad, 2)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
