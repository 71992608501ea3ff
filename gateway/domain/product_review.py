"""Product pre-review 产品预审 (seed 001 ch. 6) and the product cost details of a verification
(核查互动, ch. 7): the arithmetic rules, the derived percentages and the (状态, 审核状态) state machine.

Pure: standard library only. Shared by the ``gacc_product`` and ``gacc_verification`` families, which
carry the same product structure (element names below) at different places in their documents.

Line numbers cited below are those of ``seeds/001_9aad941c00f0c8c4.txt``.

Arithmetic (ch. 6 lines 1514-1533 and again ch. 7 lines 1744-1758)
--------------------------------------------------------------------
On a product (``ExWorksPrice`` 单位产品出厂价, ``FOBPrice`` 单位产品FOB值, ``ContainsImported`` 是否含有进口成分,
``DetailList/Detail*`` 产品生产明细 with ``UnitPrice`` 原料单价, ``Usage`` 单位产品用料, ``OriginatingValue``
原料原产价值, ``NonOriginatingValue`` 原料非原产价值):

1. FOB ≥ ex-works                                           PRODUCT.FOB_GE_EXWORKS
2. Σ (originating + non-originating) ≤ ex-works             PRODUCT.MATERIALS_LE_EXWORKS
3. Σ (originating + non-originating) ≤ FOB                  PRODUCT.MATERIALS_LE_FOB
4. contains imported content = yes ⇒ Σ non-originating > 0  PRODUCT.IMPORTED_NONORIG_POSITIVE
5. contains imported content = no  ⇒ Σ non-originating = 0  PRODUCT.NOT_IMPORTED_NONORIG_ZERO
6. per line: unit price × usage = originating + non-originating, within ``LINE_VALUE_TOLERANCE``
   (0.005, half a cent: an ERP may round each value to 2 decimals)    PRODUCT.LINE_VALUE

and the derived percentages (lines 1527-1533): non-originating % of ex-works = Σ non-originating /
ex-works × 100 and of FOB = Σ non-originating / FOB × 100, rounded half-up to 2 decimals. A document
may carry them (``NonOrigExWorksPct``, ``NonOrigFobPct``); then they must equal the derived values
when both are rounded half-up to 2 decimals (PRODUCT.NONORIG_PCT_EXWORKS / PRODUCT.NONORIG_PCT_FOB).
Detail lines are numbered 1..n in order (PRODUCT.DETAIL_SEQNO; an assumption, the manual is silent).

Arithmetic is exact (``decimal`` with 60 digits of precision, never floats). Numbers that do not parse
are the XSD's to report; the rules that need them stay silent.

State machine (ch. 6 lines 1455-1663)
-------------------------------------
``TABLE`` lists, for every (状态, 审核状态) pair, exactly the operations the manual allows and where each
leads; ``allowed_operations`` and ``apply`` read it. ``decide`` applies the authority's review outcome.
``application_path`` / ``submit_application`` map a message's 申请类型 (NEW/CHANGE/CANCEL/RESTORE/DELETE)
to the operations it stands for.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from gateway.domain.certificate_rules import to_decimal
from gateway.domain.violations import Violation

# =============================================================================================
# state machine


class Status(StrEnum):
    """状态 of a pre-review record."""

    NEW = "NEW"  # 新增
    NORMAL = "NORMAL"  # 正常
    CHANGED = "CHANGED"  # 变更
    CANCELLED = "CANCELLED"  # 注销
    RESTORED = "RESTORED"  # 恢复
    DELETED = "DELETED"  # 删除

    @property
    def cn(self) -> str:
        return _STATUS_CN[self]


class Audit(StrEnum):
    """审核状态 (also called 申请状态) of a pre-review record."""

    DRAFT = "DRAFT"  # 暂存
    SUBMITTED = "SUBMITTED"  # 已提交, awaiting review (已提交且未审核)
    APPROVED = "APPROVED"  # 审核通过
    REJECTED = "REJECTED"  # 审核不通过

    @property
    def cn(self) -> str:
        return _AUDIT_CN[self]


class Operation(StrEnum):
    """What an enterprise user may do to a record (the buttons of the pre-review list)."""

    MODIFY = "MODIFY"  # 修改
    CHANGE = "CHANGE"  # 变更
    CANCEL = "CANCEL"  # 注销
    RESTORE = "RESTORE"  # 恢复
    DELETE = "DELETE"  # 删除 (locally or by request, see TABLE)
    SUBMIT = "SUBMIT"  # 提交

    @property
    def cn(self) -> str:
        return _OPERATION_CN[self]


class ApplyType(StrEnum):
    """申请类型 of an outbound pre-review message."""

    NEW = "NEW"  # 新增
    CHANGE = "CHANGE"  # 变更
    CANCEL = "CANCEL"  # 注销
    RESTORE = "RESTORE"  # 恢复
    DELETE = "DELETE"  # 删除


_STATUS_CN = {Status.NEW: "新增", Status.NORMAL: "正常", Status.CHANGED: "变更", Status.CANCELLED: "注销",
              Status.RESTORED: "恢复", Status.DELETED: "删除"}
_AUDIT_CN = {Audit.DRAFT: "暂存", Audit.SUBMITTED: "已提交", Audit.APPROVED: "审核通过", Audit.REJECTED: "审核不通过"}
_OPERATION_CN = {Operation.MODIFY: "修改", Operation.CHANGE: "变更", Operation.CANCEL: "注销",
                 Operation.RESTORE: "恢复", Operation.DELETE: "删除", Operation.SUBMIT: "提交"}

State = tuple[Status, Audit]
#: Where an operation leads: a new pair, or None when the record is deleted locally (本地删除: "产品信息删除，
#: 列表不显示已删除数据", line 1639) and no longer exists.
Result = State | None
LOCAL_DELETE: Result = None

_S, _A, _O = Status, Audit, Operation

# The manual, operation by operation (line numbers in seeds/001_9aad941c00f0c8c4.txt):
#   MODIFY  1537, 1541: only a 暂存 (draft) record, i.e. a new one that was saved but not submitted.
#           The other drafts are edited with 变更 (CHANGE), which the manual lists for them.
#   CHANGE  1555; the exhaustive list 1576-1586: (正常,审核通过) (变更,审核通过) (变更,暂存) (注销,暂存)
#           (删除,暂存). It saves a change draft (变更, 暂存), submitted later (1568).
#   CANCEL  1592: records 审核通过 (approved and in force: 正常 or 变更). It saves (注销, 暂存), submitted
#           later (1601).
#   RESTORE 1605, 1609: 已注销 records (the cancellation was approved: (注销, 审核通过)). It saves
#           (恢复, 暂存), submitted later (1614).
#   DELETE  the exhaustive list 1645-1661: (新增,暂存) (新增,审核不通过) (正常,审核通过) (变更,暂存)
#           (变更,审核通过) (注销,暂存) (注销,审核不通过) (恢复,暂存). 1622/1639/1641: 暂存 data is deleted
#           locally; approved data by a deletion request ("提交删除申请"). The request is saved as
#           (删除, 暂存) - the pair the CHANGE list names (1586) - and submitted like every other draft;
#           the Single Window's confirm dialog does both in one click, a DELETE message is both.
#           Assumption (manual silent): a never-approved (新增, 审核不通过) record is deleted locally, a
#           rejected cancellation (注销, 审核不通过) - whose product is still approved - by request.
#   SUBMIT  1493, 1568, 1601, 1614: a 暂存 record is submitted (审核状态 becomes 已提交).
#   none    1508: nothing while a record is submitted and not yet reviewed (已提交).
# Pairs not listed allow nothing; most are unreachable (see decide()).
TABLE: Mapping[State, Mapping[Operation, Result]] = MappingProxyType({
    (_S.NEW, _A.DRAFT): {_O.MODIFY: (_S.NEW, _A.DRAFT), _O.DELETE: LOCAL_DELETE, _O.SUBMIT: (_S.NEW, _A.SUBMITTED)},
    (_S.NEW, _A.SUBMITTED): {},
    (_S.NEW, _A.APPROVED): {},
    (_S.NEW, _A.REJECTED): {_O.DELETE: LOCAL_DELETE},
    (_S.NORMAL, _A.DRAFT): {},
    (_S.NORMAL, _A.SUBMITTED): {},
    (_S.NORMAL, _A.APPROVED): {_O.CHANGE: (_S.CHANGED, _A.DRAFT), _O.CANCEL: (_S.CANCELLED, _A.DRAFT),
                               _O.DELETE: (_S.DELETED, _A.DRAFT)},
    (_S.NORMAL, _A.REJECTED): {},
    (_S.CHANGED, _A.DRAFT): {_O.CHANGE: (_S.CHANGED, _A.DRAFT), _O.DELETE: LOCAL_DELETE,
                             _O.SUBMIT: (_S.CHANGED, _A.SUBMITTED)},
    (_S.CHANGED, _A.SUBMITTED): {},
    (_S.CHANGED, _A.APPROVED): {_O.CHANGE: (_S.CHANGED, _A.DRAFT), _O.CANCEL: (_S.CANCELLED, _A.DRAFT),
                                _O.DELETE: (_S.DELETED, _A.DRAFT)},
    (_S.CHANGED, _A.REJECTED): {},
    (_S.CANCELLED, _A.DRAFT): {_O.CHANGE: (_S.CHANGED, _A.DRAFT), _O.DELETE: LOCAL_DELETE,
                               _O.SUBMIT: (_S.CANCELLED, _A.SUBMITTED)},
    (_S.CANCELLED, _A.SUBMITTED): {},
    (_S.CANCELLED, _A.APPROVED): {_O.RESTORE: (_S.RESTORED, _A.DRAFT)},
    (_S.CANCELLED, _A.REJECTED): {_O.DELETE: (_S.DELETED, _A.DRAFT)},
    (_S.RESTORED, _A.DRAFT): {_O.DELETE: LOCAL_DELETE, _O.SUBMIT: (_S.RESTORED, _A.SUBMITTED)},
    (_S.RESTORED, _A.SUBMITTED): {},
    (_S.RESTORED, _A.APPROVED): {},
    (_S.RESTORED, _A.REJECTED): {},
    (_S.DELETED, _A.DRAFT): {_O.CHANGE: (_S.CHANGED, _A.DRAFT), _O.SUBMIT: (_S.DELETED, _A.SUBMITTED)},
    (_S.DELETED, _A.SUBMITTED): {},
    (_S.DELETED, _A.APPROVED): {},
    (_S.DELETED, _A.REJECTED): {},
})


class IllegalOperation(ValueError):
    """An operation the manual does not allow on a record in its current (状态, 审核状态)."""


def _state(status: Status | str, audit: Audit | str) -> State:
    try:
        return Status(status), Audit(audit)
    except ValueError as exc:
        raise IllegalOperation(f"unknown record state ({status}, {audit})") from exc


def allowed_operations(status: Status | str, audit: Audit | str) -> frozenset[Operation]:
    """Exactly the operations the manual allows on one record in (status, audit)."""
    return frozenset(TABLE[_state(status, audit)])


def apply(status: Status | str, audit: Audit | str, operation: Operation | str) -> Result:
    """The record's (status, audit) after ``operation``; None when it was deleted locally.

    Raises ``IllegalOperation`` when the manual does not allow the operation in that state.
    """
    state = _state(status, audit)
    try:
        op = Operation(operation)
    except ValueError as exc:
        raise IllegalOperation(f"unknown operation {operation!r}") from exc
    moves = TABLE[state]
    if op not in moves:
        allowed = ", ".join(sorted(moves)) or "nothing"
        raise IllegalOperation(f"{op} ({op.cn}) is not allowed on a record in ({state[0].cn}, {state[1].cn}); "
                               f"allowed: {allowed}")
    return moves[op]


def is_local_delete(status: Status | str, audit: Audit | str) -> bool:
    """True when DELETE removes the record locally, False when it is a request to customs.

    Raises ``IllegalOperation`` when DELETE is not allowed at all.
    """
    return apply(status, audit, Operation.DELETE) is LOCAL_DELETE


def blocked_by_pending_review(states: Iterable[State]) -> bool:
    """True while any of an enterprise's records awaits review.

    Line 1508 reads enterprise-wide: "若存在已提交且未审核的产品预审信息时，用户不允许进行新增、修改、变更、注销、恢复、
    删除操作" - while any record is submitted and not yet reviewed, no record may be added, modified,
    changed, cancelled, restored or deleted. ``allowed_operations`` covers the record itself; a stateful
    caller that knows the other records uses this to block the rest (submitting stays possible).
    """
    return any(Audit(audit) is Audit.SUBMITTED for _, audit in states)


#: The authority's approval of a submitted application (Assumptions marked; the manual shows the
#: states the records then have in its lists):
#: NEW -> (正常, 审核通过) (no list ever shows (新增, 审核通过)); CHANGE -> (变更, 审核通过) (line 1580);
#: CANCEL -> (注销, 审核通过), the 已注销 record RESTORE acts on; RESTORE -> (正常, 审核通过) (assumption:
#: a restored product is in force again); DELETE -> gone ("海关审核通过后列表不显示该数据", line 1641).
APPROVED_RESULT: Mapping[Status, Result] = MappingProxyType({
    Status.NEW: (Status.NORMAL, Audit.APPROVED),
    Status.CHANGED: (Status.CHANGED, Audit.APPROVED),
    Status.CANCELLED: (Status.CANCELLED, Audit.APPROVED),
    Status.RESTORED: (Status.NORMAL, Audit.APPROVED),
    Status.DELETED: None,
})
#: The authority's rejection: NEW -> (新增, 审核不通过) (line 1649); CANCEL -> (注销, 审核不通过) (line 1659);
#: RESTORE -> (注销, 审核通过) ("显示为注销状态", line 1618). CHANGE and DELETE go back to the state before
#: the application ("变更前数据" line 1588, "删除前状态" line 1663), which the caller passes as ``before``.
REJECTED_RESULT: Mapping[Status, State | None] = MappingProxyType({
    Status.NEW: (Status.NEW, Audit.REJECTED),
    Status.CHANGED: None,
    Status.CANCELLED: (Status.CANCELLED, Audit.REJECTED),
    Status.RESTORED: (Status.CANCELLED, Audit.APPROVED),
    Status.DELETED: None,
})


def decide(status: Status | str, audit: Audit | str, approved: bool, before: State | None = None) -> Result:
    """The record's state after the authority reviewed its submitted application.

    ``before`` is the record's state before the application; it is needed (and only used) when a
    CHANGE or DELETE application is rejected. Raises ``IllegalOperation`` unless the record is
    submitted (已提交), and ``ValueError`` when ``before`` is needed but missing.
    """
    s, a = _state(status, audit)
    if a is not Audit.SUBMITTED:
        raise IllegalOperation(f"only a submitted record is reviewed, not one in ({s.cn}, {a.cn})")
    if approved:
        return APPROVED_RESULT[s]
    result = REJECTED_RESULT[s]
    if result is not None:
        return result
    if before is None:
        raise ValueError(f"a rejected {s.cn} application returns to the state before it: pass before=")
    return _state(*before)


#: The record status an application of each 申请类型 is saved under before it is submitted, and the
#: user operation it stands for (a NEW application is the submission of a new record or a new draft).
_APPLICATION_STATUS = {ApplyType.NEW: Status.NEW, ApplyType.CHANGE: Status.CHANGED,
                       ApplyType.CANCEL: Status.CANCELLED, ApplyType.RESTORE: Status.RESTORED,
                       ApplyType.DELETE: Status.DELETED}
_APPLICATION_OPERATION = {ApplyType.CHANGE: Operation.CHANGE, ApplyType.CANCEL: Operation.CANCEL,
                          ApplyType.RESTORE: Operation.RESTORE, ApplyType.DELETE: Operation.DELETE}


def application_path(apply_type: ApplyType | str, status: Status | str | None = None,
                     audit: Audit | str | None = None) -> tuple[Operation, ...] | None:
    """The operations an application of ``apply_type`` performs on a record in (status, audit).

    An application is the operation followed, when it leaves a draft, by the submission: CANCEL on
    (正常, 审核通过) is (CANCEL, SUBMIT); on the cancellation draft (注销, 暂存) it is (SUBMIT,). A NEW
    application on no record yet (status and audit None) is (); on a new draft (新增, 暂存) it is
    (SUBMIT,). None when the manual allows no such application in that state.
    """
    kind = ApplyType(apply_type)
    if status is None and audit is None:
        return () if kind is ApplyType.NEW else None
    if status is None or audit is None:
        return None
    state = _state(status, audit)
    moves = TABLE[state]
    op = _APPLICATION_OPERATION.get(kind)
    if op is not None and op in moves:
        after = moves[op]
        if after is None:
            return (op,)  # deleted locally
        return (op, Operation.SUBMIT) if Operation.SUBMIT in TABLE[after] else None
    if state == (_APPLICATION_STATUS[kind], Audit.DRAFT) and Operation.SUBMIT in moves:
        return (Operation.SUBMIT,)
    return None


def submit_application(apply_type: ApplyType | str, status: Status | str | None = None,
                       audit: Audit | str | None = None) -> Result:
    """The record's state once the application is sent: (…, 已提交), or None for a local delete.

    Raises ``IllegalOperation`` when the manual does not allow the application in that state.
    """
    path = application_path(apply_type, status, audit)
    if path is None:
        raise IllegalOperation(f"a {apply_type} application is not allowed on a record in ({status}, {audit})")
    state: Result = (Status.NEW, Audit.DRAFT) if status is None else _state(status, audit or "")
    if not path:  # a brand-new record is saved and submitted
        path = (Operation.SUBMIT,)
    for op in path:
        assert state is not None
        state = apply(state[0], state[1], op)
    return state


# =============================================================================================
# arithmetic

#: |unit price × usage − (originating + non-originating)| must not exceed this (half a cent).
LINE_VALUE_TOLERANCE = Decimal("0.005")
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_EXACT = decimal.Context(prec=60, rounding=ROUND_HALF_UP)

#: Rule id -> one-line description, for the families that carry product cost data.
COST_RULES: Mapping[str, str] = MappingProxyType({
    "PRODUCT.FOB_GE_EXWORKS": "unit FOB (单位产品FOB值) must not be less than the unit ex-works price (单位产品出厂价)",
    "PRODUCT.MATERIALS_LE_EXWORKS": "the sum of originating and non-originating material values of all production "
                                    "details must not exceed the unit ex-works price",
    "PRODUCT.MATERIALS_LE_FOB": "the sum of originating and non-originating material values of all production "
                                "details must not exceed the unit FOB",
    "PRODUCT.IMPORTED_NONORIG_POSITIVE": "contains imported content = yes requires a non-zero total of "
                                         "non-originating material values",
    "PRODUCT.NOT_IMPORTED_NONORIG_ZERO": "contains imported content = no requires the total of non-originating "
                                         "material values to be 0",
    "PRODUCT.LINE_VALUE": "per production detail: material unit price x usage per product unit = originating value "
                          "+ non-originating value (tolerance 0.005)",
    "PRODUCT.NONORIG_PCT_EXWORKS": "non-originating % of ex-works, when given, must equal total non-originating "
                                   "value / unit ex-works price x 100 (2 decimals, half-up)",
    "PRODUCT.NONORIG_PCT_FOB": "non-originating % of FOB, when given, must equal total non-originating value / "
                               "unit FOB x 100 (2 decimals, half-up)",
    "PRODUCT.DETAIL_SEQNO": "production details are numbered 1, 2, 3 ... in document order",
})

#: Element name -> the manual's Chinese field name.
FIELD_CN: Mapping[str, str] = MappingProxyType({
    "ExWorksPrice": "单位产品出厂价",
    "FOBPrice": "单位产品FOB值",
    "ContainsImported": "是否含有进口成分",
    "NonOrigExWorksPct": "非原产占出厂价的百分比",
    "NonOrigFobPct": "非原产占FOB的百分比",
    "DetailList": "产品生产明细",
    "Detail": "产品生产明细",
    "SeqNo": "序号",
    "UnitPrice": "原料单价",
    "Usage": "单位产品用料",
    "OriginatingValue": "原料原产价值",
    "NonOriginatingValue": "原料非原产价值",
})

_INDEX = re.compile(r"\[\d+\]$")


def field_cn(path: str) -> str:
    return FIELD_CN.get(_INDEX.sub("", path.rsplit("/", 1)[-1]), "")


def _v(rule_id: str, path: str, message: str) -> Violation:
    return Violation(rule_id, path, message, field_cn(path))


def text(mapping: Mapping[str, Any], key: str) -> str:
    """Field text of a decoded element ('' when absent or not text)."""
    value = mapping.get(key)
    return value.strip() if isinstance(value, str) else ""


def records(value: Any) -> list[Mapping[str, Any]]:
    """A decoded repeatable element as a list of mappings (anything else: empty)."""
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return []
    return [item if isinstance(item, Mapping) else {} for item in value]


def child(mapping: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = mapping.get(key)
    return value if isinstance(value, Mapping) else {}


def details(product: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return records(child(product, "DetailList").get("Detail"))


def _num(mapping: Mapping[str, Any], key: str) -> Decimal | None:
    return to_decimal(text(mapping, key))


def _plain(number: Decimal) -> str:
    out = format(number, "f")
    return out.rstrip("0").rstrip(".") if "." in out else out


def _sum(values: Sequence[Decimal | None]) -> Decimal | None:
    """Exact sum, or None when any value is missing."""
    if any(v is None for v in values):
        return None
    with decimal.localcontext(_EXACT):
        return sum((v for v in values if v is not None), Decimal(0))


def derived_percentages(product: Mapping[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    """(non-originating % of ex-works, of FOB), rounded half-up to 2 decimals; None when not computable."""
    nonorig = _sum([_num(d, "NonOriginatingValue") for d in details(product)])
    return _percent(nonorig, _num(product, "ExWorksPrice")), _percent(nonorig, _num(product, "FOBPrice"))


def _percent(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    if part is None or whole is None or whole == 0:
        return None
    return _EXACT.divide(_EXACT.multiply(part, _HUNDRED), whole).quantize(_CENT, rounding=ROUND_HALF_UP)


def check_costs(product: Mapping[str, Any], base: str) -> list[Violation]:
    """The arithmetic rules on one product whose element path is ``base`` (e.g. ``/ProductPreReview/Product``)."""
    return [v for rule in _COST_CHECKS for v in rule(product, base)]


CostRule = Callable[[Mapping[str, Any], str], Iterator[Violation]]


def _seq_numbers(product: Mapping[str, Any], base: str) -> Iterator[Violation]:
    for i, line in enumerate(details(product), start=1):
        seq = text(line, "SeqNo")
        if seq and seq.isdigit() and int(seq) != i:
            yield _v("PRODUCT.DETAIL_SEQNO", f"{base}/DetailList/Detail[{i}]/SeqNo",
                     f"production detail {i} must be numbered {i}, not {seq}")


def _fob_ge_exworks(product: Mapping[str, Any], base: str) -> Iterator[Violation]:
    exw, fob = _num(product, "ExWorksPrice"), _num(product, "FOBPrice")
    if exw is not None and fob is not None and fob < exw:
        yield _v("PRODUCT.FOB_GE_EXWORKS", f"{base}/FOBPrice",
                 f"unit FOB {_plain(fob)} must not be less than the unit ex-works price {_plain(exw)}")


def _materials_le_prices(product: Mapping[str, Any], base: str) -> Iterator[Violation]:
    lines = details(product)
    total = _sum([_num(d, "OriginatingValue") for d in lines] + [_num(d, "NonOriginatingValue") for d in lines])
    if total is None or not lines:
        return
    for rule_id, field, label in (("PRODUCT.MATERIALS_LE_EXWORKS", "ExWorksPrice", "unit ex-works price"),
                                  ("PRODUCT.MATERIALS_LE_FOB", "FOBPrice", "unit FOB")):
        price = _num(product, field)
        if price is not None and total > price:
            yield _v(rule_id, f"{base}/DetailList",
                     f"originating + non-originating material values total {_plain(total)}, more than the "
                     f"{label} {_plain(price)}")


def _imported_content(product: Mapping[str, Any], base: str) -> Iterator[Violation]:
    flag = text(product, "ContainsImported")
    nonorig = _sum([_num(d, "NonOriginatingValue") for d in details(product)])
    if nonorig is None:
        return
    if flag == "1" and nonorig == 0:
        yield _v("PRODUCT.IMPORTED_NONORIG_POSITIVE", f"{base}/ContainsImported",
                 "contains imported content is yes (1) but the non-originating material values total 0")
    elif flag == "0" and nonorig != 0:
        yield _v("PRODUCT.NOT_IMPORTED_NONORIG_ZERO", f"{base}/ContainsImported",
                 f"contains imported content is no (0) but the non-originating material values total "
                 f"{_plain(nonorig)}; it must be 0")


def _line_values(product: Mapping[str, Any], base: str) -> Iterator[Violation]:
    for i, line in enumerate(details(product), start=1):
        price, usage = _num(line, "UnitPrice"), _num(line, "Usage")
        value = _sum([_num(line, "OriginatingValue"), _num(line, "NonOriginatingValue")])
        if price is None or usage is None or value is None:
            continue
        expected = _EXACT.multiply(price, usage)
        if abs(_EXACT.subtract(expected, value)) > LINE_VALUE_TOLERANCE:
            yield _v("PRODUCT.LINE_VALUE", f"{base}/DetailList/Detail[{i}]",
                     f"production detail {i}: unit price {_plain(price)} x usage {_plain(usage)} = "
                     f"{_plain(expected)}, but originating + non-originating value = {_plain(value)} "
                     f"(tolerance {LINE_VALUE_TOLERANCE})")


def _percentages(product: Mapping[str, Any], base: str) -> Iterator[Violation]:
    derived = derived_percentages(product)
    for (rule_id, field, label), value in zip(
        (("PRODUCT.NONORIG_PCT_EXWORKS", "NonOrigExWorksPct", "ex-works"),
         ("PRODUCT.NONORIG_PCT_FOB", "NonOrigFobPct", "FOB")), derived, strict=True):
        stated = _num(product, field)
        if stated is None or value is None:
            continue
        if stated.quantize(_CENT, rounding=ROUND_HALF_UP) != value:
            yield _v(rule_id, f"{base}/{field}",
                     f"non-originating % of {label} is {_plain(stated)} but the production details give "
                     f"{_plain(value)} (total non-originating value / unit {label} x 100, 2 decimals)")


_COST_CHECKS: tuple[CostRule, ...] = (
    _seq_numbers, _fob_ge_exworks, _materials_le_prices, _imported_content, _line_values, _percentages,
)
