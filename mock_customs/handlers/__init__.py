"""One module per document family, each with ``HANDLERS``: MessageType → FamilyHandler.

Modules are discovered (like ``messages.families``), so adding a family's review is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mock_customs.handlers.base import FamilyHandler


def discover() -> dict[str, FamilyHandler]:
    handlers: dict[str, FamilyHandler] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for message_type, handler in getattr(module, "HANDLERS", {}).items():
            if message_type in handlers:
                raise RuntimeError(f"two handlers for {message_type}")
            handlers[message_type] = handler
    return handlers
