"""The MessageId a log line is about, carried in a contextvar so every line inside dispatch, receipt
ingestion or intake names it without passing it through every call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

current_message_id: ContextVar[str | None] = ContextVar("cogw_message_id", default=None)


@contextmanager
def message_context(message_id: str | None) -> Iterator[None]:
    token = current_message_id.set(message_id)
    try:
        yield
    finally:
        current_message_id.reset(token)


def bind_message_id(message_id: str | None) -> None:
    """Name the message for the rest of this unit of work (the caller's loop or job resets it)."""
    current_message_id.set(message_id)
