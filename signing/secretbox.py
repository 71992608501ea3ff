"""Encrypt small secrets at rest (webhook HMAC secrets): the gateway must be able to read them back to
sign, so they cannot be hashed like API keys.

The key comes from settings (GATEWAY_WEBHOOK_SECRET_KEY), never from the repository. Several keys may be
given, comma-separated, newest first: new secrets use the first, old ones still decrypt (rotation).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MIN_KEY_CHARS = 16


class SecretBoxError(ValueError):
    """No usable key, or a stored secret that none of the keys opens."""


def _fernet(material: str) -> Fernet:
    # Any long-enough passphrase becomes a Fernet key; HKDF binds it to this one use.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"cogw-secretbox-v1",
                   info=b"webhook secrets").derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    def __init__(self, keys: str) -> None:
        materials = [k.strip() for k in keys.split(",") if k.strip()]
        if not materials:
            raise SecretBoxError("GATEWAY_WEBHOOK_SECRET_KEY is not set: webhook secrets cannot be stored")
        short = [i + 1 for i, k in enumerate(materials) if len(k) < MIN_KEY_CHARS]
        if short:
            raise SecretBoxError(f"GATEWAY_WEBHOOK_SECRET_KEY: key(s) {short} shorter than {MIN_KEY_CHARS} characters")
        self._box = MultiFernet([_fernet(m) for m in materials])

    def seal(self, secret: str) -> bytes:
        return self._box.encrypt(secret.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._box.decrypt(sealed).decode()
        except InvalidToken as exc:
            raise SecretBoxError("a stored webhook secret cannot be decrypted with the configured keys") from exc
