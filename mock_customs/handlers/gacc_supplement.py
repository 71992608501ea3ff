"""Export declaration supplement 出口报关单补录 (seed 004): only for certificates the authority issued.

The certificate (GACC or CCPIT, as ``CertAuthority`` says) must be approved and the sender's. ADD when
no supplement is on record, ADD_AGAIN 再次补录 and DELETE only when one is. Final state 海关接收成功.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_customs import wire
from mock_customs.handlers.base import Plan, Review, text

if TYPE_CHECKING:
    from mock_customs.authority import Authority

SUPPLEMENT = "supplement"  # key = "<authority>:<CertNo>": ACCEPTED / DELETED
HEAD = "/ExportDeclarationSupplement/SupplementHead"


class SupplementHandler:
    family = "GACC_SUPPLEMENT"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head: dict[str, Any] = data.get("SupplementHead") or {}
        review.require_identity(f"{HEAD}/AplRegNo", None, f"{HEAD}/AplRegNo", text(head.get("AplRegNo")))
        issuer, cert_no = text(head.get("CertAuthority")) or authority.authority_id, text(head.get("CertNo"))
        operation = text(head.get("Operation"))
        if review.require_issued(f"{HEAD}/CertNo", cert_no, issuer, "(补录 only for approved certificates)"):
            key = f"{issuer}:{cert_no}"
            current = review.record(SUPPLEMENT, key)
            in_force = current is not None and current.status == "ACCEPTED"
            if operation == "ADD" and in_force:
                review.find("ALREADY_SUPPLEMENTED", f"{HEAD}/Operation", f"certificate {cert_no} already has a"
                            " supplement 补录 on record: use ADD_AGAIN (再次补录) or DELETE")
            elif operation in ("ADD_AGAIN", "DELETE") and not in_force:
                review.find("NOT_SUPPLEMENTED", f"{HEAD}/Operation", f"{operation}: certificate {cert_no} has no"
                            " supplement 补录 on record")
            review.put(SUPPLEMENT, key, "DELETED" if operation == "DELETE" else "ACCEPTED",
                       {"ExportedFlag": text(head.get("ExportedFlag")),
                        "DeclarationNos": text(head.get("DeclarationNos"))})
        return review.plan(approved_text="出口报关单补录海关接收成功", approved_status="海关接收成功",
                           cert_no=cert_no)


HANDLERS = {"EXPORT_DECLARATION_SUPPLEMENT": SupplementHandler()}
