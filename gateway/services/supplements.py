"""出口报关单补录 export declaration supplement (seed 004; seed 001 ch. 9): the declarant's 补录 (ADD), 新增
(ADD_AGAIN, a second supplement of further numbers) and 删除 (DELETE) become one
``ExportDeclarationSupplement`` each, accepted through ``accept_message`` like an ERP push."""

from __future__ import annotations

import uuid

from gateway.services import xml_documents
from gateway.services.intake import IntakeResult, accept_message
from gateway.services.ports import Clock, EnterpriseInfo, Store
from messages.validate import Validator

NS = "urn:cogateway:gacc:supplement:v1"
OPERATIONS = {"ADD": "补录", "ADD_AGAIN": "新增 (二次补录)", "DELETE": "删除"}


def supplement_document(enterprise: EnterpriseInfo, *, authority: str, cert_no: str, operation: str,
                        exported: str | None, declaration_nos: str | None, document_no: str) -> bytes:
    keep = operation != "DELETE"  # DELETE removes the whole supplement: no flag, no numbers
    return xml_documents.document(NS, "ExportDeclarationSupplement", {"SupplementHead": {
        "DocumentNo": document_no, "Operation": operation, "AplRegNo": enterprise.reg_no,
        "CertAuthority": authority, "CertNo": cert_no,
        "ExportedFlag": exported if keep else None,
        "DeclarationNos": (declaration_nos or "").strip() if keep else None,
    }})


def submit_supplement(store: Store, validator: Validator, clock: Clock, enterprise: EnterpriseInfo, *,
                      authority: str, cert_no: str, operation: str, exported: str | None,
                      declaration_nos: str | None, actor: str) -> IntakeResult:
    raw = supplement_document(enterprise, authority=authority, cert_no=cert_no, operation=operation,
                              exported=exported, declaration_nos=declaration_nos,
                              document_no=f"UI-SUP-{uuid.uuid4().hex[:16]}")
    return accept_message(store, validator, clock, enterprise_id=enterprise.id, raw=raw, actor=actor)
