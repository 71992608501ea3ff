"""A small test PKI: one CA, a certificate per authority, a certificate per enterprise.

Layout under ``directory`` (directories 0700, files 0600)::

    ca.crt  ca.key
    authorities/<ID>.crt  authorities/<ID>.key
    enterprises/<ID>.crt  enterprises/<ID>.key

Private keys are PKCS#8 PEM encrypted with the passphrase (``BestAvailableEncryption``); certificates
are PEM. Every leaf certificate has subject ``O=CO Gateway Test PKI, OU=Authority|Enterprise,
serialNumber=<ID>, CN=<ID>``, is issued by the CA, and carries basicConstraints CA:FALSE, keyUsage
digitalSignature + nonRepudiation (both critical), SKI and AKI.

Key size: RSA 2048. It gives 112-bit security (NIST SP 800-57 acceptable through 2030), is what
OpenSSL / xmlsec1 and every XMLDSig verifier accept, and generating a key takes ~50 ms instead of
~0.5-2 s for 3072 bits, which keeps ``init_pki`` for dozens of enterprises (and the test suite)
fast. This PKI is for tests and the mock authorities; production enterprise keys come from the
enterprises' own certificates. Pass ``key_size=3072`` when a longer-lived key is wanted.

``init_pki`` is idempotent: existing material is kept and only what is missing is created. It never
overwrites a key. A leaf whose ``.key`` exists but whose ``.crt`` is missing gets a new certificate
for the existing key; a ``.crt`` without its ``.key`` is an error (the key cannot be recovered).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from signing.errors import KeyStoreError

__all__ = [
    "AUTHORITIES_DIR",
    "CA_CERT_FILE",
    "CA_KEY_FILE",
    "CA_VALIDITY",
    "ENTERPRISES_DIR",
    "KEY_SIZE",
    "LEAF_VALIDITY",
    "PartyFiles",
    "PkiPaths",
    "check_party_id",
    "init_pki",
    "load_certificate",
    "load_private_key",
]

KEY_SIZE = 2048
CA_VALIDITY = dt.timedelta(days=3650)
LEAF_VALIDITY = dt.timedelta(days=730)
CLOCK_SKEW = dt.timedelta(minutes=5)

CA_CERT_FILE = "ca.crt"
CA_KEY_FILE = "ca.key"
AUTHORITIES_DIR = "authorities"
ENTERPRISES_DIR = "enterprises"
LOCK_FILE = ".pki.lock"

ORGANIZATION = "CO Gateway Test PKI"
CA_COMMON_NAME = "CO Gateway Test CA"

# Party ids become file names and PrintableString subject attributes: letters, digits, '-' and '.',
# not starting with '.' or '-', at most 64 characters (the X.520 upper bound for CN).
_PARTY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,63}")


@dataclass(frozen=True)
class PartyFiles:
    party_id: str
    certificate: Path
    key: Path


@dataclass(frozen=True)
class PkiPaths:
    """Where the material is. ``authorities`` / ``enterprises`` list every party present on disk
    (not only the ones passed to this call); ``created`` names what this call created, in order
    (``"CA"`` for the CA, otherwise party ids; a re-issued certificate counts as created)."""

    directory: Path
    ca_certificate: Path
    ca_key: Path
    authorities: dict[str, PartyFiles] = field(default_factory=dict)
    enterprises: dict[str, PartyFiles] = field(default_factory=dict)
    created: tuple[str, ...] = ()

    def party(self, party_id: str) -> PartyFiles:
        found = self.authorities.get(party_id) or self.enterprises.get(party_id)
        if found is None:
            raise KeyError(party_id)
        return found


def check_party_id(party_id: str) -> str:
    """Return ``party_id`` if it is usable as a file name and certificate subject, else ValueError."""
    if not isinstance(party_id, str) or not _PARTY_ID.fullmatch(party_id):
        raise ValueError(
            f"invalid party id {party_id!r}: use 1-64 letters, digits, '-' or '.', starting with a letter or digit"
        )
    return party_id


def load_certificate(path: Path) -> x509.Certificate:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyStoreError(f"certificate file {path} does not exist") from None
    except OSError as exc:
        raise KeyStoreError(f"cannot read certificate file {path}: {exc.strerror}") from exc
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise KeyStoreError(f"{path} is not a PEM certificate: {exc}") from exc


def load_private_key(path: Path, passphrase: str) -> rsa.RSAPrivateKey:
    """Decrypt an encrypted PKCS#8 PEM key. Unencrypted keys are refused."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyStoreError(f"private key file {path} does not exist") from None
    except OSError as exc:
        raise KeyStoreError(f"cannot read private key file {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=_password(passphrase))
    except TypeError as exc:  # "Password was given but private key is not encrypted"
        raise KeyStoreError(f"private key {path} is not encrypted; refusing to use it ({exc})") from exc
    except ValueError as exc:
        raise KeyStoreError(f"cannot decrypt private key {path}: wrong passphrase or corrupt file ({exc})") from exc
    except UnsupportedAlgorithm as exc:
        raise KeyStoreError(f"private key {path} uses an unsupported algorithm: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyStoreError(f"private key {path} is not an RSA key ({type(key).__name__})")
    return key


def init_pki(
    directory: Path | str,
    passphrase: str,
    enterprises: Iterable[str],
    authorities: Iterable[str] = ("GACC", "CCPIT"),
    *,
    key_size: int = KEY_SIZE,
) -> PkiPaths:
    """Create (or complete) the test PKI under ``directory``; see the module docstring."""
    directory = Path(directory)
    password = _password(passphrase)
    enterprise_ids = _unique_ids(enterprises)
    authority_ids = _unique_ids(authorities)
    overlap = set(enterprise_ids) & set(authority_ids)
    if overlap:
        raise ValueError(f"party ids used both as authority and enterprise: {sorted(overlap)}")

    _ensure_dir(directory)
    _ensure_dir(directory / AUTHORITIES_DIR)
    _ensure_dir(directory / ENTERPRISES_DIR)
    with _locked(directory / LOCK_FILE):
        issuer = _Issuer(directory, passphrase, password, key_size)
        created: list[str] = []
        if issuer.ensure_ca():
            created.append("CA")
        for subdir, unit, ids in (
            (AUTHORITIES_DIR, "Authority", authority_ids),
            (ENTERPRISES_DIR, "Enterprise", enterprise_ids),
        ):
            for party_id in ids:
                if issuer.ensure_leaf(directory / subdir, party_id, unit):
                    created.append(party_id)

    return PkiPaths(
        directory=directory,
        ca_certificate=directory / CA_CERT_FILE,
        ca_key=directory / CA_KEY_FILE,
        authorities=_scan(directory / AUTHORITIES_DIR),
        enterprises=_scan(directory / ENTERPRISES_DIR),
        created=tuple(created),
    )


class _Issuer:
    """Loads (lazily: only when something must be issued) or creates the CA and issues leaves."""

    def __init__(self, directory: Path, passphrase: str, password: bytes, key_size: int) -> None:
        self.directory = directory
        self.passphrase = passphrase
        self.password = password
        self.key_size = key_size
        self.ca_cert_path = directory / CA_CERT_FILE
        self.ca_key_path = directory / CA_KEY_FILE
        self._ca_cert: x509.Certificate | None = None
        self._ca_key: rsa.RSAPrivateKey | None = None

    @property
    def ca_cert(self) -> x509.Certificate:
        if self._ca_cert is None:
            self._ca_cert = load_certificate(self.ca_cert_path)
        return self._ca_cert

    @property
    def ca_key(self) -> rsa.RSAPrivateKey:
        if self._ca_key is None:
            key = load_private_key(self.ca_key_path, self.passphrase)
            if key.public_key().public_numbers() != _rsa_public(self.ca_cert).public_numbers():
                raise KeyStoreError(f"{self.ca_key_path} does not belong to {self.ca_cert_path}")
            self._ca_key = key
        return self._ca_key

    def ensure_ca(self) -> bool:
        has_cert, has_key = self.ca_cert_path.exists(), self.ca_key_path.exists()
        if has_cert and has_key:
            return False
        if has_cert != has_key:
            present, missing = (
                (self.ca_cert_path, self.ca_key_path) if has_cert else (self.ca_key_path, self.ca_cert_path)
            )
            raise KeyStoreError(
                f"inconsistent PKI in {self.directory}: {present.name} exists but {missing.name} is missing"
            )
        key = _new_key(self.key_size)
        now = _now()
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
            ]
        )
        public = key.public_key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_private(self.ca_key_path, self._encrypt(key))
        _write_private(self.ca_cert_path, cert.public_bytes(serialization.Encoding.PEM))
        self._ca_cert, self._ca_key = cert, key
        return True

    def ensure_leaf(self, subdir: Path, party_id: str, unit: str) -> bool:
        cert_path, key_path = subdir / f"{party_id}.crt", subdir / f"{party_id}.key"
        has_cert, has_key = cert_path.exists(), key_path.exists()
        if has_cert and has_key:
            self._check_issued_by_ca(cert_path)
            return False
        if has_cert:
            raise KeyStoreError(f"{cert_path} exists but its private key {key_path.name} is missing")
        if has_key:  # a previous run stopped between writing the key and the certificate
            key = load_private_key(key_path, self.passphrase)
        else:
            key = _new_key(self.key_size)
            _write_private(key_path, self._encrypt(key))
        cert = self._issue(key.public_key(), party_id, unit)
        _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        return True

    def _issue(self, public: rsa.RSAPublicKey, party_id: str, unit: str) -> x509.Certificate:
        ca_cert, ca_key = self.ca_cert, self.ca_key
        now = _now()
        not_after = min(now + LEAF_VALIDITY, ca_cert.not_valid_after_utc)
        ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, party_id),
                x509.NameAttribute(NameOID.COMMON_NAME, party_id),
            ]
        )
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_cert.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256())
        )

    def _check_issued_by_ca(self, cert_path: Path) -> None:
        cert = load_certificate(cert_path)
        try:
            cert.verify_directly_issued_by(self.ca_cert)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise KeyStoreError(f"{cert_path} was not issued by {self.ca_cert_path}: {exc}") from exc

    def _encrypt(self, key: rsa.RSAPrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self.password),
        )


def _password(passphrase: str) -> bytes:
    if not isinstance(passphrase, str) or not passphrase:
        raise KeyStoreError("the key passphrase must be a non-empty string")
    return passphrase.encode("utf-8")


def _unique_ids(ids: Iterable[str]) -> list[str]:
    if isinstance(ids, str):  # a bare string would otherwise be split into characters
        ids = [ids]
    seen: dict[str, None] = {}
    for party_id in ids:
        seen[check_party_id(party_id)] = None
    return list(seen)


def _rsa_public(cert: x509.Certificate) -> rsa.RSAPublicKey:
    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise KeyStoreError(f"certificate {cert.subject.rfc4514_string()} does not hold an RSA key")
    return public


def _new_key(key_size: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _ensure_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically (temp file + rename) with mode 0600 from the first byte on."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Serialise concurrent ``init_pki`` runs on the same directory (advisory, POSIX)."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _scan(subdir: Path) -> dict[str, PartyFiles]:
    found: dict[str, PartyFiles] = {}
    for cert_path in sorted(subdir.glob("*.crt")):
        party_id = cert_path.stem
        if _PARTY_ID.fullmatch(party_id):
            found[party_id] = PartyFiles(party_id, cert_path, subdir / f"{party_id}.key")
    return found
