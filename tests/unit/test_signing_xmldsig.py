"""signing.xmldsig: enveloped XMLDSig profile, roundtrip, tampering, trust, unsafe input."""

from __future__ import annotations

import base64
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from lxml import etree

from signing.errors import SignatureInvalid, SigningError
from signing.keystore import KeyStore
from signing.pki import init_pki
from signing.xmldsig import DS_NS, MAX_BYTES, Signer, Verifier, serialize, verify_with_ca, verify_with_ca_document

PASSPHRASE = "test-passphrase"
ENTERPRISE = "91310000MA1FL8XXXX"
OTHER = "91440300MA5G0ABCDE"
NS = {"ds": DS_NS, "env": "urn:cogateway:envelope:v1", "c": "urn:cogateway:gacc:certificate:v1"}

SAMPLE = """<Envelope xmlns="urn:cogateway:envelope:v1">
  <Head><MessageId>abc</MessageId><SenderId>91310000MA1FL8XXXX</SenderId></Head>
  <Body>
    <Certificate xmlns="urn:cogateway:gacc:certificate:v1">
      <CertificateHead>
        <CertNo>E261234567890001</CertNo>
        <ApplName>上海某某进出口有限公司</ApplName>
        <Remark>货物原产于中国 &amp; "quoted" &lt;ok&gt;</Remark>
      </CertificateHead>
    </Certificate>
  </Body>
</Envelope>""".encode()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    root = tmp_path_factory.mktemp("pki") / "pki"
    init_pki(root, PASSPHRASE, [ENTERPRISE, OTHER])
    return KeyStore(root, PASSPHRASE)


