"""The webhook signature: `X-COGW-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.

Signing the timestamp with the body lets a receiver refuse replays of old deliveries; `v1` names the
scheme so it can change without breaking receivers that check only the versions they know.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-COGW-Signature"
EVENT_ID_HEADER = "X-COGW-Event-Id"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: parse, check freshness, compare in constant time."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance or "v1" not in parts:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), f"t={timestamp},v1={parts['v1']}")
