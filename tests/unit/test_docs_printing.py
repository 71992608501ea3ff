"""docs/printing.md stays what `cogw docs printing` writes, and shows a preview of every layout."""

from __future__ import annotations

import re

from gateway import docs_printing


def test_committed_printing_page_is_up_to_date() -> None:
    assert docs_printing.TARGET.read_text(encoding="utf-8") == docs_printing.printing_markdown(), \
        "docs/printing.md is out of date: run `cogw docs printing`"


def test_every_layout_has_a_small_png_preview() -> None:
    shown = re.findall(r"!\[[^]]*]\((printing/[^)]+\.png)\)", docs_printing.printing_markdown())
    assert len(shown) == len(docs_printing.PREVIEWS_LIST) >= 11
    for rel in shown:
        png = docs_printing.TARGET.parent / rel
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) < 120_000, rel
