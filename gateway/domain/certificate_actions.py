"""What a declarant may do with a certificate in the query list (seed 001 ch. 5), and the data of an
amendment / reissue built from the original.

Manual rules (第五章 证书查询):
- 删除 delete: only 暂存 (draft, not yet sent) and 退证 (returned) certificates; several at once.
- 更改证 amend, 更改重发证 amend-and-reissue: only 审核通过 (approved) certificates.
- 重发证 reissue: approved certificates, or a reissue (CertStatus 2) that is a draft or was returned.
- 复制 copy and 单证转换 type conversion: any certificate; a new number is allocated.
- 存档 archive: for certificates whose self-print original (自助打印正本) was printed; hides them from the
  default list (the filter 已手动存档 shows them). The manual says it is not 归档 and has nothing to do with
  it: the print status (PENDING → PRINTED → ARCHIVED 已归档, ``self_print``) stays as it is, and both
  PRINTED and ARCHIVED mean the original was printed.
The gateway never forgets what it accepted: delete and archive only hide the row from the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from gateway.domain.self_print import PrintStatus, eligible

DRAFT, RETURNED, APPROVED = "DRAFT", "RETURNED", "APPROVED"


class Action(StrEnum):
    DELETE = "delete"
    AMEND = "amend"
    REISSUE = "reissue"
    AMEND_REISSUE = "amend-reissue"
    COPY = "copy"
    CONVERT = "convert"
    ARCHIVE = "archive"

    @property
    def label_cn(self) -> str:
        return _LABELS[self]


_LABELS = {Action.DELETE: "删除", Action.AMEND: "更改证", Action.REISSUE: "重发证", Action.AMEND_REISSUE: "更改重发证",
           Action.COPY: "复制", Action.CONVERT: "单证转换", Action.ARCHIVE: "存档"}

#: CertStatus of the new certificate each amendment kind declares (certificate_rules.STATUS_NAMES).
CERT_STATUS = {Action.AMEND: "1", Action.REISSUE: "2", Action.AMEND_REISSUE: "3"}
AMENDMENTS = tuple(CERT_STATUS)
#: Print statuses of a certificate whose self-print original has been printed (归档 comes after printing).
ORIGINAL_PRINTED = frozenset({PrintStatus.PRINTED.value, PrintStatus.ARCHIVED.value})


def allowed(status: str, cert_status: str = "0", *, archived: bool = False,
            print_status: str = PrintStatus.PENDING.value) -> frozenset[Action]:
    """The actions the manual allows for a certificate in business ``status`` (DocumentStatus value) and
    self-print ``print_status`` (PENDING when it was never printed)."""
    out = {Action.COPY, Action.CONVERT}
    if not archived and print_status in ORIGINAL_PRINTED:
        out.add(Action.ARCHIVE)
    if status in (DRAFT, RETURNED):
        out.add(Action.DELETE)
    if status == APPROVED:
        out |= {Action.AMEND, Action.REISSUE, Action.AMEND_REISSUE}
    elif cert_status == "2" and status in (DRAFT, RETURNED):
        out.add(Action.REISSUE)
    return frozenset(out)


def refusal(action: Action, status: str, status_cn: str, *, archived: bool = False, cert_type: str = "",
            print_status: str = PrintStatus.PENDING.value) -> str:
    """Why ``action`` is not allowed, in the manual's words."""
    if action is Action.ARCHIVE:
        return archive_refusal(cert_type, print_status, archived=archived)
    if action is Action.DELETE:
        return f"删除: only draft (暂存) or returned (退证) certificates can be deleted; this one is {status_cn}"
    if action is Action.REISSUE:
        return (f"重发证: only approved (审核通过) certificates, or a reissue that is a draft or returned, can be "
                f"reissued; this one is {status_cn}")
    return f"{action.label_cn}: only approved (审核通过) certificates can be {action.value}ed; this one is {status_cn}"


def archive_refusal(cert_type: str, print_status: str, *, archived: bool = False) -> str:
    """Why 存档 is refused: archived already, never self-printed, or its original not printed (yet)."""
    if archived:
        return "存档 archive: this certificate is archived already (已手动存档)"
    rule = "only certificates whose self-print original (自助打印正本) has been printed can be archived"
    if cert_type and not eligible(cert_type):
        return f"存档 archive: {rule}; type {cert_type} is not one of the self-print types"
    return f"存档 archive: {rule}; this one's print status is {print_status} (the original is not printed)"


def amendment_mod(action: Action, original_head: Mapping[str, Any], original_mod: Mapping[str, Any] | None, *,
                  declared_on: str, issued_on: str) -> dict[str, str]:
    """Initial ModCertificate values for amending / reissuing the original.

    A reissue of a returned reissue keeps pointing at the first certificate (its own OldCertNo)."""
    if original_mod and str(original_head.get("CertStatus", "0")) != "0":
        base = {k: str(v) for k, v in original_mod.items() if v is not None}
    else:
        base = {"OldCertNo": str(original_head.get("CertNo", "")), "OldDeclDate": declared_on,
                "OldIssueDate": issued_on}
    mod = {"OldCertNo": base.get("OldCertNo", ""), "ModReason": "", "ModColm": "", "OldSituDesc": "",
           "ModSituDesc": "", "OldDeclDate": base.get("OldDeclDate", ""), "OldIssueDate": base.get("OldIssueDate", "")}
    if action is Action.REISSUE:
        for k in ("ModColm", "OldSituDesc", "ModSituDesc"):
            mod.pop(k)
    return mod
