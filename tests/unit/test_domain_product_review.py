"""Product pre-review: the (状态, 审核状态) state machine, cell by cell, and the arithmetic rules.

The expected table is written here again from the manual (seeds/001 ch. 6), independently of
gateway.domain.product_review.TABLE, so that a change to either shows up.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest

from gateway.domain import product_review as pr
from gateway.domain.product_review import ApplyType, Audit, IllegalOperation, Operation, Status

S, A, OP = Status, Audit, Operation
GONE = None  # deleted locally

# seeds/001 l.1537: 修改 only on a 暂存 new record.
MODIFY = {(S.NEW, A.DRAFT): (S.NEW, A.DRAFT)}
# l.1576-1586: exactly five pairs allow 变更; it saves a change draft.
CHANGE = {pair: (S.CHANGED, A.DRAFT) for pair in [
    (S.NORMAL, A.APPROVED), (S.CHANGED, A.APPROVED), (S.CHANGED, A.DRAFT), (S.CANCELLED, A.DRAFT),
    (S.DELETED, A.DRAFT)]}
# l.1592: 注销 on approved records in force; saves a cancellation draft (l.1601).
CANCEL = {(S.NORMAL, A.APPROVED): (S.CANCELLED, A.DRAFT), (S.CHANGED, A.APPROVED): (S.CANCELLED, A.DRAFT)}
# l.1605: 恢复 on cancelled records; saves a restore draft (l.1614).
RESTORE = {(S.CANCELLED, A.APPROVED): (S.RESTORED, A.DRAFT)}
# l.1645-1661: exactly eight pairs allow 删除; 暂存 data locally, approved data by a request (l.1639-1641)
# saved as (删除, 暂存), the pair l.1586 names, and submitted.
DELETE = {
    (S.NEW, A.DRAFT): GONE,
    (S.NEW, A.REJECTED): GONE,
    (S.NORMAL, A.APPROVED): (S.DELETED, A.DRAFT),
    (S.CHANGED, A.DRAFT): GONE,
    (S.CHANGED, A.APPROVED): (S.DELETED, A.DRAFT),
    (S.CANCELLED, A.DRAFT): GONE,
    (S.CANCELLED, A.REJECTED): (S.DELETED, A.DRAFT),
    (S.RESTORED, A.DRAFT): GONE,
}
# l.1493, 1568, 1601, 1614: the drafts are submitted.
SUBMIT = {(status, A.DRAFT): (status, A.SUBMITTED)
          for status in (S.NEW, S.CHANGED, S.CANCELLED, S.RESTORED, S.DELETED)}
EXPECTED: dict[Operation, dict[tuple[Status, Audit], Any]] = {
    OP.MODIFY: MODIFY, OP.CHANGE: CHANGE, OP.CANCEL: CANCEL, OP.RESTORE: RESTORE, OP.DELETE: DELETE, OP.SUBMIT: SUBMIT,
}
CELLS = list(itertools.product(Status, Audit, Operation))


def test_the_table_has_every_pair_of_status_and_audit() -> None:
    assert set(pr.TABLE) == set(itertools.product(Status, Audit))
    assert len(CELLS) == 6 * 4 * 6


@pytest.mark.parametrize(("status", "audit", "operation"), CELLS,
                         ids=[f"{s.value}-{a.value}-{o.value}" for s, a, o in CELLS])
def test_every_cell_allows_exactly_what_the_manual_says(status: Status, audit: Audit, operation: Operation) -> None:
    expected = EXPECTED[operation]
    allowed = (status, audit) in expected
    assert (operation in pr.allowed_operations(status, audit)) is allowed
    if allowed:
        assert pr.apply(status, audit, operation) == expected[(status, audit)]
    else:
        with pytest.raises(IllegalOperation):
            pr.apply(status, audit, operation)


@pytest.mark.parametrize("status", list(Status))
def test_nothing_is_allowed_while_a_record_awaits_review(status: Status) -> None:
    assert pr.allowed_operations(status, Audit.SUBMITTED) == frozenset()


def test_values_and_chinese_names_are_accepted() -> None:
    assert pr.allowed_operations("NORMAL", "APPROVED") == {OP.CHANGE, OP.CANCEL, OP.DELETE}
    assert pr.apply("CANCELLED", "APPROVED", "RESTORE") == (S.RESTORED, A.DRAFT)
    assert (S.CHANGED.cn, A.REJECTED.cn, OP.RESTORE.cn) == ("变更", "审核不通过", "恢复")


@pytest.mark.parametrize(("status", "audit", "operation"), [("NOPE", "DRAFT", "MODIFY"), ("NEW", "NOPE", "MODIFY"),
                                                            ("NEW", "DRAFT", "NOPE")])
def test_unknown_states_and_operations_raise_illegal_operation(status: str, audit: str, operation: str) -> None:
    with pytest.raises(IllegalOperation):
        pr.apply(status, audit, operation)


def test_illegal_operation_message_names_the_state_and_what_is_allowed() -> None:
    with pytest.raises(IllegalOperation, match=r"CANCEL \(注销\) .* \(新增, 暂存\)") as info:
        pr.apply(S.NEW, A.DRAFT, OP.CANCEL)
    assert "MODIFY" in str(info.value)


def test_delete_is_local_for_drafts_and_a_request_for_approved_records() -> None:
    assert pr.is_local_delete(S.NEW, A.DRAFT)
    assert pr.is_local_delete(S.CHANGED, A.DRAFT)
    assert not pr.is_local_delete(S.NORMAL, A.APPROVED)
    assert not pr.is_local_delete(S.CANCELLED, A.REJECTED)
    with pytest.raises(IllegalOperation):
        pr.is_local_delete(S.DELETED, A.DRAFT)


def test_pending_review_anywhere_blocks_the_enterprise() -> None:
    assert pr.blocked_by_pending_review([(S.NORMAL, A.APPROVED), (S.CHANGED, A.SUBMITTED)])
    assert not pr.blocked_by_pending_review([(S.NORMAL, A.APPROVED), (S.NEW, A.DRAFT)])
    assert not pr.blocked_by_pending_review([])


# --- the authority's decision -----------------------------------------------------------------

@pytest.mark.parametrize(("status", "approved", "before", "expected"), [
    (S.NEW, True, None, (S.NORMAL, A.APPROVED)),
    (S.NEW, False, None, (S.NEW, A.REJECTED)),
    (S.CHANGED, True, None, (S.CHANGED, A.APPROVED)),
    (S.CHANGED, False, (S.NORMAL, A.APPROVED), (S.NORMAL, A.APPROVED)),  # l.1588 变更前数据
    (S.CANCELLED, True, None, (S.CANCELLED, A.APPROVED)),
    (S.CANCELLED, False, None, (S.CANCELLED, A.REJECTED)),
    (S.RESTORED, True, None, (S.NORMAL, A.APPROVED)),
    (S.RESTORED, False, None, (S.CANCELLED, A.APPROVED)),  # l.1618 显示为注销状态
    (S.DELETED, True, None, None),  # l.1641 列表不显示
    (S.DELETED, False, (S.CHANGED, A.APPROVED), (S.CHANGED, A.APPROVED)),  # l.1663 删除前状态
])
def test_decide_moves_a_submitted_record(status: Status, approved: bool, before: Any, expected: Any) -> None:
    assert pr.decide(status, A.SUBMITTED, approved, before) == expected


def test_decide_needs_a_submitted_record_and_the_state_before_for_rejected_changes() -> None:
    with pytest.raises(IllegalOperation):
        pr.decide(S.NORMAL, A.APPROVED, True)
    with pytest.raises(ValueError, match="before"):
        pr.decide(S.CHANGED, A.SUBMITTED, False)


def test_every_state_reached_by_operations_and_decisions_is_in_the_table() -> None:
    reached = {(S.NEW, A.DRAFT)}
    frontier = [(S.NEW, A.DRAFT)]
    while frontier:
        state = frontier.pop()
        nexts = [pr.apply(*state, op) for op in pr.allowed_operations(*state)]
        if state[1] is A.SUBMITTED:
            nexts += [pr.decide(*state, True), pr.decide(*state, False, (S.NORMAL, A.APPROVED))]
        for nxt in nexts:
            if nxt is not None and nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    # every pair the manual lists with an operation is reachable from a new draft
    listed = {pair for table in EXPECTED.values() for pair in table}
    assert listed <= reached


# --- applications (申请类型) ---------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "status", "audit", "path"), [
    (ApplyType.NEW, None, None, ()),
    (ApplyType.NEW, S.NEW, A.DRAFT, (OP.SUBMIT,)),
    (ApplyType.NEW, S.NEW, A.REJECTED, None),
    (ApplyType.NEW, S.NORMAL, A.APPROVED, None),
    (ApplyType.CHANGE, S.NORMAL, A.APPROVED, (OP.CHANGE, OP.SUBMIT)),
    (ApplyType.CHANGE, S.CANCELLED, A.DRAFT, (OP.CHANGE, OP.SUBMIT)),
    (ApplyType.CHANGE, S.CANCELLED, A.APPROVED, None),
    (ApplyType.CANCEL, S.CHANGED, A.APPROVED, (OP.CANCEL, OP.SUBMIT)),
    (ApplyType.CANCEL, S.CANCELLED, A.DRAFT, (OP.SUBMIT,)),
    (ApplyType.CANCEL, S.NEW, A.DRAFT, None),
    (ApplyType.RESTORE, S.CANCELLED, A.APPROVED, (OP.RESTORE, OP.SUBMIT)),
    (ApplyType.RESTORE, S.RESTORED, A.DRAFT, (OP.SUBMIT,)),
    (ApplyType.RESTORE, S.CANCELLED, A.REJECTED, None),
    (ApplyType.DELETE, S.NORMAL, A.APPROVED, (OP.DELETE, OP.SUBMIT)),
    (ApplyType.DELETE, S.CANCELLED, A.REJECTED, (OP.DELETE, OP.SUBMIT)),
    (ApplyType.DELETE, S.NEW, A.DRAFT, (OP.DELETE,)),
    (ApplyType.DELETE, S.DELETED, A.DRAFT, (OP.SUBMIT,)),
    (ApplyType.DELETE, S.RESTORED, A.APPROVED, None),
    (ApplyType.CHANGE, None, None, None),
    (ApplyType.CHANGE, S.NORMAL, None, None),
])
def test_application_path(kind: ApplyType, status: Any, audit: Any, path: Any) -> None:
    assert pr.application_path(kind, status, audit) == path


@pytest.mark.parametrize(("kind", "status", "audit"),
                         [(k, s, a) for k in ApplyType for s in Status for a in (A.SUBMITTED,)])
def test_no_application_while_the_record_awaits_review(kind: ApplyType, status: Status, audit: Audit) -> None:
    assert pr.application_path(kind, status, audit) is None


def test_submit_application_returns_the_submitted_state_or_none_for_a_local_delete() -> None:
    assert pr.submit_application("NEW") == (S.NEW, A.SUBMITTED)
    assert pr.submit_application("CHANGE", "NORMAL", "APPROVED") == (S.CHANGED, A.SUBMITTED)
    assert pr.submit_application("DELETE", "CHANGED", "APPROVED") == (S.DELETED, A.SUBMITTED)
    assert pr.submit_application("DELETE", "NEW", "REJECTED") is None
    with pytest.raises(IllegalOperation):
        pr.submit_application("RESTORE", "NORMAL", "APPROVED")


# --- arithmetic ----------------------------------------------------------------------------------

BASE = "/P"


def line(i: int = 1, price: str = "10", usage: str = "2", orig: str = "15", nonorig: str = "5") -> dict[str, str]:
    return {"SeqNo": str(i), "UnitPrice": price, "Usage": usage, "OriginatingValue": orig,
            "NonOriginatingValue": nonorig}


def product(*lines: dict[str, str], exw: str = "100", fob: str = "120", imported: str = "1",
            **extra: str) -> dict[str, Any]:
    return {"ExWorksPrice": exw, "FOBPrice": fob, "ContainsImported": imported,
            "DetailList": {"Detail": list(lines) or [line()]}, **extra}


def found(p: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v.rule_id, v.path) for v in pr.check_costs(p, BASE)}


def test_a_consistent_product_passes() -> None:
    assert found(product(line(1), line(2, "1.5", "4", "6", "0"))) == set()


def test_fob_below_ex_works() -> None:
    assert ("PRODUCT.FOB_GE_EXWORKS", "/P/FOBPrice") in found(product(exw="100", fob="99.99"))
    assert found(product(exw="100", fob="100")) == set()


def test_materials_above_ex_works_and_fob() -> None:
    # 20 + 20 = 40 of materials; ex-works 39.99 < 40 <= FOB 50
    p = product(line(1), line(2), exw="39.99", fob="50")
    assert found(p) == {("PRODUCT.MATERIALS_LE_EXWORKS", "/P/DetailList")}
    p = product(line(1), line(2), exw="30", fob="39")
    assert found(p) == {("PRODUCT.MATERIALS_LE_EXWORKS", "/P/DetailList"),
                        ("PRODUCT.MATERIALS_LE_FOB", "/P/DetailList")}
    assert found(product(line(1), line(2), exw="40", fob="40")) == set()


def test_imported_content_flag_against_non_originating_total() -> None:
    no_import = line(1, orig="20", nonorig="0")
    assert found(product(no_import, imported="1")) == {("PRODUCT.IMPORTED_NONORIG_POSITIVE", "/P/ContainsImported")}
    assert found(product(line(1), imported="0")) == {("PRODUCT.NOT_IMPORTED_NONORIG_ZERO", "/P/ContainsImported")}
    assert found(product(no_import, imported="0")) == set()


def test_line_value_is_exact_within_half_a_cent() -> None:
    # 3.3333 x 3 = 9.9999: 10.00 is within 0.005, 10.01 is not
    assert found(product(line(1, "3.3333", "3", "10.00", "0"), imported="0")) == set()
    assert found(product(line(1, "3.3333", "3", "9.9949", "0"), imported="0")) == set()
    bad = found(product(line(1, "3.3333", "3", "10.01", "0"), imported="0"))
    assert bad == {("PRODUCT.LINE_VALUE", "/P/DetailList/Detail[1]")}


def test_line_value_tolerance_boundary_is_inclusive() -> None:
    assert Decimal("0.005") == pr.LINE_VALUE_TOLERANCE
    assert found(product(line(1, "1", "1", "1.005", "0"), imported="0")) == set()
    assert found(product(line(1, "1", "1", "1.00501", "0"), imported="0")) == {
        ("PRODUCT.LINE_VALUE", "/P/DetailList/Detail[1]")}


def test_line_value_uses_exact_decimals_on_large_amounts() -> None:
    big = "12345678901234.12345"
    assert found(product(line(1, big, "1", big, "0"), exw="99999999999999", fob="99999999999999",
                         imported="0")) == set()


def test_derived_percentages_round_half_up_to_two_decimals() -> None:
    # non-originating 1.02 of 38.50 = 2.6493..% and of 41.20 = 2.4757..%
    p = product(line(1, "12", "0.085", "0", "1.02"), exw="38.50", fob="41.20")
    assert pr.derived_percentages(p) == (Decimal("2.65"), Decimal("2.48"))
    # 1 of 8 = 12.5% exactly; 1 of 400 = 0.25%; half-up on .005: 1 of 3 = 33.333 -> 33.33
    assert pr.derived_percentages(product(line(1, "1", "1", "0", "1"), exw="8", fob="400")) == (
        Decimal("12.50"), Decimal("0.25"))


def test_stated_percentages_must_match_the_derived_ones() -> None:
    ok = product(line(1, "12", "0.085", "0", "1.02"), exw="38.50", fob="41.20",
                 NonOrigExWorksPct="2.65", NonOrigFobPct="2.476")
    assert found(ok) == set()
    bad = product(line(1, "12", "0.085", "0", "1.02"), exw="38.50", fob="41.20",
                  NonOrigExWorksPct="2.64", NonOrigFobPct="2.65")
    assert found(bad) == {("PRODUCT.NONORIG_PCT_EXWORKS", "/P/NonOrigExWorksPct"),
                          ("PRODUCT.NONORIG_PCT_FOB", "/P/NonOrigFobPct")}


def test_detail_lines_are_numbered_in_order() -> None:
    assert found(product(line(1), line(3))) >= {("PRODUCT.DETAIL_SEQNO", "/P/DetailList/Detail[2]/SeqNo")}


def test_bad_numbers_and_shapes_never_raise() -> None:
    assert pr.check_costs({}, BASE) == []
    assert pr.check_costs({"ExWorksPrice": "x", "FOBPrice": "1e3", "DetailList": "junk"}, BASE) == []
    junk: Any = product({"UnitPrice": "NaN", "Usage": "-1", "OriginatingValue": ""})
    junk["DetailList"]["Detail"] += [None, "not a mapping", {"OriginatingValue": 3}]
    assert isinstance(pr.check_costs(junk, BASE), list)
    assert pr.derived_percentages(product(exw="0", fob="0")) == (None, None)


def test_violations_carry_the_manuals_field_names() -> None:
    (v,) = pr.check_costs(product(exw="100", fob="90"), BASE)
    assert v.field_cn == "单位产品FOB值"
    assert "90" in v.message and "100" in v.message


def test_cost_rules_are_described() -> None:
    assert all(rule.startswith("PRODUCT.") and text for rule, text in pr.COST_RULES.items())
