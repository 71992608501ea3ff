"""Certificate drafts (暂存, seed 001 ch. 4) and batch declare (批量申报, ch. 5).

A draft is an entry form saved without declaring: nothing is checked and nothing is sent. Declaring a
draft (alone or several at once) goes through ``accept_message`` exactly like the entry form and the ERP
API: same XSD, same business rules, same idempotency on the document number.

Numbers are written into the draft *before* it is declared, under an optimistic lock (``version``): two
people declaring the same draft at once send identical bytes with one document number, so intake makes
them one message. A draft that is rejected keeps its numbers and the problems, for the next attempt.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from lxml import etree

from gateway.services.errors import GatewayError
from gateway.services.intake import IntakeResult, Issue, accept_message
from gateway.services.numbering import NumberingError, allocate_cert_no
from gateway.services.ports import Clock, Store
from messages import certificate as cert_codec
from messages.validate import Validator

MAX_BATCH = 50  # drafts per batch declare: each one is a full validation, keep one click bounded
MAX_DATA_CHARS = 1_000_000  # a draft is one certificate (at most 200 goods lines), never more


class DraftError(GatewayError, ValueError):
    """A draft cannot be saved; the message names the field and the rule."""


@dataclass(frozen=True)
class DraftRecord:
    id: int
    enterprise_id: str
    cert_type: str
    data: dict[str, Any]  # plain certificate data: head, goods, invoices (as messages.certificate)
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    issues: list[dict[str, Any]] = field(default_factory=list)  # problems of the last declare attempt
    declared_message_id: str | None = None

    @property
    def head(self) -> dict[str, str]:
        head: dict[str, str] = self.data.get("head", {})
        return head


class DraftTransaction(Protocol):
    def add_draft(self, enterprise_id: str, cert_type: str, data: dict[str, Any], *, created_by: str,
                  at: datetime) -> DraftRecord: ...
    def draft(self, scope: Sequence[str], draft_id: int) -> DraftRecord | None: ...
    def drafts(self, scope: Sequence[str], *, cert_type: str = "", enterprise_id: str = "", limit: int = 200
               ) -> list[DraftRecord]: ...
    def update_draft(self, draft_id: int, *, expected_version: int, enterprise_id: str, data: dict[str, Any],
                     issues: list[dict[str, Any]], at: datetime) -> bool: ...
    def mark_declared(self, draft_id: int, message_id: str, at: datetime) -> bool: ...
    def delete_drafts(self, scope: Sequence[str], draft_ids: Sequence[int], at: datetime) -> list[int]: ...


class DraftStore(Protocol):
    def transaction(self) -> AbstractContextManager[DraftTransaction]: ...


def _check_size(data: dict[str, Any]) -> None:
    if len(json.dumps(data, ensure_ascii=False)) > MAX_DATA_CHARS:
        raise DraftError(f"draft: at most {MAX_DATA_CHARS} characters of certificate data")


def save_draft(drafts: DraftStore, clock: Clock, *, scope: Sequence[str], enterprise_id: str, cert_type: str,
               data: dict[str, Any], user: str, draft_id: int | None = None, version: int | None = None
               ) -> DraftRecord:
    """Create a draft, or overwrite draft ``draft_id`` if it is still the ``version`` the form was built on."""
    if enterprise_id not in scope:
        raise LookupError(f"enterprise {enterprise_id} is not among the caller's")
    _check_size(data)
    head = {**data.get("head", {}), "ApplyType": "0"}  # 暂存 (0 draft, 1 declare)
    data = {**data, "head": head}
    now = clock.now()
    with drafts.transaction() as tx:
        if draft_id is None:
            return tx.add_draft(enterprise_id, cert_type, data, created_by=user, at=now)
        current = tx.draft(scope, draft_id)
        if current is None:
            raise LookupError(f"no draft {draft_id}")
        if current.declared_message_id:
            raise DraftError(f"draft {draft_id}: already declared as message {current.declared_message_id}; "
                             "it cannot be changed any more")
        if current.cert_type != cert_type:
            raise DraftError(f"draft {draft_id}: it is a {current.cert_type} draft, not {cert_type}")
        if version is not None and version != current.version:
            raise DraftError(f"draft {draft_id}: changed by someone else meanwhile (version {current.version}, "
                             f"your form was version {version}); open it again")
        if not tx.update_draft(draft_id, expected_version=current.version, enterprise_id=enterprise_id, data=data,
                               issues=[], at=now):  # edited: the last attempt's problems may no longer hold
            raise DraftError(f"draft {draft_id}: changed by someone else meanwhile; open it again")
        found = tx.draft(scope, draft_id)
    assert found is not None
    return found


def open_drafts(drafts: DraftStore, *, scope: Sequence[str], cert_type: str = "", enterprise_id: str = "",
                limit: int = 200) -> list[DraftRecord]:
    """The drafts not declared or deleted yet, newest first (the certificate query's 暂存 list)."""
    with drafts.transaction() as tx:
        return tx.drafts(scope, cert_type=cert_type, enterprise_id=enterprise_id, limit=limit)


def find_draft(drafts: DraftStore, *, scope: Sequence[str], draft_id: int) -> DraftRecord | None:
    with drafts.transaction() as tx:
        return tx.draft(scope, draft_id)


def delete_drafts(drafts: DraftStore, clock: Clock, *, scope: Sequence[str], draft_ids: Sequence[int]) -> list[int]:
    """删除: open drafts in ``scope`` are removed from the list; declared ones stay (they are messages now)."""
    with drafts.transaction() as tx:
        return tx.delete_drafts(scope, list(dict.fromkeys(draft_ids)), clock.now())


@dataclass(frozen=True)
class DraftOutcome:
    draft_id: int
    outcome: str  # accepted | duplicate | rejected | conflict | malformed | already_declared | not_found | changed
    cert_no: str = ""
    document_no: str = ""
    message_id: str | None = None
    issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def declared(self) -> bool:
        return self.outcome in {"accepted", "duplicate", "already_declared"}


def declare_drafts(drafts: DraftStore, store: Store, validator: Validator, clock: Clock, *, scope: Sequence[str],
                   draft_ids: Sequence[int], actor: str) -> list[DraftOutcome]:
    """批量申报: each draft through intake, one after the other; one draft's problems do not stop the rest."""
    ids = list(dict.fromkeys(draft_ids))
    if len(ids) > MAX_BATCH:
        raise DraftError(f"draft_id: at most {MAX_BATCH} drafts per batch declare, {len(ids)} selected")
    return [_declare_one(drafts, store, validator, clock, scope, draft_id, actor) for draft_id in ids]


def _declare_one(drafts: DraftStore, store: Store, validator: Validator, clock: Clock, scope: Sequence[str],
                 draft_id: int, actor: str) -> DraftOutcome:
    for _ in range(3):  # a concurrent edit or declare moved the version on: read it again
        with drafts.transaction() as tx:
            draft = tx.draft(scope, draft_id)
        if draft is None:
            return DraftOutcome(draft_id, "not_found", issues=[_issue("DRAFT.NOT_FOUND", f"no draft {draft_id}")])
        if draft.declared_message_id:
            return DraftOutcome(draft_id, "already_declared", draft.head.get("CertNo", ""),
                                draft.head.get("DocumentNo", ""), draft.declared_message_id)
        data = copy.deepcopy(draft.data)
        head = data.setdefault("head", {})
        if not head.get("CertNo"):
            try:
                head["CertNo"] = allocate_cert_no(store, clock, enterprise_id=draft.enterprise_id,
                                                  cert_type=draft.cert_type)
            except NumberingError as exc:
                return DraftOutcome(draft_id, "rejected", issues=[_issue("NUMBERING", str(exc),
                                                                         "/Certificate/CertificateHead/CertNo")])
        if not head.get("DocumentNo"):
            head["DocumentNo"] = f"UI-{head['CertNo']}"
        if data != draft.data:  # the numbers are the draft's from now on, whatever happens next
            with drafts.transaction() as tx:
                if not tx.update_draft(draft_id, expected_version=draft.version, enterprise_id=draft.enterprise_id,
                                       data=data, issues=draft.issues, at=clock.now()):
                    continue
            draft = replace(draft, data=data, version=draft.version + 1)
        return _submit(drafts, store, validator, clock, draft, actor)
    return DraftOutcome(draft_id, "changed", issues=[_issue("DRAFT.CHANGED", f"draft {draft_id} kept changing "
                                                            "while it was being declared; try again")])


def _submit(drafts: DraftStore, store: Store, validator: Validator, clock: Clock, draft: DraftRecord,
            actor: str) -> DraftOutcome:
    data = copy.deepcopy(draft.data)
    data["head"]["ApplyType"] = "1"  # declare
    raw = bytes(etree.tostring(cert_codec.encode(data), xml_declaration=True, encoding="UTF-8", pretty_print=True))
    result = accept_message(store, validator, clock, enterprise_id=draft.enterprise_id, raw=raw, actor=actor)
    cert_no, document_no = draft.head.get("CertNo", ""), draft.head.get("DocumentNo", "")
    issues = [i.as_dict() for i in result.issues]
    with drafts.transaction() as tx:
        if _ok(result) and result.message_id:
            tx.mark_declared(draft.id, result.message_id, clock.now())
        else:  # the problems stay with the draft, shown next to their fields when it is opened again
            tx.update_draft(draft.id, expected_version=draft.version, enterprise_id=draft.enterprise_id,
                            data=draft.data, issues=issues, at=clock.now())
    return DraftOutcome(draft.id, result.outcome, cert_no, document_no, result.message_id, issues)


def _ok(result: IntakeResult) -> bool:
    return result.outcome in {"accepted", "duplicate"}


def _issue(rule: str, message: str, path: str = "/") -> dict[str, Any]:
    return Issue(rule, path, message).as_dict()
