"""accept_message: parse safely, validate (XSD + business rules), store, and only then answer.

Everything received is kept, accepted or not, so the ERP and an engineer can see what was sent.
Intake is idempotent on the ERP's document identity: the same document pushed twice is one message.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from gateway.domain.delivery import DeliveryState, DocumentStatus
from gateway.domain.families import check_document
from gateway.logcontext import message_context
from gateway.services.ports import (
    Clock,
    DuplicateMessage,
    MessageInfo,
    NewCertificate,
    NewMessage,
    Store,
)
from messages import codecs
from messages.catalogue import Entry
from messages.validate import Problem, Validator

CERTIFICATE_FAMILY = "gacc_certificate"
#: Families whose documents are certificates (a status projected from receipts, a number): where their head is.
CERTIFICATE_HEADS = {CERTIFICATE_FAMILY: "head", "ccpit_certificate": "CertificateHead"}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Issue:
    """One located problem with the input, as answered to the ERP."""

    rule: str
    path: str
    message: str
    line: int | None = None
    field_cn: str = ""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"rule": self.rule, "path": self.path, "line": self.line, "message": self.message}
        if self.field_cn:
            out["field_cn"] = self.field_cn
        return out


@dataclass(frozen=True)
class IntakeResult:
    outcome: str  # accepted | duplicate | conflict | rejected | malformed (| not_found | not_editable)
    message_id: str | None = None
    state: str | None = None
    issues: list[Issue] = field(default_factory=list)
    supersedes: str | None = None


def _issue_from_problem(p: Problem) -> Issue:
    return Issue(rule=p.rule, path=p.path, message=p.message, line=p.line)


def _new_message_id() -> str:
    return uuid.uuid4().hex


def accept_message(
    store: Store,
    validator: Validator,
    clock: Clock,
    *,
    enterprise_id: str,
    raw: bytes,
    idempotency_key: str | None = None,
    actor: str = "api",
    supersedes: MessageInfo | None = None,
) -> IntakeResult:
    """Validate and store one document. `supersedes` (edit-and-resend only, see services.resend) is the
    message this one replaces: it hands its document key on to the new message, which links back to it."""
    raw_sha = hashlib.sha256(raw).hexdigest()
    result = validator.validate(raw)
    entry = result.entry
    if result.root is None or entry is None:
        # Not even a document we know: keep nothing but answer precisely (there is no family to file it under).
        return IntakeResult("malformed", issues=[_issue_from_problem(p) for p in result.problems])
    if entry.direction != "outbound":
        issue = Issue("CATALOGUE.not_outbound", "/" + entry.root.split("}")[-1],
                      f"{entry.message_type} is sent by the authority, not by an enterprise")
        return IntakeResult("malformed", issues=[issue])

    if supersedes is not None and entry.message_type != supersedes.message_type:
        return IntakeResult("not_editable", supersedes.message_id, supersedes.state, [Issue(
            "RESEND.TYPE_MISMATCH", "/", f"an edit of a {supersedes.message_type} message must be a "
            f"{supersedes.message_type} document, not {entry.message_type}")])

    issues = [_issue_from_problem(p) for p in result.problems]
    cert: NewCertificate | None = None
    head: dict[str, str] | None = None
    document_no: str | None = None
    if not issues:
        doc = codecs.decode(entry, result.root)
        document_no = codecs.document_number(entry, result.root)
        for v in check_document(entry.family, doc.data):
            issues.append(Issue(v.rule_id, v.path, v.message, doc.lines.get(v.path), v.field_cn))
        if entry.family in CERTIFICATE_HEADS:
            cert_head = doc.data.get(CERTIFICATE_HEADS[entry.family]) or {}
            head = cert_head if entry.family == CERTIFICATE_FAMILY else None  # AplRegNo: GACC's own check
            cert = NewCertificate(
                cert_no=cert_head.get("CertNo", ""),  # CCPIT numbers its certificates when it approves them
                cert_type=cert_head.get("CertType", ""),
                document_no=document_no or "",
                dest_country=cert_head.get("DestCountryCode", ""),
                status=DocumentStatus.DRAFT.value,
            )

    now = clock.now()
    with store.transaction() as tx:
        enterprise = tx.enterprise(enterprise_id)
        if enterprise is None:
            raise LookupError(f"unknown enterprise {enterprise_id}")
        if not issues and head is not None:
            issues.extend(_tenant_issues(head, enterprise.reg_no, enterprise.id))
        if issues:
            rejected = tx.create_message(
                _new(entry, enterprise_id, DeliveryState.REJECTED, raw_sha, document_no, None, None),
                raw=raw,
                history=[(None, DeliveryState.RECEIVED.value, "received"),
                         (DeliveryState.RECEIVED.value, DeliveryState.REJECTED.value,
                          f"{len(issues)} problem(s): " + "; ".join(i.rule for i in issues[:5]))],
                actor=actor,
                errors=json.dumps([i.as_dict() for i in issues], ensure_ascii=False).encode(),
            )
    if issues:
        with message_context(rejected.message_id):
            log.info("%s rejected: %d problem(s)", rejected.message_id, len(issues))
        return IntakeResult("rejected", rejected.message_id, rejected.state, issues)

    # The document's own number is its identity, whatever key the caller sends: one certificate number can
    # never become two declarations. The caller's key (or, failing that, the bytes) covers unnumbered ones.
    if document_no:
        key = f"{entry.message_type}:{document_no}"
    elif idempotency_key:
        key = f"{entry.message_type}:key:{idempotency_key}"
    else:
        key = f"{entry.message_type}:sha256:{raw_sha}"
    try:
        with store.transaction() as tx:
            existing = tx.message_by_key(enterprise_id, key)
            if existing is not None and supersedes is not None and existing.pk == supersedes.pk:
                # The old message keeps a key of its own, so pushing its bytes again still finds it.
                tx.rekey(existing.pk, f"{key}#{existing.message_id}")
                existing = None
            if existing is not None:
                return _repeat(existing, raw_sha)
            new = _new(entry, enterprise_id, DeliveryState.QUEUED, raw_sha, document_no, key, now)
            if supersedes is not None:
                new = replace(new, supersedes=supersedes.message_id)
            stored = tx.create_message(
                new,
                raw=raw,
                history=[(None, DeliveryState.RECEIVED.value, "received"),
                         (DeliveryState.RECEIVED.value, DeliveryState.VALIDATED.value, "XSD and business rules passed"),
                         (DeliveryState.VALIDATED.value, DeliveryState.QUEUED.value, "queued for delivery")],
                actor=actor,
                certificate=cert,
            )
            if supersedes is not None:
                tx.note(supersedes.pk, actor=actor, reason=f"superseded by message {stored.message_id} "
                        "(edit-and-resend)", at=now)
    except DuplicateMessage:
        # A concurrent request with the same key won the insert: answer as that message.
        with store.transaction() as tx:
            existing = tx.message_by_key(enterprise_id, key)
        if existing is None:
            raise
        return _repeat(existing, raw_sha)
    with message_context(stored.message_id):
        log.info("%s accepted: %s %s", stored.message_id, entry.message_type, document_no or "")
    return IntakeResult("accepted", stored.message_id, stored.state,
                        supersedes=supersedes.message_id if supersedes is not None else None)


def _repeat(existing: MessageInfo, raw_sha: str) -> IntakeResult:
    if existing.raw_sha256 == raw_sha:
        return IntakeResult("duplicate", existing.message_id, existing.state)
    issue = Issue("INTAKE.CONFLICT", "/", f"document {existing.document_no} was already accepted as message "
                  f"{existing.message_id} with different content; send a change as an amendment or resend")
    return IntakeResult("conflict", existing.message_id, existing.state, [issue])


def _tenant_issues(head: dict[str, str], reg_no: str, enterprise_id: str) -> list[Issue]:
    """An enterprise declares only under its own CO registration number (产地证备案号)."""
    apl = head.get("AplRegNo", "")
    if apl and apl != reg_no:
        return [Issue("INTAKE.APLREGNO_NOT_YOURS", "/Certificate/CertificateHead/AplRegNo",
                      f"AplRegNo {apl} is not the CO registration number of enterprise {enterprise_id}",
                      field_cn="申请单位备案号")]
    return []


def _new(entry: Entry, enterprise_id: str, state: DeliveryState, raw_sha: str, document_no: str | None,
         key: str | None, due: datetime | None) -> NewMessage:
    return NewMessage(
        message_id=_new_message_id(),
        enterprise_id=enterprise_id,
        family=entry.family,
        message_type=entry.message_type,
        direction=entry.direction,
        authority=entry.authority or "",
        state=state.value,
        document_no=document_no,
        idempotency_key=key,
        raw_sha256=raw_sha,
        next_attempt_at=due,
    )
