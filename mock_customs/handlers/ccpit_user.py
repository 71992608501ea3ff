"""CCPIT user record 用户备案 (seed 002): the enterprise as CCPIT knows it, with its signers 手签员."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from mock_customs import wire
from mock_customs.handlers._ccpit import USER, require_ent_code
from mock_customs.handlers.base import Plan, Review, as_list, text

if TYPE_CHECKING:
    from mock_customs.authority import Authority


class UserRecordHandler:
    family = "CCPIT_USER"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        ent = data.get("Enterprise") or {}
        review.require_identity("/UserRecord/Enterprise/Uscc", text(ent.get("Uscc")))
        require_ent_code(review, "/UserRecord/Enterprise/EntCode", text(ent.get("EntCode")))
        review.put(USER, "record", "ACCEPTED", {
            "OfficeCode": text(ent.get("OfficeCode")),
            "signers": [text(s) for s in as_list((data.get("SignerList") or {}).get("SignerName"))],
        })
        return review.plan(approved_text="用户备案审核通过")


HANDLERS = {"CCPIT_USER_RECORD": UserRecordHandler()}
