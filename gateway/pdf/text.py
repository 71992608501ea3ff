"""Line wrapping that knows Chinese from Latin.

Chinese, Japanese and Korean characters may break anywhere (except before closing punctuation);
Latin words break at spaces. The "hyphen on wrap" option of seed 001 ch. 4 (连词符转换: by default a
goods description that wraps carries no "-") fills the line and splits the word that does not fit,
marking the split with a hyphen. A word longer than a whole line is always split.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Measure = Callable[[str], float]

_CJK_RANGES = (
    (0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3040, 0x30FF), (0x3100, 0x31BF),
    (0x3200, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),
    (0x20000, 0x2FFFF),
)
# A line must not start with these (kinsoku): they stay on the line before, even if it overflows a little.
_NO_LINE_START = set("，。、；：？！）》」』】〉”’,.;:?!)%")
_TOKEN = re.compile(r"\s+|[^\s]")
_MIN_HEAD, _MIN_TAIL = 3, 2  # a hyphenated split leaves at least this many letters on each side


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def _tokens(paragraph: str) -> list[str]:
    """Whitespace runs, single CJK characters, and Latin words (runs of other characters)."""
    out: list[str] = []
    word = ""
    for ch in paragraph:
        if ch.isspace() or is_cjk(ch):
            if word:
                out.append(word)
                word = ""
            if ch.isspace() and out and out[-1].isspace():
                continue
            out.append(" " if ch.isspace() else ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def wrap(text: str, width: float, measure: Measure, *, hyphenate: bool = False) -> list[str]:
    """Split ``text`` into lines no wider than ``width`` (measured by ``measure``); keeps blank lines."""
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        lines.extend(_wrap_paragraph(paragraph.strip(), width, measure, hyphenate))
    return lines or [""]


def _wrap_paragraph(paragraph: str, width: float, measure: Measure, hyphenate: bool) -> list[str]:
    lines: list[str] = []
    cur = ""
    for tok in _tokens(paragraph):
        if tok == " ":
            cur = cur + " " if cur else cur
            continue
        if measure(cur + tok) <= width or (tok in _NO_LINE_START and cur.strip()):
            cur += tok
            continue
        if len(tok) == 1 and is_cjk(tok):
            lines.append(cur.rstrip())
            cur = tok
            continue
        if hyphenate:
            head = _hyphen_head(cur, tok, width, measure)
            if head:
                lines.append(cur + head + ("" if head.endswith("-") else "-"))
                cur, tok = "", tok[len(head):]
        if cur.strip():
            lines.append(cur.rstrip())
        cur = ""
        while measure(tok) > width and len(tok) > 1:  # longer than a whole line: split it anyway
            mark = "-" if hyphenate else ""
            n = _fit(tok, width - measure(mark), measure)
            lines.append(tok[:n] + (mark if tok[n - 1] != "-" else ""))
            tok = tok[n:]
        cur = tok
    lines.append(cur.rstrip())
    return lines


def _fit(word: str, width: float, measure: Measure) -> int:
    """How many leading characters of ``word`` fit in ``width`` (at least one)."""
    n = 1
    while n < len(word) and measure(word[: n + 1]) <= width:
        n += 1
    return n


def _hyphen_head(cur: str, word: str, width: float, measure: Measure) -> str:
    """The longest head of ``word`` that fits on the current line with a hyphen, or ""."""
    best = ""
    for n in range(_MIN_HEAD, len(word) - _MIN_TAIL + 1):
        head = word[:n]
        if not head[-1].isalpha() and head[-1] != "-":
            continue
        mark = "" if head.endswith("-") else "-"
        if measure(cur + head + mark) > width:
            break
        if head[-1] == "-" or word[n].isalpha():
            best = head
    return best
