"""CCPIT data sync 数据同步 and certificate void 作废 (seed 002).

Sync ENTERPRISE needs the user record and makes the enterprise synced; sync PRODUCT needs the sync and at
least one product CCPIT has. Both answer with a ``SyncResult``. A void needs a certificate CCPIT issued
to the sender, of the type given; it becomes VOIDED (no longer usable, e.g. for a supplement).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_customs import wire
from mock_customs.handlers._ccpit import PRODUCT, require_ent_code, require_user_record
from mock_customs.handlers.base import SYNC, SYNCED, Plan, Review, beijing_time, text

if TYPE_CHECKING:
    from mock_customs.authority import Authority


class SyncHandler:
    family = "CCPIT_REQUEST"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head: dict[str, Any] = data.get("Head") or {}
        require_ent_code(review, "/SyncRequest/Head/EntCode", text(head.get("EntCode")))
        sync_type = text((data.get("Sync") or {}).get("SyncType"))
        count = 1
        if sync_type == "ENTERPRISE":
            require_user_record(review, "/SyncRequest/Sync/SyncType")
            current = review.record(SYNC, "sync")
            review.put(SYNC, "sync", SYNCED, current.data if current else {})
        else:
            review.require_synced("/SyncRequest/Sync/SyncType")
            products = [r for r in review.records(PRODUCT)
                        if r.status != "DELETED"]
            count = len(products)
            if not products:
                review.find("NO_PRODUCTS", "/SyncRequest/Sync/SyncType", "sync PRODUCT 商品备案同步: CCPIT has no"
                            f" product registration 商品备案 of {review.sender}")
        result = wire.build_document("CCPIT_SYNC_RESULT", [
            ("ReceiptId", f"{authority.authority_id}-SYNC-{review.message_id[:12]}"),
            ("DocumentNo", text(head.get("DocumentNo"))), ("SyncType", sync_type), ("SyncStatus", "DONE"),
            ("RequestedAt", beijing_time(received_at)), ("UpdatedAt", beijing_time(received_at)),
            ("Count", str(count)), ("Remark", "同步成功"),
        ])
        return review.plan(approved_text="同步成功", approved_status="同步成功", returned_status="同步失败",
                           documents=[("CCPIT_SYNC_RESULT", result)])


class VoidHandler:
    family = "CCPIT_REQUEST"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head: dict[str, Any] = data.get("Head") or {}
        void: dict[str, Any] = data.get("Void") or {}
        require_ent_code(review, "/VoidRequest/Head/EntCode", text(head.get("EntCode")))
        cert_no, cert_type = text(void.get("CertNo")), text(void.get("CertType"))
        if review.require_issued("/VoidRequest/Void/CertNo", cert_no, what="(作废 only of issued certificates)"):
            if cert_no[2:2 + len(cert_type)] != cert_type or cert_no[2 + len(cert_type)].isalpha():
                review.find("CERT_TYPE", "/VoidRequest/Void/CertType", f"certificate type 证书类型 {cert_type} is"
                            f" not the type of certificate {cert_no}")
            review.effects.append({"op": "certificate", "cert_no": cert_no, "status": "VOIDED"})
        return review.plan(approved_text="证书作废成功", approved_status="已作废", cert_no=cert_no)


HANDLERS = {"CCPIT_SYNC_REQUEST": SyncHandler(), "CCPIT_CO_VOID": VoidHandler()}
