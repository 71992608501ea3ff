"""Self-print 自助打印 rules (seed 001 ch. 13, seed 003 part 2): seals and signatures, what may be printed
when, and what a print exception does. Pure: no I/O, every decision explains itself.

- Seals 印章 (l.1229-1357): name ≤ 25 characters, type 公司章 / 合同章 / 财务章, validity dates, remark ≤
  200 characters, shape limits round ⌀ ≤ 45 mm, rectangle ≤ 55 × 40 mm, oval ≤ 55 × 45 mm; scans are
  JPG/JPEG (PNG is accepted as an already extracted image, *assumed*). Signatures 签名 (l.1418-1495): black
  handwriting, about 4 cm × 4 cm at most. Both: enable / disable; delete only when disabled
  (l.1391 "若要删除印章，请先停用后再删除").
- Printing (l.1726-1745): the original only when the layout (版式) was received, the certificate is not
  archived and its print status is pending; a copy at any time. Printed → archived after a while.
- Print exceptions (l.1778-1785): device problems allow a reprint; missing or wrong content makes customs
  generate a new layout, and the original waits for it.
"""

from __future__ import annotations

import datetime
import struct
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from gateway.domain.families.gacc_selfprint import REASON_ACTION, SEAL_LIMITS, SELF_PRINT_TYPES

__all__ = ["REASON_ACTION", "SEAL_LIMITS", "SELF_PRINT_TYPES"]

SEAL_TYPES = MappingProxyType({"COMPANY": "公司章", "CONTRACT": "合同章", "FINANCE": "财务章"})
SEAL_SHAPES = MappingProxyType({"ROUND": "圆形", "RECTANGLE": "长方形", "OVAL": "椭圆形"})
SIGNATURE_LIMIT_MM = (Decimal(40), Decimal(40))  # l.1470: 签名大小尽量控制在4cm*4cm以内
NAME_MAX = 25  # l.1336 印章名称 最多25个汉字
REMARK_MAX = 200  # l.1352 / l.1489 备注 最多200个汉字
IMAGE_MAX_BYTES = 1024 * 1024  # *assumed*: the manual names no file size; a 600 dpi seal scan crop is far below
IMAGE_MIN_PIXELS = 100  # *assumed*: fewer pixels than this cannot print sharply at 45 mm
IMAGE_MAX_PIXELS = 36_000_000  # the manual's scan, a whole A4 page at 600 dpi (4961 × 7016), and no more
IMAGE_FORMATS = ("JPEG", "PNG")

REASON_TEXT = MappingProxyType({
    "POWER_LOSS": "打印过程中断电",
    "NO_PAPER": "打印机缺纸",
    "PAPER_JAM": "打印过程中卡纸",
    "LOW_TONER": "打印机墨盒或碳粉不足",
    "DEVICE_FAULT": "打印过程中打印机出现无法判断的机器故障",
    "CONTENT_MISSING": "证书打印内容有缺失",
    "CONTENT_WRONG": "证书打印内容有误",
})


class StampKind(StrEnum):
    SEAL = "SEAL"
    SIGNATURE = "SIGNATURE"


class LayoutStatus(StrEnum):
    """版式接收状态."""

    NONE = "NONE"  # no layout yet (not approved, or not a self-print certificate)
    RECEIVING = "RECEIVING"  # 接收中 (also: a new layout was requested)
    RECEIVED = "RECEIVED"  # 接收成功
    FAILED = "FAILED"


class PrintStatus(StrEnum):
    PENDING = "PENDING"  # 待打印
    PRINTED = "PRINTED"  # 已打印
    ARCHIVED = "ARCHIVED"  # 已归档


PRINT_TRANSITIONS = MappingProxyType({
    PrintStatus.PENDING: frozenset({PrintStatus.PRINTED}),
    PrintStatus.PRINTED: frozenset({PrintStatus.ARCHIVED, PrintStatus.PENDING}),  # pending again: exception
    PrintStatus.ARCHIVED: frozenset({PrintStatus.PENDING}),  # an exception on an archived certificate
})


