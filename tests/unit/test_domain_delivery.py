import pytest

from gateway.domain.delivery import (
    ALLOWED,
    TERMINAL,
    DeliveryState,
    DocumentStatus,
    apply_receipt_status,
    can_transition,
    transition,
)
from gateway.domain.errors import DomainError, IllegalTransition, UnknownStatus

S = DeliveryState

LEGAL = [
    (S.RECEIVED, S.VALIDATED),
    (S.RECEIVED, S.REJECTED),
    (S.VALIDATED, S.QUEUED),
    (S.QUEUED, S.SENDING),
    (S.SENDING, S.SENT),
    (S.SENDING, S.RETRY_WAIT),
    (S.SENDING, S.FAILED),
    (S.SENT, S.ACKNOWLEDGED),
    (S.SENT, S.FAILED),
    (S.ACKNOWLEDGED, S.DONE),
    (S.RETRY_WAIT, S.SENDING),
    (S.RETRY_WAIT, S.FAILED),
    (S.FAILED, S.QUEUED),
]

ILLEGAL = [
    (S.RECEIVED, S.QUEUED),
    (S.RECEIVED, S.SENDING),
    (S.REJECTED, S.VALIDATED),
    (S.VALIDATED, S.SENT),
    (S.SENT, S.SENDING),
    (S.ACKNOWLEDGED, S.SENT),
    (S.DONE, S.QUEUED),
    (S.FAILED, S.DONE),
    (S.QUEUED, S.QUEUED),
]


def test_every_state_has_a_row():
    assert set(ALLOWED) == set(DeliveryState)


def test_terminal_states_are_rejected_and_done():
    assert {S.REJECTED, S.DONE} == TERMINAL


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_legal_transition_returns_target(current, target):
    assert transition(current, target) is target
    assert can_transition(current, target)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_transition_raises(current, target):
    with pytest.raises(IllegalTransition) as info:
        transition(current, target)
    assert info.value.current == current
    assert info.value.target == target
    assert isinstance(info.value, DomainError)


def test_transition_accepts_stored_strings():
    assert transition("RECEIVED", "VALIDATED") is S.VALIDATED


def test_unknown_state_name_is_an_illegal_transition():
    assert not can_transition("RECEIVED", "LOST")
    with pytest.raises(IllegalTransition):
        transition("NOWHERE", "VALIDATED")


def test_happy_path_walks_to_done():
    state = S.RECEIVED
    for nxt in (S.VALIDATED, S.QUEUED, S.SENDING, S.SENT, S.ACKNOWLEDGED, S.DONE):
        state = transition(state, nxt)
    assert state is S.DONE


def test_document_status_chinese_labels():
    assert {s: s.label_cn for s in DocumentStatus} == {
        DocumentStatus.DRAFT: "暂存",
        DocumentStatus.SENT_TO_CUSTOMS: "数据已发往海关",
        DocumentStatus.IMPORT_FAILED: "导入失败",
        DocumentStatus.STORED: "海关入库成功",
        DocumentStatus.APPROVED: "审核通过",
        DocumentStatus.RETURNED: "退证",
    }


D = DocumentStatus


@pytest.mark.parametrize(
    ("current", "code", "expected"),
    [
        (D.DRAFT, "SENT_TO_CUSTOMS", D.SENT_TO_CUSTOMS),
        (D.SENT_TO_CUSTOMS, "STORED", D.STORED),
        (D.SENT_TO_CUSTOMS, "IMPORT_FAILED", D.IMPORT_FAILED),
        (D.STORED, "APPROVED", D.APPROVED),
        (D.STORED, "RETURNED", D.RETURNED),
        (D.SENT_TO_CUSTOMS, "APPROVED", D.APPROVED),  # STORED receipt lost or late
        (D.IMPORT_FAILED, "STORED", D.STORED),  # customs did store it after all
    ],
)
def test_receipt_moves_status_forward(current, code, expected):
    assert apply_receipt_status(current, code) is expected


@pytest.mark.parametrize(
    ("current", "code"),
    [
        (D.APPROVED, "STORED"),  # late STORED after APPROVED
        (D.APPROVED, "SENT_TO_CUSTOMS"),
        (D.RETURNED, "STORED"),
        (D.STORED, "SENT_TO_CUSTOMS"),
        (D.STORED, "IMPORT_FAILED"),
        (D.APPROVED, "RETURNED"),  # final outcomes are not overwritten by receipts
        (D.RETURNED, "APPROVED"),
        (D.APPROVED, "APPROVED"),  # duplicate receipt
    ],
)
def test_receipt_never_moves_status_backwards(current, code):
    assert apply_receipt_status(current, code) is current


def test_receipt_status_accepts_enum_and_lower_case():
    assert apply_receipt_status("STORED", D.APPROVED) is D.APPROVED
    assert apply_receipt_status(D.STORED, " approved ") is D.APPROVED


def test_unknown_receipt_status_raises():
    with pytest.raises(UnknownStatus):
        apply_receipt_status(D.STORED, "MAYBE")
