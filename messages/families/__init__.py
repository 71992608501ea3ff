"""One module per document family; each defines ENTRIES, a tuple of catalogue entries.

Modules are discovered, so adding a family is adding a file (plus its XSD), never editing a list.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from messages.catalogue import Entry


def discovered_entries() -> tuple[Entry, ...]:
    entries: list[Entry] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        entries.extend(getattr(module, "ENTRIES", ()))
    return tuple(entries)
