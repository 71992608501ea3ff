"""The XSDs compile under all three engines we rely on, and the samples mean what their names say."""

import shutil
import subprocess
from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from xmlschema.validators import XsdComplexType, XsdGroup

from messages import XSD_DIR
from messages import certificate as cert_codec
from messages.catalogue import CATALOGUE

DATA = Path(__file__).resolve().parents[1] / "data"
XMLLINT = "/usr/bin/xmllint"
SCHEMAS = ["common-v1.xsd", "envelope-v1.xsd", "gacc-certificate-v1.xsd", "receipt-v1.xsd"]
VALID = {
    "certificate_C_valid.xml": "gacc-certificate-v1.xsd",
    "certificate_E_valid.xml": "gacc-certificate-v1.xsd",
    "certificate_E_bad_origin.xml": "gacc-certificate-v1.xsd",
    "receipt_import_response.xml": "receipt-v1.xsd",
    "receipt_business_returned.xml": "receipt-v1.xsd",
}
# Every GACC certificate type code listed in shared/DOMAIN.md.
GACC_TYPES = {
    "C", "G", "B", "E", "F", "M", "P", "T", "N", "X", "R", "H", "L", "I", "S", "PR", "TR", "A", "K",
    "AD", "AP", "GE", "MU", "CA", "RC", "NI", "EC", "SE", "HD", "MV", "CG",
}
XS = "{http://www.w3.org/2001/XMLSchema}"
needs_xmllint = pytest.mark.skipif(shutil.which(XMLLINT) is None, reason="xmllint is not installed")


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_compiles_with_lxml(name: str) -> None:
    etree.XMLSchema(etree.parse(str(XSD_DIR / name)))


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_compiles_with_xmlschema(name: str) -> None:
    schema = xmlschema.XMLSchema(str(XSD_DIR / name), allow="local")
    assert schema.validity == "valid"


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_versioned_and_qualified(name: str) -> None:
    root = etree.parse(str(XSD_DIR / name)).getroot()
    assert root.get("elementFormDefault") == "qualified"
    assert root.get("targetNamespace", "").startswith("urn:cogateway:")
    assert root.get("targetNamespace", "").endswith(":v1")


@needs_xmllint
@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_compiles_with_xmllint(name: str, tmp_path: Path) -> None:
    # xmllint only compiles a schema while validating something; exit code 5 means "schema failed".
    instance = tmp_path / "probe.xml"
    instance.write_bytes(b"<probe/>")
    run = subprocess.run([XMLLINT, "--noout", "--schema", str(XSD_DIR / name), str(instance)],
                         capture_output=True, text=True, check=False)
    assert run.returncode in (0, 3), run.stderr
    assert "failed to compile" not in run.stderr


@pytest.mark.parametrize(("sample", "schema"), sorted(VALID.items()))
def test_valid_samples_pass_lxml_and_xmlschema(sample: str, schema: str) -> None:
    tree = etree.parse(str(DATA / sample))
    etree.XMLSchema(etree.parse(str(XSD_DIR / schema))).assertValid(tree)
    xmlschema.XMLSchema(str(XSD_DIR / schema), allow="local").validate(tree.getroot())


@needs_xmllint
@pytest.mark.parametrize(("sample", "schema"), sorted(VALID.items()))
def test_valid_samples_pass_xmllint(sample: str, schema: str) -> None:
    run = subprocess.run([XMLLINT, "--noout", "--schema", str(XSD_DIR / schema), str(DATA / sample)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


@needs_xmllint
def test_invalid_sample_fails_xmllint_on_the_same_lines() -> None:
    run = subprocess.run([XMLLINT, "--noout", "--schema", str(XSD_DIR / "gacc-certificate-v1.xsd"),
                          str(DATA / "certificate_invalid_xsd.xml")], capture_output=True, text=True, check=False)
    assert run.returncode == 3
    assert "certificate_invalid_xsd.xml:14:" in run.stderr
    assert "certificate_invalid_xsd.xml:57:" in run.stderr


def test_cert_type_enumerates_every_gacc_type() -> None:
    root = etree.parse(str(XSD_DIR / "gacc-certificate-v1.xsd")).getroot()
    simple = root.find(f"{XS}simpleType[@name='CertTypeCode']")
    assert simple is not None
    assert {e.get("value") for e in simple.iter(f"{XS}enumeration")} == GACC_TYPES


def _sequence(schema: xmlschema.XMLSchema, type_name: str) -> tuple[str, ...]:
    xsd_type = schema.types[type_name]
    assert isinstance(xsd_type, XsdComplexType) and isinstance(xsd_type.content, XsdGroup)
    return tuple(str(e.local_name) for e in xsd_type.content.iter_elements())


def test_codec_field_order_matches_the_schema() -> None:
    schema = xmlschema.XMLSchema(str(XSD_DIR / "gacc-certificate-v1.xsd"), allow="local")
    assert _sequence(schema, "CertificateHeadExtType") == cert_codec.HEAD_FIELDS
    assert _sequence(schema, "GoodsExtType") == cert_codec.GOODS_FIELDS
    assert _sequence(schema, "ModCertificateType") == cert_codec.MOD_FIELDS
    assert _sequence(schema, "NonpartyCorpType") == cert_codec.NONPARTY_FIELDS
    assert _sequence(schema, "OriInvType") == cert_codec.INVOICE_FIELDS


def test_every_catalogue_schema_exists_and_declares_its_root() -> None:
    for entry in CATALOGUE:
        schema = xmlschema.XMLSchema(str(XSD_DIR / entry.schema), allow="local")
        assert entry.root in schema.maps.elements, entry.root
