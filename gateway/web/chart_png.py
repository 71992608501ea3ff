"""The statistics charts as PNG files (业务统计 下载图表, seed 001 ch. 11), drawn with Pillow.

ReportLab's renderPM needs the rlPyCairo backend, which is not installed; Pillow (a ReportLab dependency)
draws the same bar and pie charts as ``charts.py`` with the system CJK font, so Chinese labels survive.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from gateway.web.charts import PALETTE

#: fonts-wqy-microhei (.ci/system-deps); without it Pillow's own font is used (no Chinese glyphs).
CJK_FONTS = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
             Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"))


@cache
def _font(size: int = 14) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in CJK_FONTS:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def bar_png(data: Mapping[str, int], title: str, *, width: int = 640) -> bytes:
    items = list(data.items())
    row, top, label_w = 30, 40, 200
    height = top + row * max(1, len(items)) + 16
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), title, fill="black", font=_font(16))
    peak = max((v for _, v in items), default=0) or 1
    plot_w = width - label_w - 70
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = max(1, round(plot_w * value / peak))
        draw.text((label_w - 8, y + 14), label[:24], fill="black", font=_font(), anchor="rm")
        draw.rectangle((label_w, y + 4, label_w + w, y + row - 4), fill=PALETTE[i % len(PALETTE)])
        draw.text((label_w + w + 8, y + 14), str(value), fill="black", font=_font(), anchor="lm")
    if not items:
        draw.text((10, top + 6), "no data", fill="black", font=_font())
    return _png(image)


def pie_png(data: Mapping[str, int], title: str, *, width: int = 640) -> bytes:
    items = [(k, v) for k, v in data.items() if v > 0]
    total = sum(v for _, v in items)
    height = max(280, 50 + 26 * len(items))
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), title, fill="black", font=_font(16))
    box = (20, 45, 240, 265)
    angle = -90.0
    for i, (label, value) in enumerate(items):
        color = PALETTE[i % len(PALETTE)]
        share = value / total
        draw.pieslice(box, angle, angle + 360 * share, fill=color)
        angle += 360 * share
        y = 50 + 26 * i
        draw.rectangle((270, y, 286, y + 16), fill=color)
        draw.text((294, y + 8), f"{label[:28]}: {value} ({share:.0%})", fill="black", font=_font(), anchor="lm")
    if not items:
        draw.text((10, 50), "no data", fill="black", font=_font())
    return _png(image)
