"""Errors of the PDF renderers."""

from __future__ import annotations


class PdfError(Exception):
    """A document cannot be rendered (no font, unusable image, unknown layout)."""
