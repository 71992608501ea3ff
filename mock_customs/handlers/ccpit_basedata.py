"""CCPIT base data 基础数据 (exporters, importers, producers, special clauses): kept per code.

SAVE adds or edits a code; DELETE only a code CCPIT has. The enterprise code must be the sender's and
the enterprise synced.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from mock_customs import wire
from mock_customs.handlers._ccpit import require_ent_code
from mock_customs.handlers.base import Plan, Review, text

if TYPE_CHECKING:
    from mock_customs.authority import Authority


class BaseDataHandler:
    family = "CCPIT_BASEDATA"

    def __init__(self, root: str, element: str) -> None:
        self.root, self.element = root, element

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head = data.get("Head") or {}
        require_ent_code(review, f"/{self.root}/Head/EntCode", text(head.get("EntCode")))
        review.require_synced(f"/{self.root}/Head/EntCode")
        code = text((data.get(self.element) or {}).get("Code"))
        kind = f"basedata:{self.element}"
        if text(head.get("Operation")) == "DELETE":
            current = review.record(kind, code)
            if current is None or current.status != "SAVED":
                review.find("CODE_UNKNOWN", f"/{self.root}/{self.element}/Code", f"{self.element.lower()} code"
                            f" 编码 {code} is not on record at CCPIT: nothing to delete")
            review.put(kind, code, "DELETED")
        else:
            review.put(kind, code, "SAVED", {"NameEn": text((data.get(self.element) or {}).get("NameEn"))})
        return review.plan(approved_text="基础数据保存成功")


HANDLERS = {
    "CCPIT_EXPORTER": BaseDataHandler("ExporterRecord", "Exporter"),
    "CCPIT_IMPORTER": BaseDataHandler("ImporterRecord", "Importer"),
    "CCPIT_PRODUCER": BaseDataHandler("ProducerRecord", "Producer"),
    "CCPIT_SPECIAL_CLAUSE": BaseDataHandler("SpecialClauseRecord", "SpecialClause"),
}
