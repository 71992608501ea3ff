"""An in-memory ``Transport`` for unit tests of the services.

It follows the same contract as the real adapters (see ``adapters.base``):

- ``send`` stores the file under its name in ``sent``; sending the same name with the same content
  again reports ``already_present=True`` and transfers nothing; different content replaces it.
- ``deliver`` puts a file into the inbound mailbox; ``fetch`` returns the oldest ``limit`` files
  without removing them; ``ack`` removes one and is idempotent.
- ``fail_next(operation, error)`` makes the next call of ``send``/``fetch``/``ack`` raise ``error``
  (queued, one per call) so retry and dead-letter paths can be tested.

All methods are thread-safe.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Literal

from adapters.base import InboundFile, OutboundFile, SendResult, TransportError, check_file_name

__all__ = ["MemoryTransport"]

Operation = Literal["send", "fetch", "ack"]

_REF_PREFIX = "memory:inbox/"


class MemoryTransport:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: dict[str, OutboundFile] = {}
        self._inbox: dict[str, bytes] = {}  # insertion order = arrival order
        self._acked: list[InboundFile] = []
        self._failures: dict[str, deque[TransportError]] = {"send": deque(), "fetch": deque(), "ack": deque()}
        self.send_calls = 0
        self.uploads = 0
        self.close_calls = 0

    # -- test controls -------------------------------------------------------------------------

    @property
    def sent(self) -> dict[str, OutboundFile]:
        """A snapshot of the remote outbox: name -> file."""
        with self._lock:
            return dict(self._sent)

    @property
    def inbox(self) -> list[str]:
        """Names waiting in the inbound mailbox, oldest first."""
        with self._lock:
            return list(self._inbox)

    @property
    def acked(self) -> list[InboundFile]:
        """Files acknowledged so far (each at most once), in order."""
        with self._lock:
            return list(self._acked)

    def deliver(self, name: str, content: bytes) -> InboundFile:
        """Place a file in the inbound mailbox (replacing one of the same name)."""
        check_file_name(name)
        with self._lock:
            self._inbox.pop(name, None)
            self._inbox[name] = bytes(content)
        return InboundFile(name=name, content=bytes(content), ref=_REF_PREFIX + name)

    def take_sent(self, name: str) -> OutboundFile:
        """Remove a sent file from the remote outbox, as the receiving side would; KeyError if absent."""
        with self._lock:
            return self._sent.pop(name)

    def fail_next(self, operation: Operation, error: TransportError) -> None:
        """Make the next ``operation`` call raise ``error`` (errors queue up, one per call)."""
        with self._lock:
            self._failures[operation].append(error)

    # -- Transport ------------------------------------------------------------------------------

    def send(self, item: OutboundFile) -> SendResult:
        check_file_name(item.name)
        with self._lock:
            self.send_calls += 1
            self._raise_queued("send")
            present = self._sent.get(item.name)
            if present is not None and present.content == item.content:
                return SendResult(remote_name=item.name, bytes_sent=0, already_present=True)
            self._sent[item.name] = item
            self.uploads += 1
            return SendResult(remote_name=item.name, bytes_sent=len(item.content), already_present=False)

    def fetch(self, limit: int) -> list[InboundFile]:
        with self._lock:
            self._raise_queued("fetch")
            if limit <= 0:
                return []
            names = list(self._inbox)[:limit]
            return [InboundFile(name=n, content=self._inbox[n], ref=_REF_PREFIX + n) for n in names]

    def ack(self, item: InboundFile) -> None:
        with self._lock:
            self._raise_queued("ack")
            if not item.ref.startswith(_REF_PREFIX):
                raise TransportError(f"not a reference from this transport: {item.ref!r}", transient=False)
            name = item.ref[len(_REF_PREFIX) :]
            if self._inbox.pop(name, None) is not None:
                self._acked.append(item)

    def close(self) -> None:
        with self._lock:
            self.close_calls += 1

    def _raise_queued(self, operation: str) -> None:
        queue = self._failures[operation]
        if queue:
            raise queue.popleft()
