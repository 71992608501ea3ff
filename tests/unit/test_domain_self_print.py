"""Self-print rules: seals and signatures, what may be printed when, and what print exceptions do."""

from __future__ import annotations

import datetime
import struct
import zlib
from decimal import Decimal
from itertools import product

import pytest

from gateway.domain.numbering import TYPE_CODES
from gateway.domain.self_print import (
    IMAGE_MAX_BYTES,
    REASON_ACTION,
    REASON_TEXT,
    SELF_PRINT_TYPES,
    LayoutStatus,
    PrintState,
    PrintStatus,
    StampDraft,
    StampKind,
    after_layout,
    after_original,
    archive,
    can_delete_stamp,
    check_stamp,
    copy_problem,
    exception_outcome,
    exception_problem,
    image_info,
    original_problem,
    usable_on,
)

D = datetime.date


def png(width: int, height: int) -> bytes:
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg_header(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def seal(**changes: object) -> StampDraft:
    base = dict(kind=StampKind.SEAL, name="产地证印章", width_mm=Decimal(42), height_mm=Decimal(42),
                image=png(300, 300), valid_from=D(2026, 1, 1), valid_to=D(2027, 12, 31), seal_type="COMPANY",
                shape="ROUND")
    base.update(changes)
    return StampDraft(**base)  # type: ignore[arg-type]


def rules(draft: StampDraft) -> list[str]:
    return [p.rule for p in check_stamp(draft)]


def test_the_fifteen_self_print_types_are_known_certificate_types() -> None:
    assert len(SELF_PRINT_TYPES) == 15 and set(SELF_PRINT_TYPES) <= set(TYPE_CODES)
    assert {"E", "RC", "G"}.isdisjoint(SELF_PRINT_TYPES)


def test_image_headers_give_format_and_pixels() -> None:
    info = image_info(png(320, 200))
    assert info is not None and (info.format, info.width, info.height) == ("PNG", 320, 200)
    info = image_info(jpeg_header(640, 480))
    assert info is not None and (info.format, info.width, info.height) == ("JPEG", 640, 480)
    assert image_info(b"GIF89a....") is None and image_info(b"") is None


def test_a_valid_seal_and_signature_pass() -> None:
    assert check_stamp(seal()) == []
    signature = StampDraft(StampKind.SIGNATURE, "张三", Decimal(35), Decimal(21), jpeg_header(700, 420))
    assert check_stamp(signature) == []


@pytest.mark.parametrize(("shape", "width", "height", "ok"), [
    ("ROUND", 45, 45, True), ("ROUND", 45.1, 45.1, False), ("ROUND", 40, 42, False),
    ("RECTANGLE", 55, 40, True), ("RECTANGLE", 40, 55, True), ("RECTANGLE", 56, 30, False),
    ("RECTANGLE", 50, 41, False),
    ("OVAL", 55, 45, True), ("OVAL", 45, 55, True), ("OVAL", 55.5, 40, False), ("OVAL", 50, 46, False),
])
def test_seal_size_limits_of_the_manual(shape: str, width: float, height: float, ok: bool) -> None:
    problems = check_stamp(seal(shape=shape, width_mm=Decimal(str(width)), height_mm=Decimal(str(height))))
    assert (problems == []) is ok
    if not ok:
        assert problems[0].rule == f"SEAL.SIZE_{shape}" and problems[0].field_cn.startswith("印章")


def test_signature_is_at_most_four_by_four_centimetres() -> None:
    big = StampDraft(StampKind.SIGNATURE, "张三", Decimal(41), Decimal(20), png(400, 200))
    assert [p.rule for p in check_stamp(big)] == ["SIGNATURE.SIZE"]


def test_seal_fields_are_checked_with_their_chinese_names() -> None:
    problems = check_stamp(seal(name="印" * 26, seal_type="PERSONAL", valid_from=D(2027, 1, 1), valid_to=D(2026, 1, 1),
                                remark="x" * 201))
    assert [(p.rule, p.field_cn) for p in problems] == [
        ("STAMP.NAME_LENGTH", "印章名称"), ("STAMP.REMARK_LENGTH", "备注"), ("SEAL.TYPE", "印章类型"),
        ("SEAL.VALIDITY_ORDER", "印章有效结束日期")]
    assert rules(seal(name="  ")) == ["STAMP.NAME_REQUIRED"]
    assert rules(seal(valid_to=None)) == ["SEAL.VALIDITY_REQUIRED"]
    assert rules(seal(shape="STAR")) == ["SEAL.SHAPE"]
    assert rules(seal(width_mm=Decimal(0))) == ["STAMP.SIZE_POSITIVE"]


def test_seal_image_format_size_and_pixels() -> None:
    assert rules(seal(image=b"")) == ["STAMP.IMAGE_REQUIRED"]
    assert rules(seal(image=b"GIF89a" + b"\x00" * 100)) == ["STAMP.IMAGE_FORMAT"]
    assert rules(seal(image=png(80, 300))) == ["STAMP.IMAGE_PIXELS"]
    assert rules(seal(image=jpeg_header(600, 600) + b"\x00" * IMAGE_MAX_BYTES)) == ["STAMP.IMAGE_SIZE"]
    assert rules(seal(image=jpeg_header(600, 600))) == []


def test_delete_only_when_disabled_and_usable_only_when_enabled_and_valid() -> None:
    assert can_delete_stamp(enabled=True) is not None and can_delete_stamp(enabled=False) is None
    assert usable_on(True, D(2026, 1, 1), D(2026, 12, 31), D(2026, 6, 1))
    assert not usable_on(False, D(2026, 1, 1), D(2026, 12, 31), D(2026, 6, 1))
    assert not usable_on(True, D(2026, 1, 1), D(2026, 12, 31), D(2027, 1, 1))
    assert not usable_on(True, D(2026, 1, 1), D(2026, 12, 31), D(2025, 12, 31))
    assert usable_on(True, None, None, D(2030, 1, 1))  # signatures have no validity dates


@pytest.mark.parametrize(("layout", "status", "seal_ok", "signature_ok"),
                         list(product(LayoutStatus, PrintStatus, (True, False), (True, False))))
def test_original_only_when_layout_received_not_archived_pending_with_seal_and_signature(
        layout: LayoutStatus, status: PrintStatus, seal_ok: bool, signature_ok: bool) -> None:
    state = PrintState("K", layout, status)
    allowed = (layout == LayoutStatus.RECEIVED and status == PrintStatus.PENDING and seal_ok and signature_ok)
    assert (original_problem(state, has_seal=seal_ok, has_signature=signature_ok) is None) is allowed
    assert copy_problem(state) is None  # a copy prints in any status


def test_types_outside_the_fifteen_print_neither_original_nor_copy() -> None:
    state = PrintState("E", LayoutStatus.RECEIVED, PrintStatus.PENDING)
    assert original_problem(state, has_seal=True, has_signature=True).rule == "PRINT.TYPE_NOT_ELIGIBLE"  # type: ignore[union-attr]
    assert copy_problem(state).rule == "PRINT.TYPE_NOT_ELIGIBLE"  # type: ignore[union-attr]


def test_print_status_moves_pending_printed_archived() -> None:
    state = PrintState("C", LayoutStatus.RECEIVED, PrintStatus.PENDING)
    printed = after_original(state)
    assert printed.status == PrintStatus.PRINTED
    assert archive(printed).status == PrintStatus.ARCHIVED
    with pytest.raises(ValueError, match="only printed"):
        archive(state)
    again = original_problem(printed, has_seal=True, has_signature=True)
    assert again is not None and again.rule == "PRINT.NOT_PENDING"


@pytest.mark.parametrize("reason", sorted(REASON_ACTION))
@pytest.mark.parametrize("status", [PrintStatus.PRINTED, PrintStatus.ARCHIVED])
def test_exception_outcomes_reprint_or_new_layout(reason: str, status: PrintStatus) -> None:
    state = PrintState("A", LayoutStatus.RECEIVED, status)
    detail = "第2页货物描述缺失" if REASON_ACTION[reason] == "NEW_LAYOUT" else ""
    assert exception_problem(state, reason, detail) is None
    outcome = exception_outcome(state, reason)
    assert outcome.action == REASON_ACTION[reason] and outcome.state.status == PrintStatus.PENDING
    blocked = original_problem(outcome.state, has_seal=True, has_signature=True)
    if outcome.action == "REPRINT":  # device problem: print the original again at once
        assert blocked is None
    else:  # content problem: the original waits for the new layout customs generates
        assert outcome.state.layout == LayoutStatus.RECEIVING and blocked is not None
        assert blocked.rule == "PRINT.LAYOUT_NOT_RECEIVED"
        ready = after_layout(outcome.state, LayoutStatus.RECEIVED)
        assert original_problem(ready, has_seal=True, has_signature=True) is None


def test_exception_requests_are_checked() -> None:
    printed = PrintState("A", LayoutStatus.RECEIVED, PrintStatus.PRINTED)
    assert exception_problem(printed, "COFFEE_SPILL", "").rule == "PRINTEXC.REASON"  # type: ignore[union-attr]
    assert exception_problem(printed, "CONTENT_WRONG", " ").rule == "PRINTEXC.DETAIL_REQUIRED"  # type: ignore[union-attr]
    assert exception_problem(printed, "CONTENT_WRONG", "x" * 1001).rule == "PRINTEXC.DETAIL_LENGTH"  # type: ignore[union-attr]
    pending = PrintState("A", LayoutStatus.RECEIVED, PrintStatus.PENDING)
    assert exception_problem(pending, "PAPER_JAM", "").rule == "PRINTEXC.NOT_PRINTED"  # type: ignore[union-attr]
    assert exception_problem(PrintState("E", LayoutStatus.RECEIVED, PrintStatus.PRINTED), "PAPER_JAM", "") is not None
    assert set(REASON_TEXT) == set(REASON_ACTION)
