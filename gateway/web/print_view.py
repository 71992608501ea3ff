"""What the certificate pages show about printing (seed 001 ch. 4-5, seed 003 part 2): the labels of
each kind of print and state, and the print state of listed certificates, read through the same
printing service the API uses. Shared by the certificate query, the certificate page and the print
routes (gateway/web/ui_prints.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.domain.self_print import REASON_ACTION, REASON_TEXT, Problem
from gateway.services import printing
from gateway.services.errors import NotFound
from gateway.web.access import container, current_user

KIND_LABELS = {
    "certificate": ("证书", "certificate"),
    "application": ("申请书", "application form"),
    "invoice": ("发票", "invoice"),
    "slip": ("认证凭条", "authentication slip"),
    "original": ("正本", "self-print original"),
    "copy": ("副本", "copy"),
}
LAYOUT_CN = {"NONE": "无版式", "RECEIVING": "接收中", "RECEIVED": "接收成功", "FAILED": "接收失败"}
PRINT_STATUS_CN = {"PENDING": "待打印", "PRINTED": "已打印", "ARCHIVED": "已归档"}
ACTION_CN = {"REPRINT": "该操作可重新打印原产地证书",
             "NEW_LAYOUT": "该操作将重新生成原产地证书打印文件, 请等待海关反馈结果"}
#: 打印异常原因和操作类型, in the manual's order (seed 003 l.1778-1785).
REASONS = [(code, REASON_TEXT[code], REASON_ACTION[code], ACTION_CN[REASON_ACTION[code]]) for code in REASON_TEXT]


def problem_text(p: Problem | dict[str, str]) -> str:
    """One refusal as a person reads it: rule, the manual's field name, the reason in English."""
    d = p.as_dict() if isinstance(p, Problem) else p
    cn = f" 【{d['field_cn']}】" if d.get("field_cn") else ""
    return f"{d['rule']}{cn}: {d['message']}"


def printer_id() -> str:
    """The enterprise of the person printing: an agent's people print a principal's original only with
    that principal's 代理打印授权."""
    user = current_user()
    return user.enterprise_id if user else ""


def printable(row: dict[str, Any]) -> bool:
    """A certificate row that has something to print: a number, accepted input, not deleted."""
    document = row.get("document")
    deleted = document["deleted"] if isinstance(document, dict) else row.get("deleted", False)
    return bool(row.get("cert_no")) and row.get("state") != "REJECTED" and not deleted


def list_prints(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """message_id → print state and availability, for the rows of the certificate query."""
    by_enterprise: dict[str, dict[str, str]] = {}
    for r in rows:
        if printable(r):
            by_enterprise.setdefault(r["enterprise_id"], {})[r["cert_no"]] = r["cert_type"]
    sp = container().self_print
    overview: dict[tuple[str, str], dict[str, Any]] = {}
    for enterprise_id, certificates in by_enterprise.items():
        for cert_no, view in printing.print_overview(sp, enterprise_id, certificates,
                                                     printer_id=printer_id() or None).items():
            overview[(enterprise_id, cert_no)] = view
    return {r["message_id"]: overview[(r["enterprise_id"], r["cert_no"])] for r in rows
            if (r["enterprise_id"], r["cert_no"]) in overview}


def print_statuses(details: Sequence[dict[str, Any]]) -> dict[str, str]:
    """message_id → self-print status (PENDING when never printed) of certificate details (message_detail)."""
    rows = [{**d, "cert_type": d["document"]["cert_type"]} for d in details]
    views = list_prints(rows)
    return {d["message_id"]: views.get(d["message_id"], {}).get("print_status", "PENDING") for d in details}


def certificate_prints(detail: dict[str, Any]) -> dict[str, Any] | None:
    """The print panel of one certificate page: state, history, exception requests, what may be done."""
    if detail.get("family") != "gacc_certificate" or not printable(detail):
        return None
    try:
        return printing.print_view(container().self_print, detail["enterprise_id"], detail["cert_no"],
                                   printer_id=printer_id() or None)
    except NotFound:
        return None  # this number only ever came as rejected input
