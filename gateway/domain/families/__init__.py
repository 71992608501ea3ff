"""Business rules per document family, discovered from the modules of this package.

Each module defines:
    FAMILY: str                          the catalogue family it checks (messages.catalogue.Entry.family)
    RULES: Mapping[str, str]             every rule id it can raise -> what the rule says (for docs)
    def check(data: Mapping) -> list[Violation]
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from gateway.domain.violations import Violation


@dataclass(frozen=True)
class FamilyRules:
    family: str
    rules: Mapping[str, str]
    check: Callable[[Mapping[str, Any]], list[Violation]]


@cache
def registry() -> Mapping[str, FamilyRules]:
    found: dict[str, FamilyRules] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        family = module.FAMILY
        if family in found:
            raise RuntimeError(f"two rule modules for family {family}")
        found[family] = FamilyRules(family, module.RULES, module.check)
    return found


def check_document(family: str, data: Mapping[str, Any]) -> list[Violation]:
    """Every business-rule violation of a decoded document; families without rules have none."""
    rules = registry().get(family)
    return rules.check(data) if rules else []
