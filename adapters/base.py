"""The transport port: value types, the ``Transport`` protocol and the one error it raises.

Standard library only: ``gateway.services`` imports this module, never a concrete adapter.

Contract (see ``docs/architecture.md``, "Transports"):

- ``send`` is idempotent per file name (the name carries the MessageId): sending a file whose name
  is already present on the remote side with the same content reports ``already_present=True``
  instead of uploading twice. A receiver only ever sees complete files.
- ``fetch`` returns up to ``limit`` complete inbound files, oldest first, and does not remove them:
  fetching again before ``ack`` returns the same files (at-least-once delivery).
- ``ack`` is called only after the caller has stored the file; it removes (or archives) the remote
  file and is idempotent when the file is already gone.
- ``close`` releases the connection; a later call may connect again.
- Every failure is a ``TransportError``; ``transient`` tells the caller whether retrying later may
  help (network, timeouts, server busy) or not (authentication, host key, permissions, bad names).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = [
    "InboundFile",
    "OutboundFile",
    "SendResult",
    "Transport",
    "TransportError",
    "check_file_name",
]


class TransportError(Exception):
    """The root error of every transport adapter.

    ``transient=True``: the operation may succeed if retried later (connection refused or dropped,
    timeouts, a busy or failing server). ``transient=False``: retrying will not help until someone
    changes configuration or data (authentication or host key failure, permission denied, missing
    directory, invalid file name).

    ``retry_after``: seconds the remote side asked the caller to wait before retrying (an HTTP
    ``Retry-After``), or None when it said nothing; only meaningful when ``transient``.
    """

    def __init__(self, message: str, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(message, transient)
        self.message = message
        self.transient = transient
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        extra = "" if self.retry_after is None else f", retry_after={self.retry_after!r}"
        return f"{type(self).__name__}({self.message!r}, transient={self.transient!r}{extra})"


@dataclass(frozen=True)
class OutboundFile:
    """A file to deliver: ``name`` is the final remote file name (``<MessageId>.xml``)."""

    name: str
    content: bytes = field(repr=False)
    message_id: str


@dataclass(frozen=True)
class InboundFile:
    """A file fetched from the remote side; ``ref`` identifies it for ``ack`` (e.g. its remote path)."""

    name: str
    content: bytes = field(repr=False)
    ref: str


@dataclass(frozen=True)
class SendResult:
    """Outcome of ``send``.

    ``remote_name`` is where the file now lives on the remote side (a full remote path for SFTP),
    ``bytes_sent`` the number of bytes transferred by this call (0 when ``already_present``).
    """

    remote_name: str
    bytes_sent: int
    already_present: bool


@runtime_checkable
class Transport(Protocol):
    def send(self, item: OutboundFile) -> SendResult: ...

    def fetch(self, limit: int) -> list[InboundFile]: ...

    def ack(self, item: InboundFile) -> None: ...

    def close(self) -> None: ...


def check_file_name(name: str) -> None:
    """Reject names that are not a single, visible path component.

    Names starting with ``.`` are reserved for partial uploads (receivers skip them), so an outbound
    file must never have one. Raises ``TransportError(transient=False)``.
    """
    if (
        not name
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or any(ord(ch) < 0x20 for ch in name)
    ):
        raise TransportError(f"invalid remote file name {name!r}", transient=False)
