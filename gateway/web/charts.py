"""Small server-rendered SVG charts (bar, pie, line): no JavaScript, no CDN, downloadable as files."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

PALETTE = ("#2f6db5", "#e07b39", "#3a9a5b", "#c94c4c", "#8a63b8", "#8c6d4f", "#d16aa8", "#6f7f8f", "#b5a532")
FONT = "font-family='WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif' font-size='12'"


def _svg(width: int, height: int, title: str, body: str) -> str:
    label = escape(title, {"'": "&apos;"})
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' role='img' aria-label='{label}'>"
            f"<rect width='100%' height='100%' fill='white'/>"
            f"<text x='10' y='18' {FONT} font-weight='bold'>{escape(title)}</text>{body}</svg>")


def bar_chart(data: Mapping[str, int], title: str, *, width: int = 520) -> str:
    items = list(data.items())
    row, top = 24, 30
    height = top + row * max(1, len(items)) + 10
    peak = max((v for _, v in items), default=0) or 1
    label_w, plot_w = 170, width - 170 - 60
    parts = []
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = max(1, round(plot_w * value / peak))
        parts.append(f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end' {FONT}>{escape(label[:28])}</text>"
                     f"<rect x='{label_w}' y='{y + 3}' width='{w}' height='{row - 8}' "
                     f"fill='{PALETTE[i % len(PALETTE)]}'/>"
                     f"<text x='{label_w + w + 6}' y='{y + 15}' {FONT}>{value}</text>")
    if not items:
        parts.append(f"<text x='10' y='{top + 15}' {FONT}>no data</text>")
    return _svg(width, height, title, "".join(parts))


def pie_chart(data: Mapping[str, int], title: str, *, width: int = 520) -> str:
    items = [(k, v) for k, v in data.items() if v > 0]
    total = sum(v for _, v in items)
    r, cx, cy = 90, 110, 130
    height = max(250, 40 + 22 * len(items))
    parts = []
    angle = -math.pi / 2
    for i, (label, value) in enumerate(items):
        color = PALETTE[i % len(PALETTE)]
        share = value / total
        if share >= 0.9999:
            parts.append(f"<circle cx='{cx}' cy='{cy}' r='{r}' fill='{color}'/>")
        else:
            end = angle + 2 * math.pi * share
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
            large = 1 if share > 0.5 else 0
            parts.append(f"<path d='M{cx},{cy} L{x1:.2f},{y1:.2f} A{r},{r} 0 {large},1 {x2:.2f},{y2:.2f} Z' "
                         f"fill='{color}'/>")
            angle = end
        y = 40 + 22 * i
        parts.append(f"<rect x='230' y='{y}' width='14' height='14' fill='{color}'/>"
                     f"<text x='250' y='{y + 12}' {FONT}>{escape(label[:30])}: {value} ({share:.0%})</text>")
    if not items:
        parts.append(f"<text x='10' y='45' {FONT}>no data</text>")
    return _svg(width, height, title, "".join(parts))


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[int]], title: str, *,
               width: int = 720, height: int = 220) -> str:
    left, right, top, bottom = 40, 110, 30, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((max(v, default=0) for v in series.values()), default=0) or 1
    n = max(1, len(labels) - 1)
    parts = [f"<line x1='{left}' y1='{top + plot_h}' x2='{left + plot_w}' y2='{top + plot_h}' stroke='#999'/>",
             f"<text x='{left - 6}' y='{top + 10}' text-anchor='end' {FONT}>{peak}</text>",
             f"<text x='{left - 6}' y='{top + plot_h}' text-anchor='end' {FONT}>0</text>"]
    step = max(1, len(labels) // 6)
    for i in range(0, len(labels), step):
        parts.append(f"<text x='{left + plot_w * i / n:.1f}' y='{height - 8}' text-anchor='middle' {FONT}>"
                     f"{escape(labels[i])}</text>")
    for k, (name, values) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{left + plot_w * i / n:.1f},{top + plot_h - plot_h * v / peak:.1f}"
                          for i, v in enumerate(values))
        parts.append(f"<polyline fill='none' stroke='{color}' stroke-width='2' points='{points}'/>"
                     f"<rect x='{width - right + 10}' y='{top + 20 * k}' width='12' height='12' fill='{color}'/>"
                     f"<text x='{width - right + 28}' y='{top + 20 * k + 11}' {FONT}>{escape(name)}</text>")
    return _svg(width, height, title, "".join(parts))