@pytest.fixture(scope="module")
def foreign_store(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    """A second, unrelated PKI that issues certificates with the same party ids."""
    root = tmp_path_factory.mktemp("foreign") / "pki"
    init_pki(root, PASSPHRASE, [ENTERPRISE])
    return KeyStore(root, PASSPHRASE)


def sample() -> etree._Element:
    return etree.fromstring(SAMPLE)


@pytest.fixture(scope="module")
def signed(store: KeyStore) -> bytes:
    return serialize(store.signer(ENTERPRISE).sign(sample()))


def c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


# --- the signature's shape ------------------------------------------------------------------------


def test_signature_is_last_child_with_profile(store: KeyStore, signed: bytes) -> None:
    root = etree.fromstring(signed)
    last = root[-1]
    assert last.tag == f"{{{DS_NS}}}Signature"
    assert last.prefix == "ds"
    assert len(root.findall("ds:Signature", NS)) == 1
    assert root.xpath("string(ds:Signature/ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm)", namespaces=NS) == (
        "http://www.w3.org/2001/10/xml-exc-c14n#"
    )
    assert root.xpath("string(ds:Signature/ds:SignedInfo/ds:SignatureMethod/@Algorithm)", namespaces=NS) == (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    )
    references = root.findall("ds:Signature/ds:SignedInfo/ds:Reference", NS)
    assert len(references) == 1 and references[0].get("URI") == ""
    assert [t.get("Algorithm") for t in references[0].findall("ds:Transforms/ds:Transform", NS)] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    assert references[0].find("ds:DigestMethod", NS).get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#sha256"
    cert_text = root.findtext("ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=NS)
    assert cert_text is not None
    der = x509.load_der_x509_certificate(base64.b64decode("".join(cert_text.split())))
    assert der == store.certificate(ENTERPRISE)


def test_sign_does_not_modify_input_and_keeps_content(store: KeyStore) -> None:
    original = sample()
    before = c14n(original)
    signed = store.signer(ENTERPRISE).sign(original)
    assert signed is not original
    assert c14n(original) == before
    signed.remove(signed[-1])
    assert c14n(signed) == before


def test_sign_refuses_already_signed_root(store: KeyStore, signed: bytes) -> None:
    with pytest.raises(SigningError, match="already carries a ds:Signature"):
        store.signer(ENTERPRISE).sign(etree.fromstring(signed))


def test_signer_rejects_key_certificate_mismatch(store: KeyStore) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SigningError, match="does not belong"):
        Signer(other_key, store.certificate(ENTERPRISE))


# --- roundtrip ------------------------------------------------------------------------------------


def test_roundtrip_bytes_and_element(store: KeyStore, signed: bytes) -> None:
    verifier = Verifier([store.certificate("GACC"), store.certificate(ENTERPRISE)])
    for data in (signed, etree.fromstring(signed)):
        root = verifier.verify(data)
        assert root.find("ds:Signature", NS) is None
        assert c14n(root) == c14n(sample())
        assert root.findtext(".//c:ApplName", namespaces=NS) == "上海某某进出口有限公司"
    document = verifier.verify_document(signed)
    assert document.signer_id == ENTERPRISE
    assert document.certificate == store.certificate(ENTERPRISE)


def test_comments_are_neither_signed_nor_returned(store: KeyStore, signed: bytes) -> None:
    text = signed.replace(b"<Body>", b"<Body><!-- unsigned comment -->")
    root = Verifier([store.certificate(ENTERPRISE)]).verify(text)
    assert b"unsigned comment" not in etree.tostring(root)


def test_verify_with_ca(store: KeyStore, signed: bytes) -> None:
    root = verify_with_ca(signed, store.ca_certificate(), ENTERPRISE)
    assert root.findtext(".//c:CertNo", namespaces=NS) == "E261234567890001"
    assert verify_with_ca_document(signed, store.ca_certificate(), ENTERPRISE).signer_id == ENTERPRISE


def test_verify_with_ca_rejects_other_party(store: KeyStore, signed: bytes) -> None:
    with pytest.raises(SignatureInvalid, match=f"not for '{OTHER}'"):
        verify_with_ca(signed, store.ca_certificate(), OTHER)


def test_verify_with_ca_rejects_certificate_from_another_ca(store: KeyStore, foreign_store: KeyStore) -> None:
    forged = serialize(foreign_store.signer(ENTERPRISE).sign(sample()))  # same CN, wrong CA
    with pytest.raises(SignatureInvalid, match="is not valid under CA"):
        verify_with_ca(forged, store.ca_certificate(), ENTERPRISE)


def test_concurrent_signing(store: KeyStore) -> None:
    signer = store.signer(ENTERPRISE)
    verifier = Verifier([store.certificate(ENTERPRISE)])

    def one(i: int) -> bytes:
        doc = sample()
        message_id = doc.find("env:Head/env:MessageId", NS)
        assert message_id is not None
        message_id.text = f"msg{i:04d}"
        return serialize(signer.sign(doc))

    with ThreadPoolExecutor(max_workers=8) as pool:
        outputs = list(pool.map(one, range(64)))
    for i, data in enumerate(outputs):
        assert verifier.verify(data).findtext("env:Head/env:MessageId", namespaces=NS) == f"msg{i:04d}"


# --- tampering and trust --------------------------------------------------------------------------


def test_tampered_text_node(store: KeyStore, signed: bytes) -> None:
    tampered = signed.replace("上海某某".encode(), "北京某某".encode())
    assert tampered != signed
    with pytest.raises(SignatureInvalid, match="digest mismatch"):
        Verifier([store.certificate(ENTERPRISE)]).verify(tampered)


def test_tampered_element_tree(store: KeyStore, signed: bytes) -> None:
    root = etree.fromstring(signed)
    head = root.find("env:Head", NS)
    assert head is not None
    etree.SubElement(head, "{urn:cogateway:envelope:v1}Injected").text = "x"
    with pytest.raises(SignatureInvalid, match="digest mismatch"):
        Verifier([store.certificate(ENTERPRISE)]).verify(root)


def test_tampered_signature_value(store: KeyStore, signed: bytes) -> None:
    root = etree.fromstring(signed)
    value = root.find("ds:Signature/ds:SignatureValue", NS)
    assert value is not None and value.text
    value.text = ("A" if value.text[0] != "A" else "B") + value.text[1:]
    with pytest.raises(SignatureInvalid, match="signature value does not verify"):
        Verifier([store.certificate(ENTERPRISE)]).verify(root)


def test_untrusted_certificate(store: KeyStore, signed: bytes) -> None:
    with pytest.raises(SignatureInvalid, match="not a trusted one") as info:
        Verifier([store.certificate(OTHER), store.certificate("GACC")]).verify(signed)
    assert ENTERPRISE in str(info.value)


def test_keyinfo_swapped_to_trusted_certificate(store: KeyStore) -> None:
    """Signed by OTHER, KeyInfo claims ENTERPRISE's (trusted) certificate: the value must not verify."""
    root = store.signer(OTHER).sign(sample())
    node = root.find("ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    assert node is not None
    trusted_cert = store.certificate(ENTERPRISE)
    node.text = base64.b64encode(trusted_cert.public_bytes(Encoding.DER)).decode()
    with pytest.raises(SignatureInvalid, match="signature value does not verify"):
        Verifier([trusted_cert]).verify(root)


def test_expired_trusted_certificate(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "OLD")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now - dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    data = serialize(Signer(key, cert).sign(sample()))
    with pytest.raises(SignatureInvalid, match="expired"):
        Verifier([cert]).verify(data)


def test_missing_signature(store: KeyStore) -> None:
    with pytest.raises(SignatureInvalid, match="no enveloped ds:Signature"):
        Verifier([store.certificate(ENTERPRISE)]).verify(SAMPLE)


def test_signature_not_child_of_root(store: KeyStore, signed: bytes) -> None:
    root = etree.fromstring(signed)
    body = root.find("env:Body", NS)
    assert body is not None
    body.append(root[-1])
    with pytest.raises(SignatureInvalid, match="not as a child of the root"):
        Verifier([store.certificate(ENTERPRISE)]).verify(root)


def test_two_signatures(store: KeyStore, signed: bytes) -> None:
    root = etree.fromstring(signed)
    root.append(etree.fromstring(etree.tostring(root[-1])))
    with pytest.raises(SignatureInvalid, match="2 ds:Signature"):
        Verifier([store.certificate(ENTERPRISE)]).verify(root)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b'xml-exc-c14n#"/><ds:SignatureMethod', b'xml-c14n11"/><ds:SignatureMethod', "canonicalization"),
        (b"xmldsig-more#rsa-sha256", b"xmldsig-more#rsa-sha512", "signature method"),
        (b'Reference URI=""', b'Reference URI="#x"', "Reference URI"),
        (b"xmlenc#sha256", b"xmlenc#sha512", "digest method"),
    ],
)
def test_profile_violations(store: KeyStore, signed: bytes, old: bytes, new: bytes, reason: str) -> None:
    assert old in signed
    with pytest.raises(SignatureInvalid, match=reason):
        Verifier([store.certificate(ENTERPRISE)]).verify(signed.replace(old, new, 1))


# --- unsafe or broken input -----------------------------------------------------------------------


def test_entities_and_doctype_are_refused(store: KeyStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    evil = (
        f'<?xml version="1.0"?><!DOCTYPE Envelope [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<Envelope xmlns="urn:cogateway:envelope:v1"><Head>&x;</Head></Envelope>'
    ).encode()
    with pytest.raises(SignatureInvalid, match="DOCTYPE") as info:
        Verifier([store.certificate(ENTERPRISE)]).verify(evil)
    assert "TOP SECRET" not in str(info.value)


def test_malformed_and_oversized(store: KeyStore) -> None:
    verifier = Verifier([store.certificate(ENTERPRISE)])
    with pytest.raises(SignatureInvalid, match="not well-formed"):
        verifier.verify(b"<Envelope><Head></Envelope>")
    with pytest.raises(SignatureInvalid, match="too large"):
        verifier.verify(b" " * (MAX_BYTES + 1))


def test_verifier_needs_trusted_certificates() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Verifier([])
