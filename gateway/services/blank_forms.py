"""空白证单 blank certificate forms (seed 001 ch. 8): 核销 write-off of serials against one approved
certificate and 作废 void of unused serials, each one message through ``accept_message``.

The manual's 方式二 (返填流水号 by 核销页数, l.1816-1828) is done here before sending: the next unused serials of
the pool are filled in (``gacc_blankform.next_unused_serials``), so the declarant sees them and the message
lists them together with the page count.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from gateway.domain.families.gacc_blankform import next_unused_serials
from gateway.services import xml_documents
from gateway.services.intake import IntakeResult, accept_message
from gateway.services.ports import Clock, EnterpriseInfo, Store
from messages.validate import Validator

NS = "urn:cogateway:gacc:blankform:v1"
APPLY_MODES = {"SELF": "自理 (出口商流水号)", "AGENT": "代理 (代理企业流水号)"}


def fill(ranges: Iterable[tuple[str, str]], used: Iterable[str], pages: int) -> list[str]:
    """返填: the ``pages`` lowest unused serials of the pool; ``ValueError`` says why when it cannot."""
    return next_unused_serials(ranges, used, pages)


def write_off_document(enterprise: EnterpriseInfo, *, cert_no: str, form_type: str, apply_mode: str,
                       serials: Sequence[str], page_count: int | None, document_no: str) -> bytes:
    return xml_documents.document(NS, "BlankFormWriteOff", {
        "WriteOffHead": {"DocumentNo": document_no, "AplRegNo": enterprise.reg_no, "CertNo": cert_no,
                         "FormType": form_type, "ApplyMode": apply_mode,
                         "PageCount": str(page_count) if page_count else None},
        "SerialList": {"Serial": list(serials)} if serials else None,
    })


def void_document(enterprise: EnterpriseInfo, *, form_type: str, cert_no: str, serials: Sequence[str],
                  reason: str, document_no: str) -> bytes:
    return xml_documents.document(NS, "BlankFormVoid", {
        "VoidHead": {"DocumentNo": document_no, "AplRegNo": enterprise.reg_no, "FormType": form_type,
                     "CertNo": cert_no or None, "VoidReason": reason.strip()},
        "SerialList": {"Serial": list(serials)},
    })


def write_off(store: Store, validator: Validator, clock: Clock, enterprise: EnterpriseInfo, *, cert_no: str,
              form_type: str, apply_mode: str, serials: Sequence[str], page_count: int | None,
              actor: str) -> IntakeResult:
    raw = write_off_document(enterprise, cert_no=cert_no, form_type=form_type, apply_mode=apply_mode,
                             serials=serials, page_count=page_count, document_no=f"UI-BFW-{uuid.uuid4().hex[:16]}")
    return accept_message(store, validator, clock, enterprise_id=enterprise.id, raw=raw, actor=actor)


def void(store: Store, validator: Validator, clock: Clock, enterprise: EnterpriseInfo, *, form_type: str,
         cert_no: str, serials: Sequence[str], reason: str, actor: str) -> IntakeResult:
    raw = void_document(enterprise, form_type=form_type, cert_no=cert_no, serials=serials, reason=reason,
                        document_no=f"UI-BFV-{uuid.uuid4().hex[:16]}")
    return accept_message(store, validator, clock, enterprise_id=enterprise.id, raw=raw, actor=actor)
