"""CCPIT families: shared facts (gateway.domain.ccpit), the ccpit-*.xsd schemas and every CCPIT sample."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from gateway.domain import ccpit
from messages import XSD_DIR
from messages.catalogue import CATALOGUE, lookup

FAMILIES = Path(__file__).resolve().parents[1] / "data" / "families"
SCHEMAS = sorted(p.name for p in XSD_DIR.glob("ccpit-*.xsd"))
SAMPLES = sorted(p for d in FAMILIES.glob("ccpit_*") for p in d.glob("*.xml"))
XMLLINT = "/usr/bin/xmllint"
needs_xmllint = pytest.mark.skipif(shutil.which(XMLLINT) is None, reason="xmllint is not installed")
CCPIT_ENTRIES = [e for e in CATALOGUE if e.authority == "CCPIT"]


# --- gateway.domain.ccpit ---------------------------------------------------------------------


def test_the_seed_lists_fifteen_types_domain_md_fourteen() -> None:
    domain_md = {"C", "B", "N", "X", "R", "H", "L", "I", "S", "A", "K", "E", "GE", "F"}
    assert set(ccpit.CERT_TYPES) - domain_md == {"HM"}
    assert len(ccpit.CERT_TYPES) == 15


def test_xsd_type_enumeration_is_the_domain_table() -> None:
    root = etree.parse(str(XSD_DIR / "ccpit-types-v1.xsd")).getroot()
    xs = "{http://www.w3.org/2001/XMLSchema}"
    simple = root.find(f"{xs}simpleType[@name='CertTypeCode']")
    assert simple is not None
    assert {e.get("value") for e in simple.iter(f"{xs}enumeration")} == set(ccpit.CERT_TYPES)


@pytest.mark.parametrize(("cert_no", "parts"), [
    ("26E350100001/00001", (2026, "E", "350100001", 1)),
    ("19HM350100001/12345", (2019, "HM", "350100001", 12345)),
    ("26GE350100001/99999", (2026, "GE", "350100001", 99999)),
])
def test_parse_and_format_round_trip(cert_no: str, parts: tuple[int, str, str, int]) -> None:
    parsed = ccpit.parse_cert_no(cert_no)
    assert (parsed.year, parsed.type, parsed.ent_code, parsed.serial) == parts
    assert ccpit.format_cert_no(parsed.type, parsed.year, parsed.ent_code, parsed.serial) == cert_no
    assert ccpit.format_cert_no(parsed.type, parsed.year % 100, parsed.ent_code, parsed.serial) == cert_no


@pytest.mark.parametrize("bad", ["", "E26350100001/00001", "26Q350100001/00001", "26E35010000/00001",
                                 "26E350100001-00001", "26E350100001/00000", "26E350100001/0001"])
def test_parse_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        ccpit.parse_cert_no(bad)


@pytest.mark.parametrize(("args", "message"), [
    (("Q", 2026, "350100001", 1), "unknown"), (("E", 2026, "35010000A", 1), "9-digit"),
    (("E", 2026, "350100001", 0), "serial"), (("E", 2126, "350100001", 1), "year"),
])
def test_format_rejects(args: tuple[str, int, str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ccpit.format_cert_no(*args)


def test_local_code_checks() -> None:
    assert ccpit.office_code_is_valid("350100") and not ccpit.office_code_is_valid("35010")
    assert ccpit.enterprise_code_is_valid("350100001") and not ccpit.enterprise_code_is_valid("2102M9997")
    assert not ccpit.office_code_is_valid(350100)  # type: ignore[arg-type]


def test_text_classes() -> None:
    assert ccpit.has_han("厦门") and not ccpit.has_han("XIAMEN，CHINA")
    assert ccpit.has_cjk("XIAMEN，CHINA") and not ccpit.has_cjk("CAFÉ NO. 1")


def test_origin_criteria_are_the_gacc_lists_plus_ccpit_only_types() -> None:
    table = ccpit.origin_criteria()
    assert table["K"] == frozenset({"WO", "WP", "PSR", "OP"})
    assert table["HM"] is None  # CEPA is CCPIT-only: a criterion is required, any value
    assert "C" not in table


# --- schemas -------------------------------------------------------------------------------------


def test_ccpit_schemas_exist() -> None:
    assert {"ccpit-types-v1.xsd", "ccpit-user-v1.xsd", "ccpit-certificate-v1.xsd", "ccpit-product-v1.xsd",
            "ccpit-basedata-v1.xsd", "ccpit-request-v1.xsd"} <= set(SCHEMAS)


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_compiles_and_is_versioned(name: str) -> None:
    root = etree.parse(str(XSD_DIR / name)).getroot()
    etree.XMLSchema(root)
    assert xmlschema.XMLSchema(str(XSD_DIR / name), allow="local").validity == "valid"
    assert root.get("elementFormDefault") == "qualified"
    assert root.get("targetNamespace", "").startswith("urn:cogateway:ccpit:")
    assert root.get("targetNamespace", "").endswith(":v1")


@needs_xmllint
@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_compiles_with_xmllint(name: str, tmp_path: Path) -> None:
    probe = tmp_path / "probe.xml"
    probe.write_bytes(b"<probe/>")
    run = subprocess.run([XMLLINT, "--noout", "--schema", str(XSD_DIR / name), str(probe)],
                         capture_output=True, text=True, check=False)
    assert run.returncode in (0, 3), run.stderr
    assert "failed to compile" not in run.stderr


def test_catalogue_entries() -> None:
    assert {e.message_type for e in CCPIT_ENTRIES} == {
        "CCPIT_USER_RECORD", "CCPIT_CO_APPLICATION", "CCPIT_PRODUCT_RECORD", "CCPIT_PRODUCT_RECORD_RECEIPT",
        "CCPIT_EXPORTER", "CCPIT_IMPORTER", "CCPIT_PRODUCER", "CCPIT_SPECIAL_CLAUSE", "CCPIT_SYNC_REQUEST",
        "CCPIT_SYNC_RESULT", "CCPIT_CO_VOID"}
    for e in CCPIT_ENTRIES:
        assert e.envelope_type == e.message_type
        assert e.family.startswith("ccpit_") and e.schema.startswith("ccpit-")
        assert bool(e.document_key) is (e.direction == "outbound")


def test_every_ccpit_message_type_has_a_sample() -> None:
    covered = set()
    for path in SAMPLES:
        entry = lookup(etree.parse(str(path)).getroot().tag)
        assert entry is not None, path
        covered.add(entry.message_type)
    assert covered == {e.message_type for e in CCPIT_ENTRIES}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_is_schema_valid(path: Path) -> None:
    """Invalid samples test business rules, so they too are schema-valid; inbound ones are not pushed by
    the API test and are checked here."""
    tree = etree.parse(str(path))
    entry = lookup(tree.getroot().tag)
    assert entry is not None
    assert entry.family == path.parent.name
    etree.XMLSchema(etree.parse(str(XSD_DIR / entry.schema))).assertValid(tree)
    xmlschema.XMLSchema(str(XSD_DIR / entry.schema), allow="local").validate(tree.getroot())


@pytest.mark.parametrize(("type_name", "good", "bad"), [
    ("OfficeCode", ["350100"], ["35010", "3501000", "35010A"]),
    ("EnterpriseCode", ["350100001"], ["35010000", "3501000011", "35010000A"]),
    ("BaseDataCode", ["010", "0111", "2019001", "ABCD1234"], ["01", "ABCDE12345", "01-1", "A B"]),
    ("BankAccount", ["MA10231223647829ABB"], ["MA10231223647829AB", "MA10231223647829ABBC", "MA1023122364782-ABB"]),
    ("Phone", ["0592-5088888", "+86 (592) 508-8888", "12345678901234567890"],
     ["123456789012345678901", "TEL 0592", "--", ""]),
    ("CertNo", ["26E350100001/00001", "26HM350100001/10000"], ["26E350100001/00000", "26Q350100001/00001"]),
    ("RegistrationNo", ["18S2102M9997/00054", "25E350100001/00031"], ["18S2102M9997", "18S2102M999/00054"]),
    ("PreferentialTypeCode", ["E", "H", "HM", "GE"], ["C", "Q"]),
])
def test_lexical_types_of_the_seed(type_name: str, good: list[str], bad: list[str]) -> None:
    types = xmlschema.XMLSchema(str(XSD_DIR / "ccpit-types-v1.xsd"), allow="local").types
    assert all(types[type_name].is_valid(v) for v in good), type_name
    assert not any(types[type_name].is_valid(v) for v in bad), type_name


def test_product_registration_needs_an_area_and_a_material() -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD_DIR / "ccpit-product-v1.xsd")))
    sample = (FAMILIES / "ccpit_product" / "valid_save_ecfa.xml").read_text(encoding="utf-8")
    assert schema.validate(etree.fromstring(sample.encode()))
    for block in ("AreaList", "MaterialList"):
        start, end = sample.index(f"<{block}>"), sample.index(f"</{block}>") + len(f"</{block}>")
        empty = sample[:start] + f"<{block}/>" + sample[end:]
        assert not schema.validate(etree.fromstring(empty.encode())), block
