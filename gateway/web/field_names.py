"""Chinese field names for problems that come without one (the XSD's): the manual's name of the element a
problem's path ends in, so every error next to a field says it in English and with the 【中文字段名】."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from gateway.services.intake import Issue

_INDEX = re.compile(r"\[\d+\]$")


def leaf(path: str) -> str:
    return _INDEX.sub("", path.rsplit("/", 1)[-1])


def named(issues: Iterable[Issue], names: Mapping[str, str]) -> list[Issue]:
    return [i if i.field_cn else replace(i, field_cn=names.get(leaf(i.path), "")) for i in issues]
