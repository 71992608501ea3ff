"""Errors raised by the signing package.

``SigningError`` is the root, so callers can catch everything from this package with one clause.
"""

from __future__ import annotations

__all__ = ["KeyStoreError", "SignatureInvalid", "SigningError"]


class SigningError(Exception):
    """Root of every error raised by ``signing``; also raised when a document cannot be signed."""


class SignatureInvalid(SigningError):
    """A signature is missing, malformed, does not verify, or was made with an untrusted certificate.

    ``reason`` is a one-line, human-readable explanation (also the ``str()`` of the error).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class KeyStoreError(SigningError):
    """Key material is missing, inconsistent, unreadable, or the passphrase does not decrypt it."""
