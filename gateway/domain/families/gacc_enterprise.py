"""Enterprise records (seed 001 ch. 1-3 l.139-293; seed 003 l.228-282): rules, sync and agent-line states.

One family, four outbound documents (decoded by the generic codec; told apart by their top-level
elements):

- ``EnterpriseInfo`` 企业基本信息 ``{"Head": {"Operation": SYNC|CHANGE}, "Enterprise", "Declarant",
  "Commitment"}``: the commitment (申请人承诺) must be given to submit (l.159-161, l.186);
  the English name is required unless the application mode is NONE 不申领证书 (l.182-183);
  the USCC check character (GB 32100) and the declarant's resident ID check character (GB 11643,
  assumption: the declarant is identified by a mainland resident ID) are verified.
- ``CertInitialValues`` 证书初始值 (ch. 2 l.203-213): set by self-applying (自理) enterprises only.
- ``PrincipalRecords`` 代理企业维护委托人信息 (l.281-300): only for enterprises whose mode includes agent
  applications; a principal is another enterprise, listed once, whose organisation code (when given)
  is characters 9-17 of its USCC, and whose validity (assumption) does not end before it starts.
- ``AgentRecords`` 委托人维护代理企业信息 (l.218-278): only self-applying (自理申领) enterprises; an agent
  is another enterprise, listed once; each line's action must be allowed from its stated status.

The application mode and the line statuses are stated in the document when the ERP knows them
(``Enterprise/ApplyMode``, ``Agent/CurrentStatus``); absent, the authority decides. The sync status
is the authority's (it arrives in ``EnterpriseSyncReceipt``); ``SyncStatus`` and ``info_operation_allowed``
let a stateful caller apply the manual's conditions on it (l.188-192, l.222, l.1459, l.1500).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from gateway.domain.identifiers import resident_id_is_valid, uscc_is_valid
from gateway.domain.violations import Violation

FAMILY = "gacc_enterprise"


# =============================================================================================
# states the authority reports


class SyncStatus(StrEnum):
    """同步状态 of the enterprise basic information (reported in EnterpriseSyncReceipt)."""

    NOT_SYNCED = "NOT_SYNCED"  # 未同步
    SYNCING = "SYNCING"  # 同步中
    SYNCED = "SYNCED"  # 同步成功
    FAILED = "FAILED"  # 同步失败

    @property
    def cn(self) -> str:
        return {"NOT_SYNCED": "未同步", "SYNCING": "同步中", "SYNCED": "同步成功", "FAILED": "同步失败"}[self.value]


class InfoOperation(StrEnum):
    SYNC = "SYNC"  # 企业基本信息维护 (first maintenance, completion, resubmission)
    CHANGE = "CHANGE"  # 企业基本信息变更


#: Which EnterpriseInfo operation may be submitted in which sync status: a change needs 同步成功
#: (l.188-189), a failed sync may be corrected and resubmitted (l.192; either operation, since the
#: manual does not say which one failed), nothing while a sync is under way (assumption: like the
#: "无在途的变更数据" condition of l.222).
INFO_OPERATIONS: Mapping[SyncStatus, frozenset[InfoOperation]] = MappingProxyType({
    SyncStatus.NOT_SYNCED: frozenset({InfoOperation.SYNC}),
    SyncStatus.SYNCING: frozenset(),
    SyncStatus.SYNCED: frozenset({InfoOperation.CHANGE}),
    SyncStatus.FAILED: frozenset({InfoOperation.SYNC, InfoOperation.CHANGE}),
})


def info_operation_allowed(sync_status: SyncStatus | str, operation: InfoOperation | str) -> bool:
    """True when an EnterpriseInfo with ``operation`` may be submitted in ``sync_status``."""
    return InfoOperation(operation) in INFO_OPERATIONS[SyncStatus(sync_status)]


def business_allowed(sync_status: SyncStatus | str) -> bool:
    """Certificates, product pre-review and agent maintenance need 同步成功 (l.188-189, l.1459, l.222)."""
    return SyncStatus(sync_status) is SyncStatus.SYNCED


class AgentRecordStatus(StrEnum):
    """Status of one line of 委托人维护代理企业信息 (l.236-278)."""

    DRAFT = "DRAFT"  # 暂存待提交
    SUBMITTED = "SUBMITTED"  # 已提交
    ACCEPTED = "ACCEPTED"  # 海关接收成功 (final, l.277)
    DELETE_PENDING = "DELETE_PENDING"  # 删除待提交


class AgentAction(StrEnum):
    ADD = "ADD"  # 新增 then 提交
    DELETE = "DELETE"  # 删除 then 提交


#: Which AgentRecords action a line may carry from its stated status. 删除 only from 暂存待提交 (a local
#: delete, never sent) or 海关接收成功 (becomes 删除待提交) (l.245-257); 提交 only from 暂存待提交 or
#: 删除待提交 (l.263). So ADD submits a 暂存待提交 line, DELETE an accepted or delete-pending one;
#: nothing while a line is 已提交.
AGENT_ACTIONS: Mapping[AgentRecordStatus, frozenset[AgentAction]] = MappingProxyType({
    AgentRecordStatus.DRAFT: frozenset({AgentAction.ADD}),
    AgentRecordStatus.SUBMITTED: frozenset(),
    AgentRecordStatus.ACCEPTED: frozenset({AgentAction.DELETE}),
    AgentRecordStatus.DELETE_PENDING: frozenset({AgentAction.DELETE}),
})


# =============================================================================================
# rules

RULES: Mapping[str, str] = MappingProxyType({
    "ENTERPRISE.USCC_CHECK": "a USCC (统一社会信用代码, 主体识别码) must have a correct GB 32100 check character",
    "ENTERPRISE.COMMITMENT_REQUIRED": "enterprise basic information is submitted only with the applicant's "
                                      "commitment (申请人承诺 = 1)",
    "ENTERPRISE.ENGLISH_NAME_REQUIRED": "the English name (企业英文名称) is required unless the application mode is "
                                        "NONE (不申领证书)",
    "ENTERPRISE.DECLARANT_ID_CHECK": "a declarant's ID number (身份证号码) must have a correct GB 11643 check "
                                     "character",
    "INITIAL_VALUES.SELF_MODE_ONLY": "certificate initial values are set by self-applying (自理) enterprises only",
    "PRINCIPAL.AGENT_MODE_ONLY": "principals are maintained only by enterprises whose application mode is AGENT "
                                 "(代理申领)",
    "PRINCIPAL.IS_SELF": "a principal is another enterprise, not the agent itself",
    "PRINCIPAL.DUPLICATE": "a principal (USCC) is listed once per document",
    "PRINCIPAL.ORG_CODE_MISMATCH": "a principal's organisation code (组织机构代码) is characters 9-17 of its USCC",
    "PRINCIPAL.VALIDITY_ORDER": "a principal's validity does not end (ValidTo) before it starts (ValidFrom)",
    "AGENT.SELF_MODE_ONLY": "agents are maintained only by self-applying (自理申领) enterprises",
    "AGENT.IS_SELF": "an agent is another enterprise, not the principal itself",
    "AGENT.DUPLICATE": "an agent (USCC) is listed once per document",
    "AGENT.ACTION_NOT_ALLOWED": "ADD submits a line 暂存待提交; DELETE a line 海关接收成功 or 删除待提交; "
                                "nothing while a line is 已提交",
})

FIELD_CN: Mapping[str, str] = MappingProxyType({
    "Uscc": "统一社会信用代码",
    "Commitment": "申请人承诺",
    "NameEn": "企业英文名称",
    "IdNo": "申报员身份证号码",
    "DeclarantIdNo": "申报员身份证号",
    "ApplyMode": "申领模式",
    "OrganizationCode": "组织机构代码",
    "ValidTo": "有效期止",
    "Action": "操作",
})

_INDEX = re.compile(r"\[\d+\]$")


def _v(rule_id: str, path: str, message: str) -> Violation:
    leaf = _INDEX.sub("", path.rsplit("/", 1)[-1])
    cn = "主体识别码" if leaf == "Uscc" and ("/Principal[" in path or "/Agent[" in path) else FIELD_CN.get(leaf, "")
    return Violation(rule_id, path, message, cn)


def _text(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value.strip() if isinstance(value, str) else ""


def _child(mapping: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = mapping.get(key)
    return value if isinstance(value, Mapping) else {}


def _lines(mapping: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = mapping.get(key)
    if not isinstance(value, list):
        return []
    return [item if isinstance(item, Mapping) else {} for item in value]


def _uscc(mapping: Mapping[str, Any], path: str) -> list[Violation]:
    uscc = _text(mapping, "Uscc")
    if uscc and not uscc_is_valid(uscc):
        return [_v("ENTERPRISE.USCC_CHECK", f"{path}/Uscc", f"USCC {uscc} has a wrong check character (GB 32100)")]
    return []


def _resident_id(mapping: Mapping[str, Any], field: str, path: str) -> list[Violation]:
    value = _text(mapping, field)
    if value and not resident_id_is_valid(value):
        return [_v("ENTERPRISE.DECLARANT_ID_CHECK", f"{path}/{field}",
                   f"declarant ID number {value} has a wrong check character (GB 11643)")]
    return []


def _mode(enterprise: Mapping[str, Any], path: str, rule_id: str, required: str, what: str) -> list[Violation]:
    mode = _text(enterprise, "ApplyMode")
    if mode and mode != required:
        return [_v(rule_id, f"{path}/ApplyMode", f"{what}; this enterprise's ApplyMode is {mode}, not {required}")]
    return []


def _enterprise_info(data: Mapping[str, Any]) -> list[Violation]:
    root = "/EnterpriseInfo"
    ent = _child(data, "Enterprise")
    found = _uscc(ent, f"{root}/Enterprise")
    if _text(ent, "ApplyMode") != "NONE" and not _text(ent, "NameEn"):
        found.append(_v("ENTERPRISE.ENGLISH_NAME_REQUIRED", f"{root}/Enterprise/NameEn",
                        f"NameEn (企业英文名称) is required with ApplyMode {_text(ent, 'ApplyMode') or '?'}; only NONE "
                        "(不申领证书) may leave it out"))
    found += _resident_id(_child(data, "Declarant"), "IdNo", f"{root}/Declarant")
    if _text(data, "Commitment") != "1":
        found.append(_v("ENTERPRISE.COMMITMENT_REQUIRED", f"{root}/Commitment",
                        "Commitment (申请人承诺) must be 1: the applicant commits that the information is lawful, "
                        "true, accurate and valid"))
    return found


def _initial_values(data: Mapping[str, Any]) -> list[Violation]:
    root = "/CertInitialValues"
    ent = _child(data, "Enterprise")
    return (_uscc(ent, f"{root}/Enterprise")
            + _mode(ent, f"{root}/Enterprise", "INITIAL_VALUES.SELF_MODE_ONLY", "SELF",
                    "certificate initial values are for self-applying (自理) enterprises")
            + _resident_id(_child(data, "InitialValues"), "DeclarantIdNo", f"{root}/InitialValues"))


def _principals(data: Mapping[str, Any]) -> list[Violation]:
    root = "/PrincipalRecords"
    ent = _child(data, "Enterprise")
    found = _uscc(ent, f"{root}/Enterprise") + _mode(
        ent, f"{root}/Enterprise", "PRINCIPAL.AGENT_MODE_ONLY", "AGENT",
        "principals are maintained by enterprises that apply as agents (代理申领)")
    own = _text(ent, "Uscc")
    seen: set[str] = set()
    for i, line in enumerate(_lines(_child(data, "PrincipalList"), "Principal"), start=1):
        at = f"{root}/PrincipalList/Principal[{i}]"
        uscc = _text(line, "Uscc")
        found += _uscc(line, at)
        if uscc and uscc == own:
            found.append(_v("PRINCIPAL.IS_SELF", f"{at}/Uscc", f"principal {uscc} is the agent enterprise itself"))
        elif uscc and uscc in seen:
            found.append(_v("PRINCIPAL.DUPLICATE", f"{at}/Uscc", f"principal {uscc} is listed twice"))
        seen.add(uscc)
        org = _text(line, "OrganizationCode")
        if org and len(uscc) == 18 and org != uscc[8:17]:
            found.append(_v("PRINCIPAL.ORG_CODE_MISMATCH", f"{at}/OrganizationCode",
                            f"organisation code {org} differs from characters 9-17 of USCC {uscc} ({uscc[8:17]})"))
        found += _resident_id(line, "DeclarantIdNo", at)
        start, end = _text(line, "ValidFrom"), _text(line, "ValidTo")
        if start and end and end < start:  # yyyy-MM-dd compares as text
            found.append(_v("PRINCIPAL.VALIDITY_ORDER", f"{at}/ValidTo",
                            f"ValidTo {end} is before ValidFrom {start}"))
    return found


def _agents(data: Mapping[str, Any]) -> list[Violation]:
    root = "/AgentRecords"
    ent = _child(data, "Enterprise")
    found = _uscc(ent, f"{root}/Enterprise") + _mode(
        ent, f"{root}/Enterprise", "AGENT.SELF_MODE_ONLY", "SELF",
        "agents are maintained by self-applying (自理申领) enterprises")
    own = _text(ent, "Uscc")
    seen: set[str] = set()
    for i, line in enumerate(_lines(_child(data, "AgentList"), "Agent"), start=1):
        at = f"{root}/AgentList/Agent[{i}]"
        uscc = _text(line, "Uscc")
        found += _uscc(line, at)
        if uscc and uscc == own:
            found.append(_v("AGENT.IS_SELF", f"{at}/Uscc", f"agent {uscc} is the principal enterprise itself"))
        elif uscc and uscc in seen:
            found.append(_v("AGENT.DUPLICATE", f"{at}/Uscc", f"agent {uscc} is listed twice"))
        seen.add(uscc)
        found += _agent_action(line, at)
    return found


def _agent_action(line: Mapping[str, Any], at: str) -> list[Violation]:
    action, status = _text(line, "Action"), _text(line, "CurrentStatus")
    if not status:
        return []
    try:
        allowed = AGENT_ACTIONS[AgentRecordStatus(status)]
        ok = AgentAction(action) in allowed
    except ValueError:
        return []  # the XSD enumerates both
    if ok:
        return []
    allowed_text = ", ".join(sorted(allowed)) or "nothing (the line awaits customs)"
    return [_v("AGENT.ACTION_NOT_ALLOWED", f"{at}/Action",
               f"Action {action} is not allowed on a line in CurrentStatus {status}; allowed: {allowed_text}")]


def check(data: Mapping[str, Any]) -> list[Violation]:
    if "Commitment" in data or "Declarant" in data:
        return _enterprise_info(data)
    if "InitialValues" in data:
        return _initial_values(data)
    if "PrincipalList" in data:
        return _principals(data)
    if "AgentList" in data:
        return _agents(data)
    return []  # receipts (inbound) have no business rules
