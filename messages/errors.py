"""Exceptions raised by messages/. Callers catch MessagesError; the subclasses say why."""


class MessagesError(Exception):
    """Root of every error raised by the messages package."""


class UnsafeXml(MessagesError):
    """Input refused before or instead of parsing: DOCTYPE/entities, or too large."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class XmlTooLarge(UnsafeXml):
    """Input exceeds the byte limit; raised before any parsing happens."""


class MalformedXml(MessagesError):
    """Input is not well-formed XML; `line` is the parser's line number (None if unknown)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class InvalidMessage(MessagesError, ValueError):
    """A codec got a document or data it cannot map (wrong root, missing element, bad value)."""
