"""Reading PDFs back with poppler (pdftotext, pdfinfo, pdfimages, pdffonts) the way a person's viewer would."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from messages import certificate as codec
from messages.safexml import parse

SAMPLES = Path(__file__).parent / "data" / "families" / "gacc_certificate"


def certificate_data(name: str) -> dict[str, Any]:
    return codec.decode(parse((SAMPLES / f"{name}.xml").read_bytes())).data


def _run(tool: str, pdf: bytes, *args: str) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        out = subprocess.run([tool, *args, f.name, *(["-"] if tool == "pdftotext" else [])],
                             capture_output=True, check=True, timeout=60)
    return out.stdout.decode("utf-8")


def text(pdf: bytes, *, first: int | None = None, last: int | None = None, layout: bool = False) -> str:
    """The text a reader copies out; ``layout`` keeps the lines as drawn (no joining of hyphenated words)."""
    args = ["-enc", "UTF-8", *(["-layout"] if layout else [])]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return _run("pdftotext", pdf, *args)


def pages(pdf: bytes) -> int:
    match = re.search(r"^Pages:\s+(\d+)", _run("pdfinfo", pdf), re.MULTILINE)
    assert match, "pdfinfo printed no page count"
    return int(match.group(1))


def images(pdf: bytes) -> list[dict[str, str]]:
    """pdfimages -list rows: page, width, height (pixels), x-ppi, y-ppi …"""
    lines = _run("pdfimages", pdf, "-list").splitlines()
    names = lines[0].split()
    return [dict(zip(names, line.split(), strict=False)) for line in lines[2:] if line.strip()]


def fonts(pdf: bytes) -> list[list[str]]:
    return [line.split() for line in _run("pdffonts", pdf).splitlines()[2:] if line.strip()]


def has_word(haystack: str, word: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", haystack) is not None
