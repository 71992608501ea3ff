"""Enterprise records (seed 001 ch. 1-3): basic info sync/change, initial values, principals, agents.

GACC knows each enterprise's sync state (同步状态) and application mode (申领模式). A SYNC of the basic
information makes it 同步成功 (and sends an ``EnterpriseSyncReceipt``); everything else needs that state.
Initial values are for self-applying enterprises, principals for agents; an agent line may only be
deleted when it is on record and added when it is not.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_customs import wire
from mock_customs.handlers.base import SYNC, SYNCED, Plan, Review, as_list, beijing_time, text

if TYPE_CHECKING:
    from mock_customs.authority import Authority

MODE = "apply_mode"  # record kind, key "mode": status SELF / AGENT / NONE
AGENT = "agent"  # record kind, key = the agent's USCC: status ACCEPTED
PRINCIPAL = "principal"  # record kind, key = the principal's USCC: status SAVED


def _identity(review: Review, root: str) -> dict[str, Any]:
    ent = review.data.get("Enterprise") or {}
    review.require_identity(f"/{root}/Enterprise/Uscc", text(ent.get("Uscc")), f"/{root}/Enterprise/AplRegNo",
                            text(ent.get("AplRegNo")) or None)
    return ent


def _mode_must_be(review: Review, root: str, wanted: str, what: str) -> None:
    rec = review.record(MODE, "mode")
    if rec is not None and rec.status != wanted:
        review.find("APPLY_MODE", f"/{root}/Enterprise/ApplyMode",
                    f"{what} need application mode 申领模式 {wanted}; customs has {rec.status} on record for"
                    f" {review.sender} (change the basic information first)")


class EnterpriseInfoHandler:
    family = "GACC_ENTERPRISE"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        ent = _identity(review, "EnterpriseInfo")
        head = review.data.get("Head") or {}
        operation = text(head.get("Operation"))
        if operation == "CHANGE":
            review.require_synced("/EnterpriseInfo/Head/Operation")
        current = review.record(SYNC, "sync")
        review.put(SYNC, "sync", SYNCED, current.data if current else {})
        review.put(MODE, "mode", text(ent.get("ApplyMode")) or "NONE")
        receipt = wire.build_document("GACC_ENTERPRISE_SYNC_RECEIPT", [
            ("ReceiptId", f"{authority.authority_id}-ENT-{review.message_id[:12]}"),
            ("DocumentNo", text(head.get("DocumentNo"))), ("Uscc", review.sender), ("SyncStatus", "SYNCED"),
            ("Status", "同步成功"), ("Text", "企业基本信息同步成功"), ("IssuedAt", beijing_time(received_at)),
        ])
        return review.plan(approved_text="企业基本信息同步成功", approved_status="同步成功",
                           returned_status="同步失败", documents=[("GACC_ENTERPRISE_SYNC_RECEIPT", receipt)])


class InitialValuesHandler:
    family = "GACC_ENTERPRISE"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        _identity(review, "CertInitialValues")
        review.require_synced("/CertInitialValues/Enterprise/Uscc")
        _mode_must_be(review, "CertInitialValues", "SELF", "certificate initial values 证书初始值")
        return review.plan(approved_text="证书初始值保存成功", approved_status="海关接收成功")


class PrincipalRecordsHandler:
    family = "GACC_ENTERPRISE"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        _identity(review, "PrincipalRecords")
        review.require_synced("/PrincipalRecords/Enterprise/Uscc")
        _mode_must_be(review, "PrincipalRecords", "AGENT", "principals 委托人")
        delete = text((review.data.get("Head") or {}).get("Operation")) == "DELETE"
        principals = as_list((review.data.get("PrincipalList") or {}).get("Principal"))
        for index, line in enumerate(principals, start=1):
            uscc = text(line.get("Uscc"))
            if delete and review.record(PRINCIPAL, uscc) is None:
                review.find("PRINCIPAL_UNKNOWN", f"/PrincipalRecords/PrincipalList/Principal[{index}]/Uscc",
                            f"principal 委托人 {uscc} is not on record for {review.sender}: nothing to delete")
            elif delete:
                review.put(PRINCIPAL, uscc, "DELETED")
            else:
                review.put(PRINCIPAL, uscc, "SAVED", {"AplRegNo": text(line.get("AplRegNo"))})
        return review.plan(approved_text="委托人信息保存成功", approved_status="海关接收成功")


class AgentRecordsHandler:
    family = "GACC_ENTERPRISE"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        _identity(review, "AgentRecords")
        review.require_synced("/AgentRecords/Enterprise/Uscc")
        for index, line in enumerate(as_list((review.data.get("AgentList") or {}).get("Agent")), start=1):
            uscc, action = text(line.get("Uscc")), text(line.get("Action"))
            rec = review.record(AGENT, uscc)
            on_record = rec is not None and rec.status == "ACCEPTED"
            path = f"/AgentRecords/AgentList/Agent[{index}]/Uscc"
            if action == "DELETE" and not on_record:
                review.find("AGENT_UNKNOWN", path, f"agent 代理企业 {uscc} is not on record for {review.sender}:"
                            " nothing to delete")
            elif action == "ADD" and on_record:
                review.find("AGENT_EXISTS", path, f"agent 代理企业 {uscc} is already on record (海关接收成功)")
            else:
                review.put(AGENT, uscc, "ACCEPTED" if action == "ADD" else "DELETED")
        return review.plan(approved_text="代理企业信息海关接收成功", approved_status="海关接收成功")


HANDLERS = {
    "GACC_ENTERPRISE_INFO": EnterpriseInfoHandler(),
    "GACC_CERT_INITIAL_VALUES": InitialValuesHandler(),
    "GACC_PRINCIPAL_RECORDS": PrincipalRecordsHandler(),
    "GACC_AGENT_RECORDS": AgentRecordsHandler(),
}
