"""Interoperability with xmlsec1 (libxmlsec1 / OpenSSL), an independent XMLDSig implementation.

(a) our signatures verify with ``xmlsec1 --verify --trusted-pem ca.crt``;
(b) signatures made by ``xmlsec1 --sign`` with an enterprise key verify with our Verifier;
(c) tampered documents fail with both.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from signing.errors import SignatureInvalid
from signing.keystore import KeyStore
from signing.pki import PkiPaths, init_pki, load_private_key
from signing.xmldsig import Verifier, serialize, verify_with_ca

XMLSEC1 = shutil.which("xmlsec1")

pytestmark = [
    pytest.mark.xmlsec1,
    pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 is not installed (apt-get install xmlsec1)"),
]

PASSPHRASE = "interop-passphrase"
ENTERPRISE = "91310000MA1FL8XXXX"

SAMPLE = """<Envelope xmlns="urn:cogateway:envelope:v1">
  <Head><MessageId>abc</MessageId><SenderId>91310000MA1FL8XXXX</SenderId></Head>
  <Body>
    <Certificate xmlns="urn:cogateway:gacc:certificate:v1">
      <CertificateHead>
        <CertNo>E261234567890001</CertNo>
        <ApplName>上海某某进出口有限公司</ApplName>
        <GoodsDesc>不锈钢餐具 &amp; 配件</GoodsDesc>
      </CertificateHead>
    </Certificate>
  </Body>
</Envelope>"""

# What xmlsec1 fills in: exclusive c14n, RSA-SHA256, enveloped + exc-c14n, SHA-256, X509Certificate.
SIGNATURE_TEMPLATE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<ds:Reference URI="">
<ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
</ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
<ds:DigestValue/>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue/>
<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
</ds:Signature>"""


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    return init_pki(tmp_path_factory.mktemp("xmlsec1-pki") / "pki", PASSPHRASE, [ENTERPRISE])


@pytest.fixture(scope="session")
def store(pki: PkiPaths) -> KeyStore:
    return KeyStore(pki.directory, PASSPHRASE)


@pytest.fixture(scope="session")
def plain_key(pki: PkiPaths, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The enterprise key decrypted to a 0600 PEM file, because xmlsec1 gets no passphrase."""
    key = load_private_key(pki.enterprises[ENTERPRISE].key, PASSPHRASE)
    path = tmp_path_factory.mktemp("xmlsec1-key") / "enterprise.pem"
    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


def xmlsec1(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert XMLSEC1 is not None
    return subprocess.run([XMLSEC1, *map(str, args)], capture_output=True, text=True, timeout=60, check=False)


def xmlsec1_verify(pki: PkiPaths, document: Path) -> subprocess.CompletedProcess[str]:
    return xmlsec1("--verify", "--trusted-pem", pki.ca_certificate, document)


def xmlsec1_sign(pki: PkiPaths, plain_key: Path, tmp_path: Path) -> bytes:
    template = SAMPLE.replace("</Envelope>", SIGNATURE_TEMPLATE + "</Envelope>")
    template_path = tmp_path / "template.xml"
    template_path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + template, encoding="utf-8")
    output = tmp_path / "xmlsec1-signed.xml"
    cert = pki.enterprises[ENTERPRISE].certificate
    result = xmlsec1("--sign", "--privkey-pem", f"{plain_key},{cert}", "--output", output, template_path)
    assert result.returncode == 0, result.stderr
    return output.read_bytes()


def c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


def content_without_signature(data: bytes) -> bytes:
    root = etree.fromstring(data)
    root.remove(root[-1])
    return c14n(root)


# (a) -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("party", [ENTERPRISE, "GACC", "CCPIT"])
def test_xmlsec1_verifies_our_signature(pki: PkiPaths, store: KeyStore, tmp_path: Path, party: str) -> None:
    document = tmp_path / "ours.xml"
    document.write_bytes(serialize(store.signer(party).sign(etree.fromstring(SAMPLE.encode()))))
    result = xmlsec1_verify(pki, document)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout + result.stderr


def test_xmlsec1_verifies_our_signature_with_pinned_certificate(pki: PkiPaths, store: KeyStore, tmp_path: Path) -> None:
    document = tmp_path / "ours.xml"
    document.write_bytes(serialize(store.signer(ENTERPRISE).sign(etree.fromstring(SAMPLE.encode()))))
    cert = pki.enterprises[ENTERPRISE].certificate
    result = xmlsec1("--verify", "--pubkey-cert-pem", cert, "--trusted-pem", pki.ca_certificate, document)
    assert result.returncode == 0, result.stderr


# (b) -----------------------------------------------------------------------------------------------


def test_we_verify_xmlsec1_signature(pki: PkiPaths, store: KeyStore, plain_key: Path, tmp_path: Path) -> None:
    signed = xmlsec1_sign(pki, plain_key, tmp_path)
    root = etree.fromstring(signed)
    assert root[-1].tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"

    verified = Verifier([store.certificate(ENTERPRISE)]).verify(signed)
    assert c14n(verified) == content_without_signature(signed)
    assert verified.findtext(".//{urn:cogateway:gacc:certificate:v1}ApplName") == "上海某某进出口有限公司"

    by_ca = verify_with_ca(signed, store.ca_certificate(), ENTERPRISE)
    assert c14n(by_ca) == c14n(verified)

    with pytest.raises(SignatureInvalid, match="not a trusted one"):
        Verifier([store.certificate("GACC")]).verify(signed)


# (c) -----------------------------------------------------------------------------------------------


def test_tampered_document_fails_with_both(pki: PkiPaths, store: KeyStore, plain_key: Path, tmp_path: Path) -> None:
    ours = serialize(store.signer(ENTERPRISE).sign(etree.fromstring(SAMPLE.encode())))
    theirs = xmlsec1_sign(pki, plain_key, tmp_path)
    verifier = Verifier([store.certificate(ENTERPRISE)])
    for name, signed in (("ours", ours), ("xmlsec1", theirs)):
        original = tmp_path / f"{name}.xml"
        original.write_bytes(signed)
        assert xmlsec1_verify(pki, original).returncode == 0, name

        tampered_bytes = signed.replace("上海某某".encode(), "深圳某某".encode())
        assert tampered_bytes != signed
        tampered = tmp_path / f"{name}-tampered.xml"
        tampered.write_bytes(tampered_bytes)

        result = xmlsec1_verify(pki, tampered)
        assert result.returncode != 0, f"xmlsec1 accepted the tampered {name} document"
        with pytest.raises(SignatureInvalid, match="digest mismatch"):
            verifier.verify(tampered_bytes)


def test_signature_from_another_ca_fails_with_both(pki: PkiPaths, store: KeyStore, tmp_path: Path) -> None:
    """Same party id, certificate from an unrelated CA: xmlsec1's chain check and ours both refuse it."""
    foreign = KeyStore(init_pki(tmp_path / "foreign", PASSPHRASE, [ENTERPRISE]).directory, PASSPHRASE)
    signed = serialize(foreign.signer(ENTERPRISE).sign(etree.fromstring(SAMPLE.encode())))
    document = tmp_path / "foreign.xml"
    document.write_bytes(signed)
    assert xmlsec1_verify(pki, document).returncode != 0
    with pytest.raises(SignatureInvalid, match="not a trusted one"):
        Verifier([store.certificate(ENTERPRISE)]).verify(signed)
    with pytest.raises(SignatureInvalid, match="not valid under CA"):
        verify_with_ca(signed, store.ca_certificate(), ENTERPRISE)