@dataclass(frozen=True)
class Problem:
    """A rule that was not met: which field, which rule, in English, with the manual's Chinese name."""

    rule: str
    field: str
    message: str
    field_cn: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "field": self.field, "message": self.message, "field_cn": self.field_cn}


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int


def image_info(data: bytes) -> ImageInfo | None:
    """Format and pixel size from a PNG or JPEG header, or None when it is neither."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return ImageInfo("PNG", width, height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (length,) = struct.unpack(">H", data[i + 2:i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return ImageInfo("JPEG", width, height)
            i += 2 + length
    return None


@dataclass(frozen=True)
class StampDraft:
    kind: StampKind
    name: str
    width_mm: Decimal
    height_mm: Decimal
    image: bytes
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    seal_type: str = ""  # seals: COMPANY / CONTRACT / FINANCE
    shape: str = ""  # seals: ROUND / RECTANGLE / OVAL
    remark: str = ""


def check_stamp(d: StampDraft) -> list[Problem]:
    """Every rule a new (or edited) seal or signature breaks; empty when it may be saved."""
    found: list[Problem] = []
    seal = d.kind == StampKind.SEAL
    what = "seal" if seal else "signature"
    name_cn = "印章名称" if seal else "签名名称"
    if not d.name.strip():
        found.append(Problem("STAMP.NAME_REQUIRED", "name", f"the {what} needs a name", name_cn))
    elif len(d.name.strip()) > NAME_MAX:
        found.append(Problem("STAMP.NAME_LENGTH", "name", f"the name has {len(d.name.strip())} characters, "
                             f"at most {NAME_MAX} are allowed", name_cn))
    if len(d.remark) > REMARK_MAX:
        found.append(Problem("STAMP.REMARK_LENGTH", "remark", f"the remark has {len(d.remark)} characters, at most "
                             f"{REMARK_MAX} are allowed", "备注"))
    if seal:
        if d.seal_type not in SEAL_TYPES:
            found.append(Problem("SEAL.TYPE", "seal_type", f"seal type {d.seal_type!r} is not one of "
                                 + ", ".join(f"{k} ({v})" for k, v in SEAL_TYPES.items()), "印章类型"))
        if d.valid_from is None or d.valid_to is None:
            found.append(Problem("SEAL.VALIDITY_REQUIRED", "valid_from" if d.valid_from is None else "valid_to",
                                 "a seal needs its validity start and end dates", "印章有效开始日期/结束日期"))
        elif d.valid_from > d.valid_to:
            found.append(Problem("SEAL.VALIDITY_ORDER", "valid_to", f"valid_to {d.valid_to} is before valid_from "
                                 f"{d.valid_from}", "印章有效结束日期"))
    found.extend(_size_problems(d))
    found.extend(_image_problems(d.image, what))
    return found


def _size_problems(d: StampDraft) -> list[Problem]:
    if d.width_mm <= 0 or d.height_mm <= 0:
        return [Problem("STAMP.SIZE_POSITIVE", "width_mm" if d.width_mm <= 0 else "height_mm",
                        "printed width and height must be more than 0 mm", "宽度/高度(毫米)")]
    if d.kind == StampKind.SIGNATURE:
        limit_w, limit_h = SIGNATURE_LIMIT_MM
        if d.width_mm > limit_w or d.height_mm > limit_h:
            return [Problem("SIGNATURE.SIZE", "width_mm" if d.width_mm > limit_w else "height_mm",
                            f"a signature is at most {limit_w} × {limit_h} mm, got {d.width_mm} × {d.height_mm} mm",
                            "签名宽度/高度(毫米)")]
        return []
    if d.shape not in SEAL_LIMITS:
        return [Problem("SEAL.SHAPE", "shape", f"seal shape {d.shape!r} is not one of "
                        + ", ".join(f"{k} ({v})" for k, v in SEAL_SHAPES.items()), "印章规格")]
    long_limit, short_limit = SEAL_LIMITS[d.shape]
    long_side, short_side = max(d.width_mm, d.height_mm), min(d.width_mm, d.height_mm)
    if d.shape == "ROUND" and d.width_mm != d.height_mm:
        return [Problem("SEAL.SIZE_ROUND", "height_mm", f"a round seal has one diameter: width {d.width_mm} mm and "
                        f"height {d.height_mm} mm differ", "印章高度(毫米)")]
    if long_side > long_limit or short_side > short_limit:
        rule = {"ROUND": "SEAL.SIZE_ROUND", "RECTANGLE": "SEAL.SIZE_RECTANGLE", "OVAL": "SEAL.SIZE_OVAL"}[d.shape]
        limit = f"{long_limit} mm" if d.shape == "ROUND" else f"{long_limit} × {short_limit} mm"
        return [Problem(rule, "width_mm" if d.width_mm >= d.height_mm else "height_mm",
                        f"a {d.shape.lower()} seal is at most {limit}, got {d.width_mm} × {d.height_mm} mm",
                        "印章宽度/高度(毫米)")]
    return []


def _image_problems(image: bytes, what: str) -> list[Problem]:
    field_cn = "印章图片" if what == "seal" else "签名图片"
    if not image:
        return [Problem("STAMP.IMAGE_REQUIRED", "image", f"upload the scanned {what} image", field_cn)]
    if len(image) > IMAGE_MAX_BYTES:
        return [Problem("STAMP.IMAGE_SIZE", "image", f"the image has {len(image)} bytes, at most "
                        f"{IMAGE_MAX_BYTES} are allowed", field_cn)]
    info = image_info(image)
    if info is None:
        return [Problem("STAMP.IMAGE_FORMAT", "image", "the image must be a JPG/JPEG scan (or a PNG)", field_cn)]
    if info.width * info.height > IMAGE_MAX_PIXELS:  # checked before anything decodes it (decompression bombs)
        return [Problem("STAMP.IMAGE_PIXELS", "image", f"the image is {info.width} × {info.height} pixels; at most "
                        f"{IMAGE_MAX_PIXELS} pixels (an A4 page at 600 dpi) are accepted", field_cn)]
    if min(info.width, info.height) < IMAGE_MIN_PIXELS:
        return [Problem("STAMP.IMAGE_PIXELS", "image", f"the image is {info.width} × {info.height} pixels; at least "
                        f"{IMAGE_MIN_PIXELS} on each side are needed to print sharply (scan at 600 dpi)", field_cn)]
    return []


def can_delete_stamp(enabled: bool) -> Problem | None:
    if enabled:
        return Problem("STAMP.DELETE_ENABLED", "enabled", "disable the seal or signature before deleting it",
                       "使用状态")
    return None


def usable_on(enabled: bool, valid_from: datetime.date | None, valid_to: datetime.date | None,
              day: datetime.date) -> bool:
    """A seal or signature can go on a print: enabled and (for seals) within its validity dates."""
    return enabled and (valid_from is None or valid_from <= day) and (valid_to is None or day <= valid_to)


# --- printing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintState:
    cert_type: str
    layout: LayoutStatus
    status: PrintStatus


def eligible(cert_type: str) -> bool:
    return cert_type in SELF_PRINT_TYPES


def original_problem(state: PrintState, *, has_seal: bool, has_signature: bool) -> Problem | None:
    """Why the original may not be printed now, or None (seed 003 l.1728: 接收成功, 未归档, 待打印)."""
    if not eligible(state.cert_type):
        return Problem("PRINT.TYPE_NOT_ELIGIBLE", "cert_type", f"type {state.cert_type} is not one of the 15 "
                       f"self-print types ({', '.join(SELF_PRINT_TYPES)})", "证书类别")
    if state.layout != LayoutStatus.RECEIVED:
        return Problem("PRINT.LAYOUT_NOT_RECEIVED", "layout_status", f"the layout from customs is "
                       f"{state.layout.value}, the original needs it RECEIVED", "版式接收状态")
    if state.status == PrintStatus.ARCHIVED:
        return Problem("PRINT.ARCHIVED", "print_status", "the certificate is archived: only copies can be printed",
                       "归档状态")
    if state.status != PrintStatus.PENDING:
        return Problem("PRINT.NOT_PENDING", "print_status", f"the original was {state.status.value.lower()} "
                       "already: file a print exception to print it again", "打印状态")
    if not has_seal or not has_signature:
        missing = "seal" if not has_seal else "signature"
        return Problem("PRINT.NO_DEFAULT_" + missing.upper(), missing, f"no enabled, valid default {missing}",
                       "默认印章" if missing == "seal" else "默认签名")
    return None


def copy_problem(state: PrintState) -> Problem | None:
    """Copies print in any status (l.1738 任何状态下均可打印副本), of a self-print certificate."""
    if not eligible(state.cert_type):
        return Problem("PRINT.TYPE_NOT_ELIGIBLE", "cert_type", f"type {state.cert_type} is not one of the 15 "
                       "self-print types", "证书类别")
    return None


def archive_problem(state: PrintState) -> Problem | None:
    """Why the certificate cannot be archived (归档) now: only printed ones are."""
    if state.status != PrintStatus.PRINTED:
        return Problem("PRINT.ARCHIVE", "print_status", f"only printed certificates are archived, this one is "
                       f"{state.status.value}", "归档状态")
    return None


def after_original(state: PrintState) -> PrintState:
    return PrintState(state.cert_type, state.layout, PrintStatus.PRINTED)


def archive(state: PrintState) -> PrintState:
    problem = archive_problem(state)
    if problem:
        raise ValueError(problem.message)
    return PrintState(state.cert_type, state.layout, PrintStatus.ARCHIVED)


@dataclass(frozen=True)
class ExceptionOutcome:
    action: str  # REPRINT | NEW_LAYOUT
    state: PrintState


def exception_state_problem(state: PrintState) -> Problem | None:
    """Why no print exception can be filed for the certificate now, whatever the reason."""
    if not eligible(state.cert_type):
        return Problem("PRINTEXC.TYPE_NOT_ELIGIBLE", "cert_type", f"type {state.cert_type} is not self-printed",
                       "证书类别")
    if state.status == PrintStatus.PENDING:
        return Problem("PRINTEXC.NOT_PRINTED", "print_status", "only printed certificates can have a print "
                       "exception (已打印证书列表)", "打印状态")
    return None


def exception_problem(state: PrintState, reason: str, detail: str) -> Problem | None:
    if reason not in REASON_ACTION:
        return Problem("PRINTEXC.REASON", "reason", f"reason {reason!r} is not one of "
                       + ", ".join(f"{k} ({v})" for k, v in REASON_TEXT.items()), "打印异常原因")
    state_problem = exception_state_problem(state)
    if state_problem:
        return state_problem
    if REASON_ACTION[reason] == "NEW_LAYOUT" and not detail.strip():
        return Problem("PRINTEXC.DETAIL_REQUIRED", "detail", f"reason {reason} needs the problem details",
                       "原产地证书打印文件问题详情")
    if len(detail) > 1000:
        return Problem("PRINTEXC.DETAIL_LENGTH", "detail", "the problem details are at most 1000 characters",
                       "原产地证书打印文件问题详情")
    return None


def exception_outcome(state: PrintState, reason: str) -> ExceptionOutcome:
    """Device problems: pending again with the same layout. Content problems: wait for a new layout."""
    action = REASON_ACTION[reason]
    layout = state.layout if action == "REPRINT" else LayoutStatus.RECEIVING
    return ExceptionOutcome(action, PrintState(state.cert_type, layout, PrintStatus.PENDING))


def after_layout(state: PrintState, layout: LayoutStatus) -> PrintState:
    return PrintState(state.cert_type, layout, state.status)
