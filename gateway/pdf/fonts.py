"""The one font every layout uses: a TrueType CJK font that ReportLab embeds as a subset.

Latin and Chinese are drawn with the same face, so a line that mixes them (a consignee in Taipei, a
goods name in Chinese) never needs a font switch, and the PDF renders on any viewer because only the
glyphs used are embedded. The font comes from the Debian package ``fonts-wqy-microhei`` (installed by
.ci/system-deps); WenQuanYi Zen Hei or Noto Sans CJK are used when that one is missing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from gateway.pdf.errors import PdfError

FONT = "CoCJK"
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def font_path() -> Path:
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise PdfError(f"no CJK font found (looked at {', '.join(CANDIDATES)}): install the Debian package "
                   "fonts-wqy-microhei (bash .ci/system-deps)")


@cache
def ensure_font() -> str:
    """Register the CJK font once per process and return its ReportLab name."""
    path = font_path()
    # subfontIndex 0 of a .ttc is the proportional face; ReportLab subsets TrueType fonts when embedding.
    pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    return FONT


def text_width(text: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, ensure_font(), size))
