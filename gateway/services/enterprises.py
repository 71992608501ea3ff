"""Enterprises and their API keys. Keys are shown once and stored only as a SHA-256 hash.

The key is 256 bits of randomness, so a fast hash is enough (no password stretching needed); the
public prefix lets us find the row without scanning.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from gateway.services.ports import Clock, EnterpriseInfo, Store

KEY_PREFIX = "cogw"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def register_enterprise(store: Store, info: EnterpriseInfo) -> bool:
    """Register an enterprise; returns False when it already exists (kept unchanged)."""
    with store.transaction() as tx:
        return tx.add_enterprise(info)


def issue_api_key(store: Store, enterprise_id: str, label: str = "") -> str:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with store.transaction() as tx:
        if tx.enterprise(enterprise_id) is None:
            raise LookupError(f"unknown enterprise {enterprise_id}")
        tx.add_api_key(enterprise_id, prefix, _hash(secret), label)
    return f"{KEY_PREFIX}_{prefix}_{secret}"


def revoke_api_key(store: Store, clock: Clock, presented_or_prefix: str) -> bool:
    """Revoke by the full key or its public prefix (the part after `cogw_`); True when a key was revoked."""
    parts = presented_or_prefix.strip().split("_", 2)
    prefix = parts[1] if len(parts) >= 2 and parts[0] == KEY_PREFIX else parts[0]
    with store.transaction() as tx:
        return tx.revoke_api_key(prefix, clock.now())


def authenticate(store: Store, presented: str) -> str | None:
    """The enterprise id the key belongs to, or None. Constant-time comparison of the hash."""
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    _, prefix, secret = parts
    with store.transaction() as tx:
        found = tx.api_key(prefix)
    if found is None:
        return None
    enterprise_id, key_hash = found
    return enterprise_id if hmac.compare_digest(key_hash, _hash(secret)) else None
