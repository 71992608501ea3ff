"""Read access to the PKI written by ``signing.pki.init_pki``.

Certificates are read on first use and cached; each private key is decrypted at most once per
``KeyStore`` (the first ``signer(party_id)`` call) and kept in the cached ``Signer``. The store is
safe to share between threads.
"""

from __future__ import annotations

import threading
from pathlib import Path

from cryptography import x509

from signing.errors import KeyStoreError, SigningError
from signing.pki import (
    AUTHORITIES_DIR,
    CA_CERT_FILE,
    ENTERPRISES_DIR,
    check_party_id,
    load_certificate,
    load_private_key,
)
from signing.xmldsig import Signer, Verifier

__all__ = ["KeyStore"]


class KeyStore:
    def __init__(self, directory: Path | str, passphrase: str) -> None:
        self._directory = Path(directory)
        if not isinstance(passphrase, str) or not passphrase:
            raise KeyStoreError("the key passphrase must be a non-empty string")
        ca_path = self._directory / CA_CERT_FILE
        if not ca_path.is_file():
            raise KeyStoreError(f"no PKI in {self._directory}: {CA_CERT_FILE} is missing (run init_pki first)")
        self._passphrase = passphrase
        self._ca = load_certificate(ca_path)
        self._lock = threading.Lock()
        self._certificates: dict[str, x509.Certificate] = {}
        self._signers: dict[str, Signer] = {}

    @property
    def directory(self) -> Path:
        return self._directory

    def ca_certificate(self) -> x509.Certificate:
        return self._ca

    def has(self, party_id: str) -> bool:
        """True when a certificate exists for this authority or enterprise."""
        return self._find(party_id) is not None

    def certificate(self, party_id: str) -> x509.Certificate:
        """The certificate of an authority (``GACC``, ``CCPIT``) or an enterprise."""
        with self._lock:
            return self._certificate_locked(party_id)

    def signer(self, party_id: str) -> Signer:
        """The ``Signer`` for this party; its key is decrypted on the first call only."""
        with self._lock:
            cached = self._signers.get(party_id)
            if cached is not None:
                return cached
            certificate = self._certificate_locked(party_id)
            cert_path = self._find(party_id)
            assert cert_path is not None  # _certificate_locked found it
            key = load_private_key(cert_path.with_suffix(".key"), self._passphrase)
            try:
                signer = Signer(key, certificate)
            except SigningError as exc:
                raise KeyStoreError(f"key store entry {party_id!r} is inconsistent: {exc}") from exc
            self._signers[party_id] = signer
            return signer

    def verifier(self, *party_ids: str) -> Verifier:
        """A ``Verifier`` that trusts exactly these parties' certificates."""
        return Verifier([self.certificate(party_id) for party_id in party_ids])

    def authorities(self) -> tuple[str, ...]:
        return self._list(AUTHORITIES_DIR)

    def enterprises(self) -> tuple[str, ...]:
        return self._list(ENTERPRISES_DIR)

    def _certificate_locked(self, party_id: str) -> x509.Certificate:
        cached = self._certificates.get(party_id)
        if cached is not None:
            return cached
        path = self._find(party_id)
        if path is None:
            raise KeyStoreError(f"no certificate for party {party_id!r} in {self._directory}")
        certificate = load_certificate(path)
        self._certificates[party_id] = certificate
        return certificate

    def _find(self, party_id: str) -> Path | None:
        try:
            check_party_id(party_id)
        except ValueError:
            return None
        for subdir in (AUTHORITIES_DIR, ENTERPRISES_DIR):
            path = self._directory / subdir / f"{party_id}.crt"
            if path.is_file():
                return path
        return None

    def _list(self, subdir: str) -> tuple[str, ...]:
        ids = []
        for path in sorted((self._directory / subdir).glob("*.crt")):
            try:
                ids.append(check_party_id(path.stem))
            except ValueError:
                continue
        return tuple(ids)
