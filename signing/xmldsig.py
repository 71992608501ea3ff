"""Enveloped XMLDSig signing and verification (signxml underneath).

Profile (``docs/architecture.md``, "Signing"): one ``ds:Signature`` appended as the last child of the
root; ``SignedInfo`` canonicalised with exclusive c14n; RSA-SHA256 (ECDSA-SHA256 for EC keys); one
``Reference URI=""`` with the transforms enveloped-signature then exclusive c14n; SHA-256 digest;
``KeyInfo/X509Data/X509Certificate`` carrying the signer's certificate.

Verification trusts nothing in the document: the certificate in ``KeyInfo`` is only used to *select*
a certificate that the caller already trusts (``Verifier``: pinned certificates; ``verify_with_ca``:
any certificate issued by the given CA for the expected party), the signature value and the digest
are then checked with that certificate, and the result is the signed content only (comments and the
signature removed, re-parsed from the canonical form), never the input tree.

Serialise signed elements with :func:`serialize` (or ``etree.tostring`` without ``pretty_print``):
re-indenting a signed document changes its canonical form and breaks the signature.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import verification
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
    methods,
)
from signxml.exceptions import (
    InvalidCertificate,
    InvalidDigest,
    InvalidInput,
    InvalidSignature,
    SignXMLException,
)

from signing.errors import SignatureInvalid, SigningError

__all__ = [
    "DS_NS",
    "MAX_BYTES",
    "Signer",
    "VerifiedDocument",
    "Verifier",
    "serialize",
    "verify_with_ca",
    "verify_with_ca_document",
]

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

MAX_BYTES = 5 * 1024 * 1024
"""Largest document ``verify`` parses from bytes (the same limit as ``messages.safexml``)."""

_SIGNATURE_TAG = f"{{{DS_NS}}}Signature"
_NS = {"ds": DS_NS}
_ALLOWED_SIGNATURE_METHODS = frozenset({RSA_SHA256, ECDSA_SHA256})
_ALLOWED_TRANSFORMS = frozenset({ENVELOPED, EXC_C14N})

_EXPECT = SignatureConfiguration(
    require_x509=True,
    location="./",  # the ds:Signature must be a child of the root
    expect_references=1,
    signature_methods=frozenset({SignatureMethod.RSA_SHA256, SignatureMethod.ECDSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
)


def serialize(root: etree._Element) -> bytes:
    """UTF-8 bytes with an XML declaration, no re-indentation (safe for signed documents)."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class Signer:
    """Signs documents with one private key and its certificate.

    Build it once per party (``KeyStore.signer`` caches it): the key is held decrypted and the
    signxml signer is configured once, so ``sign`` never touches the disk. ``sign`` is safe to call
    from several threads.
    """

    def __init__(
        self,
        private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        certificate: x509.Certificate,
    ) -> None:
        if isinstance(private_key, rsa.RSAPrivateKey):
            algorithm = SignatureMethod.RSA_SHA256
        elif isinstance(private_key, ec.EllipticCurvePrivateKey):
            algorithm = SignatureMethod.ECDSA_SHA256
        else:
            raise SigningError(f"unsupported private key type {type(private_key).__name__}")
        if _public_der(private_key.public_key()) != _public_der(certificate.public_key()):
            raise SigningError(
                f"the private key does not belong to the certificate {certificate.subject.rfc4514_string()}"
            )
        self._key = private_key
        self._certificate = certificate
        self._signer = XMLSigner(
            method=methods.enveloped,
            signature_algorithm=algorithm,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
        self._signer.namespaces = {"ds": DS_NS}  # ds: prefix, never a default namespace

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def party_id(self) -> str:
        """The certificate's subject CN (the party id in certificates from ``signing.pki``)."""
        return _common_name(self._certificate)

    def sign(self, root: etree._Element) -> etree._Element:
        """Return a signed copy of ``root`` (``root`` itself is not modified)."""
        if not isinstance(root, etree._Element) or not isinstance(root.tag, str):
            raise SigningError("sign() needs an lxml element")
        if root.tag == _SIGNATURE_TAG or root.find("ds:Signature", _NS) is not None:
            raise SigningError(f"{etree.QName(root).localname} already carries a ds:Signature; sign unsigned content")
        try:
            signed = self._signer.sign(root, key=self._key, cert=[self._certificate])
        except (SignXMLException, ValueError, TypeError) as exc:
            raise SigningError(f"cannot sign {etree.QName(root).localname}: {exc}") from exc
        last = signed[-1] if len(signed) else None
        if last is None or last.tag != _SIGNATURE_TAG or last.prefix != "ds":
            raise SigningError("internal error: ds:Signature is not the last child of the signed root")
        return signed


@dataclass(frozen=True)
class VerifiedDocument:
    """The signed content (root element, signature removed) and the certificate that verified it."""

    root: etree._Element
    certificate: x509.Certificate

    @property
    def signer_id(self) -> str:
        return _common_name(self.certificate)


class Verifier:
    """Verifies documents signed by one of a fixed set of trusted (pinned) certificates.

    The certificate in ``KeyInfo`` must be byte-for-byte (DER) equal to one of ``trusted``; the
    signature is then checked with the trusted copy. The trusted certificate must be within its
    validity period at verification time.
    """

    def __init__(self, trusted: Sequence[x509.Certificate]) -> None:
        certificates = list(trusted)
        if not certificates:
            raise ValueError("Verifier needs at least one trusted certificate")
        self._trusted = {cert.public_bytes(Encoding.DER): cert for cert in certificates}

    @property
    def trusted(self) -> tuple[x509.Certificate, ...]:
        return tuple(self._trusted.values())

    def verify(self, data: bytes | etree._Element) -> etree._Element:
        """Return the verified root (signed content only) or raise ``SignatureInvalid``."""
        return self.verify_document(data).root

    def verify_document(self, data: bytes | etree._Element) -> VerifiedDocument:
        """Like ``verify`` but also tells which trusted certificate signed."""
        return _verify(data, self._pick)

    def _pick(self, candidates: list[x509.Certificate]) -> x509.Certificate:
        for cert in candidates:
            trusted = self._trusted.get(cert.public_bytes(Encoding.DER))
            if trusted is not None:
                return trusted
        names = ", ".join(_describe(c) for c in candidates)
        raise SignatureInvalid(f"the signing certificate is not a trusted one: {names}")


def verify_with_ca(data: bytes | etree._Element, ca_cert: x509.Certificate, expected_subject_cn: str) -> etree._Element:
    """Verify a document signed by any certificate issued by ``ca_cert`` whose subject CN is
    ``expected_subject_cn`` (for example the enterprise named as SenderId); return the signed root."""
    return verify_with_ca_document(data, ca_cert, expected_subject_cn).root


def verify_with_ca_document(
    data: bytes | etree._Element, ca_cert: x509.Certificate, expected_subject_cn: str
) -> VerifiedDocument:
    """Like ``verify_with_ca`` but also returns the certificate that verified."""

    def pick(candidates: list[x509.Certificate]) -> x509.Certificate:
        named = [c for c in candidates if _common_name(c) == expected_subject_cn]
        if not named:
            names = ", ".join(_describe(c) for c in candidates)
            raise SignatureInvalid(f"the signing certificate is not for {expected_subject_cn!r}: {names}")
        store = verification.Store([ca_cert])
        ee_policy = verification.ExtensionPolicy.permit_all().require_present(
            x509.KeyUsage, verification.Criticality.AGNOSTIC, _require_digital_signature
        )
        builder = (
            verification.PolicyBuilder()
            .store(store)
            .time(dt.datetime.now(dt.UTC))
            .extension_policies(ee_policy=ee_policy, ca_policy=verification.ExtensionPolicy.webpki_defaults_ca())
        )
        verifier = builder.build_client_verifier()
        errors = []
        for cert in named:
            try:
                verifier.verify(cert, [])
            except verification.VerificationError as exc:
                errors.append(str(exc))
                continue
            return cert
        raise SignatureInvalid(
            f"the certificate for {expected_subject_cn!r} is not valid under CA "
            f"{ca_cert.subject.rfc4514_string()}: {'; '.join(errors)}"
        )

    return _verify(data, pick)


# --- internals ------------------------------------------------------------------------------------


def _verify(
    data: bytes | etree._Element, pick: Callable[[list[x509.Certificate]], x509.Certificate]
) -> VerifiedDocument:
    root = _as_root(data)
    signature = _locate_signature(root)
    _check_profile(signature)
    certificate = pick(_keyinfo_certificates(signature))
    try:
        result = XMLVerifier().verify(root, x509_cert=certificate, parser=_parser(), expect_config=_EXPECT)
    except InvalidDigest as exc:
        raise SignatureInvalid(f"digest mismatch: the signed content was changed after signing ({exc})") from exc
    except InvalidCertificate as exc:
        raise SignatureInvalid(f"certificate not acceptable: {exc}") from exc
    except InvalidSignature as exc:
        raise SignatureInvalid(
            f"the signature value does not verify with the certificate of {_describe(certificate)}: {exc}"
        ) from exc
    except (InvalidInput, etree.DocumentInvalid, ValueError) as exc:
        raise SignatureInvalid(f"malformed ds:Signature: {exc}") from exc
    except SignXMLException as exc:  # pragma: no cover - any other signxml failure
        raise SignatureInvalid(f"signature verification failed: {exc}") from exc
    if isinstance(result, list) or result.signed_xml is None:  # pragma: no cover - excluded by _EXPECT
        raise SignatureInvalid("the signed content is not a single XML element")
    return VerifiedDocument(result.signed_xml, certificate)


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not meant to be shared between threads.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def _as_root(data: bytes | etree._Element) -> etree._Element:
    if isinstance(data, etree._Element):
        root = data
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if len(raw) > MAX_BYTES:
            raise SignatureInvalid(f"document too large to verify: {len(raw)} bytes > {MAX_BYTES}")
        try:
            root = etree.fromstring(raw, parser=_parser())
        except etree.XMLSyntaxError as exc:
            raise SignatureInvalid(f"not well-formed XML (line {exc.lineno}): {exc.msg}") from exc
        if root is None:
            raise SignatureInvalid("empty document")
    else:
        raise TypeError(f"verify() takes bytes or an lxml element, not {type(data).__name__}")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise SignatureInvalid("documents with a DOCTYPE are not accepted")
    if any(True for _ in root.iter(etree.Entity)):
        raise SignatureInvalid("entity references are not accepted")
    return root


def _locate_signature(root: etree._Element) -> etree._Element:
    if root.tag == _SIGNATURE_TAG:
        raise SignatureInvalid("the root is a ds:Signature; an enveloped signature is expected")
    found = root.findall("ds:Signature", _NS)
    if not found:
        anywhere = root.find(".//ds:Signature", _NS) is not None
        where = "not as a child of the root" if anywhere else "none"
        raise SignatureInvalid(f"no enveloped ds:Signature in {etree.QName(root).localname} ({where})")
    if len(found) > 1:
        raise SignatureInvalid(f"{len(found)} ds:Signature children of the root; exactly one is expected")
    return found[0]


def _check_profile(signature: etree._Element) -> None:
    """Reject anything outside the profile before doing cryptography (cheap, clear reasons)."""

    def algorithm(path: str) -> str | None:
        node = signature.find(path, _NS)
        return None if node is None else node.get("Algorithm")

    c14n = algorithm("ds:SignedInfo/ds:CanonicalizationMethod")
    if c14n != EXC_C14N:
        raise SignatureInvalid(f"SignedInfo canonicalization {c14n!r} is not allowed (expected {EXC_C14N})")
    method = algorithm("ds:SignedInfo/ds:SignatureMethod")
    if method not in _ALLOWED_SIGNATURE_METHODS:
        raise SignatureInvalid(f"signature method {method!r} is not allowed (expected RSA-SHA256)")
    references = signature.findall("ds:SignedInfo/ds:Reference", _NS)
    if len(references) != 1:
        raise SignatureInvalid(f"{len(references)} ds:Reference elements; exactly one is expected")
    reference = references[0]
    if reference.get("URI") != "":
        raise SignatureInvalid(f'Reference URI {reference.get("URI")!r} is not allowed (expected URI="")')
    transforms = [t.get("Algorithm") for t in reference.findall("ds:Transforms/ds:Transform", _NS)]
    if (
        ENVELOPED not in transforms
        or len(set(transforms)) != len(transforms)
        or not set(transforms) <= _ALLOWED_TRANSFORMS
    ):
        raise SignatureInvalid(
            f"Reference transforms {transforms} are not allowed (expected enveloped-signature, exc-c14n)"
        )
    digest = algorithm("ds:SignedInfo/ds:Reference/ds:DigestMethod")
    if digest != SHA256:
        raise SignatureInvalid(f"digest method {digest!r} is not allowed (expected SHA-256)")


def _keyinfo_certificates(signature: etree._Element) -> list[x509.Certificate]:
    nodes = signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS)
    if not nodes:
        raise SignatureInvalid("no KeyInfo/X509Data/X509Certificate in the signature")
    certificates = []
    for node in nodes:
        text = "".join((node.text or "").split())
        try:
            certificates.append(x509.load_der_x509_certificate(base64.b64decode(text, validate=True)))
        except (binascii.Error, ValueError) as exc:
            raise SignatureInvalid(f"KeyInfo holds an unreadable X509Certificate: {exc}") from exc
    return certificates


def _require_digital_signature(
    policy: verification.Policy, cert: x509.Certificate, key_usage: x509.KeyUsage | None
) -> None:
    if key_usage is None or not key_usage.digital_signature:
        raise ValueError("certificate keyUsage does not allow digitalSignature")


def _public_der(public_key: object) -> bytes:
    if isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    raise SigningError(f"unsupported public key type {type(public_key).__name__}")


def _common_name(cert: x509.Certificate) -> str:
    values = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = values[0].value if values else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _describe(cert: x509.Certificate) -> str:
    return f"{cert.subject.rfc4514_string()} (serial {cert.serial_number:x})"
