"""Who may open an enterprise's folder mailbox over SFTP: one login per enterprise (its id as user name).

Passwords may be chosen by people, so they are stretched (PBKDF2-SHA256, random salt) before storing;
public keys are compared as OpenSSH "type base64" lines. Answers are the mailbox root, or None.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Protocol

ITERATIONS = 200_000


class LoginRecords(Protocol):
    """gateway.db.erp_store.SqlErpStore"""

    def sftp_login(self, enterprise_id: str) -> tuple[str | None, list[str]] | None: ...
    def set_sftp_login(self, enterprise_id: str, password_hash: str | None, authorized_keys: list[str],
                       at: datetime) -> None: ...


class MailboxRoots(Protocol):
    def ensure(self, enterprise_id: str) -> Path: ...


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    candidate = hash_password(password, salt=base64.b64decode(salt), iterations=int(iterations))
    return hmac.compare_digest(candidate.rsplit("$", 1)[1], digest)


def normalise_key(line: str) -> str:
    """'type base64 [comment]' -> 'type base64'; ValueError when it is not a public key line."""
    parts = line.split()
    if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-")):
        raise ValueError(f"not an OpenSSH public key line: {line[:40]!r}")
    base64.b64decode(parts[1], validate=True)
    return f"{parts[0]} {parts[1]}"


def set_login(records: LoginRecords, enterprise_id: str, *, password: str | None, authorized_keys: Sequence[str],
              at: datetime) -> None:
    if not password and not authorized_keys:
        raise ValueError("give a password, a public key, or both")
    keys = [normalise_key(k) for k in authorized_keys]
    records.set_sftp_login(enterprise_id, hash_password(password) if password else None, keys, at)


@cache
def _dummy_hash() -> str:
    return hash_password("no such login", salt=b"\0" * 16)


class FolderLogins:
    """The SFTP server's Authenticator, answered from the database."""

    def __init__(self, records: LoginRecords, roots: MailboxRoots) -> None:
        self.records, self.roots = records, roots

    def password_login(self, username: str, password: str) -> Path | None:
        login = self.records.sftp_login(username)
        stored = login[0] if login is not None else None
        # Stretch even for unknown users, so the answer time does not tell which user names exist.
        if not password_matches(password, stored or _dummy_hash()) or stored is None:
            return None
        return self.roots.ensure(username)

    def key_login(self, username: str, key_line: str) -> Path | None:
        login = self.records.sftp_login(username)
        if login is None or normalise_key(key_line) not in login[1]:
            return None
        return self.roots.ensure(username)
