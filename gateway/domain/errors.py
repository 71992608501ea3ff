"""Errors raised by the pure domain layer.

Rule violations in business documents are *data* (``Violation``), never exceptions; exceptions here
are for programming or protocol errors such as an illegal state transition.
"""

from __future__ import annotations


class DomainError(Exception):
    """Root of every error raised by ``gateway.domain``."""


class IllegalTransition(DomainError):
    """A delivery state change that the state machine does not allow."""

    def __init__(self, current: object, target: object) -> None:
        super().__init__(f"illegal delivery transition {current} -> {target}")
        self.current = current
        self.target = target


class UnknownStatus(DomainError, ValueError):
    """A receipt status code that maps to no document status."""

    def __init__(self, code: object) -> None:
        super().__init__(f"unknown receipt status code {code!r}")
        self.code = code
