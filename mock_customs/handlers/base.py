"""What every family handler shares: the plan it returns, the staged timeline, the authority's facts.

A handler reviews one accepted message (stage 1 passed) and returns a :class:`Plan`: the decision, the
findings, the later receipts, and the *effects* on the authority's records (a pre-review approved, an
enterprise synced, a certificate voided …). Effects travel inside the decision receipt's fields and are
applied when that receipt is emitted, so the authority "knows" something from the moment it says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from mock_customs.review import CHINA_TZ, Finding

if TYPE_CHECKING:
    from mock_customs.authority import Authority
    from mock_customs.registry import Record, Registry
    from mock_customs.wire import Intake

# decisions recorded per MessageId
FAILED = "FAILED"  # ImportResponse 1
APPROVED = "APPROVED"
RETURNED = "RETURNED"
UNREADABLE = "UNREADABLE"  # no MessageId could be found: nothing can be answered

STORED_STATUS = "海关入库成功"
APPROVED_TEXT = "审核通过, 可以领证"
APPROVED_STATUS = "申报正确"
RETURNED_TEXT = "退证"
RETURNED_STATUS = "退证"

IMPORT_RESPONSE = "ImportResponse"
BUSINESS_RECEIPT = "BusinessReceipt"
DOCUMENT = "Document"  # an authority document (query response, record …) in its own envelope

# record kinds (registry ``records``); the key is given with each
SYNC = "enterprise"  # key "sync": status SYNCED / UNSYNCED; data {"product_review_required": bool}
SYNCED = "SYNCED"
UNSYNCED = "UNSYNCED"

# Seed 003 l.927-941: the 15 certificate types that can be self-printed (B only when issued for Korea).
SELF_PRINT_TYPES = frozenset({"A", "N", "P", "F", "S", "I", "GE", "X", "K", "H", "B", "C", "T", "TR", "PR"})


@dataclass(frozen=True)
class Plan:
    """What a family handler decided for one accepted message: the later receipts and side effects."""

    decision: str
    findings: list[Finding]
    cert_no: str | None
    receipts: list[tuple[int, str, dict[str, Any], timedelta]]  # (stage, kind, fields, delay after previous)
    holds_number: bool = False  # a certificate application: cert_no is taken (PENDING → APPROVED / RETURNED)


class FamilyHandler(Protocol):
    """Reviews one document family (CO application, product pre-review, …) after intake succeeded."""

    def plan(self, authority: Authority, intake: Intake, received_at: datetime) -> Plan: ...


@dataclass
class Review:
    """One message under review: who sent it, its data, the authority's registry, the findings so far."""

    authority: Authority
    intake: Intake
    received_at: datetime
    family: str  # rule-id prefix: AUTH.<family>.<RULE>
    data: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    effects: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, authority: Authority, intake: Intake, received_at: datetime, family: str) -> Review:
        """The review of an accepted message, its document decoded to plain data."""
        from mock_customs.wire import decode_document

        assert intake.message_type is not None
        return cls(authority, intake, received_at, family, decode_document(intake.message_type, intake.body))

    @property
    def registry(self) -> Registry:
        return self.authority.registry

    @property
    def authority_id(self) -> str:
        return self.authority.authority_id

    @property
    def sender(self) -> str:
        assert self.intake.enterprise is not None
        return self.intake.enterprise.id

    @property
    def reg_no(self) -> str:
        assert self.intake.enterprise is not None
        return self.intake.enterprise.reg_no

    @property
    def message_id(self) -> str:
        assert self.intake.message_id is not None
        return self.intake.message_id

    def find(self, rule: str, path: str, message: str) -> None:
        self.findings.append(Finding(f"AUTH.{self.family}.{rule}", path, message))

    _pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    def pending_effects(self, authority: str | None = None) -> list[dict[str, Any]]:
        """Effects of decisions the authority took but has not announced yet, then this review's own.

        Effects apply when the decision is emitted, but a later message (same tick, or before a delayed
        decision) must already see them: otherwise two write-offs of one serial would both be approved.
        """
        name = authority or self.authority_id
        if name not in self._pending:
            self._pending[name] = self.registry.pending_effects(name)
        own = self.effects if name == self.authority_id else []
        return [*self._pending[name], *own]

    def record(self, kind: str, key: str, sender: str | None = None) -> Record | None:
        """What the authority holds, as it will be once every decision taken so far is announced."""
        owner = sender or self.sender
        current = self.registry.record(self.authority_id, owner, kind, key)
        for effect in self.pending_effects():
            if (effect.get("op") == "record" and effect.get("sender") == owner and effect.get("kind") == kind
                    and effect.get("key") == key):
                current = _pending_record(self.authority_id, effect)
        return current

    def records(self, kind: str, sender: str | None = None) -> list[Record]:
        """Every record of ``kind`` of the sender, pending decisions included (see :meth:`record`)."""
        owner = sender or self.sender
        found = {r.key: r for r in self.registry.records(self.authority_id, owner, kind)}
        for effect in self.pending_effects():
            if effect.get("op") == "record" and effect.get("sender") == owner and effect.get("kind") == kind:
                found[str(effect["key"])] = _pending_record(self.authority_id, effect)
        return [found[key] for key in sorted(found)]

    def put(self, kind: str, key: str, status: str, data: Mapping[str, Any] | None = None) -> None:
        """An effect: the authority records this fact when it announces the decision."""
        self.effects.append({"op": "record", "sender": self.sender, "kind": kind, "key": key, "status": status,
                             "data": dict(data or {})})

    def document(self, message_type: str, spec: Any, rule: str, path: str, what: str) -> str | None:
        """An authority document built from what the authority holds, or a finding ``rule`` when that data
        cannot make a valid one (a record seeded through the admin API without the fields it needs)."""
        from mock_customs.wire import build_document

        try:
            return build_document(message_type, spec)
        except ValueError as exc:
            self.find(rule, path, f"{what} held by {self.authority_id} is incomplete or malformed, no"
                      f" {message_type} can be built from it ({exc})")
            return None

    # facts every family checks -----------------------------------------------------------------
    def require_identity(self, path: str, uscc: str | None = None, reg_no_path: str | None = None,
                         reg_no: str | None = None) -> None:
        """The enterprise in the document is the one that signed it (USCC 统一社会信用代码 / 备案号)."""
        if uscc is not None and uscc != self.sender:
            self.find("USCC", path, f"unified social credit code 统一社会信用代码 (Uscc) {uscc!r} is not the"
                      f" sender {self.sender}: an enterprise declares only for itself")
        if reg_no is not None and reg_no_path is not None and reg_no != self.reg_no:
            self.find("APLREGNO", reg_no_path, f"CO registration number 产地证备案号 {reg_no!r} is not the"
                      f" sender's registered number {self.reg_no}")

    def synced(self) -> bool:
        rec = self.record(SYNC, "sync")
        return rec is not None and rec.status == SYNCED

    def require_synced(self, path: str) -> None:
        if not self.synced():
            self.find("NOT_SYNCED", path, f"enterprise {self.sender} is registered with {self.authority_id} but"
                      " its basic information is not synced (同步状态 must be 同步成功): sync it first")

    def certificate(self, cert_no: str, authority: str | None = None) -> tuple[str, str] | None:
        """(status, sender) of a certificate number the authority knows, a pending void or replacement
        included (applied to an issued certificate only, as ``Registry.set_certificate_status`` does)."""
        known = self.registry.certificate_status(authority or self.authority_id, cert_no)
        if known is None:
            return None
        status, owner = known
        for effect in self.pending_effects(authority):
            if effect.get("op") == "certificate" and effect.get("cert_no") == cert_no and status == APPROVED:
                status = str(effect["status"])
        return status, owner

    def require_issued(self, path: str, cert_no: str, authority: str | None = None, what: str = "") -> bool:
        """The certificate 证书号 was approved (issued) by the authority, for this enterprise."""
        known = self.certificate(cert_no, authority)
        where = authority or self.authority_id
        purpose = f" {what}" if what else ""
        if known is None or known[1] != self.sender:
            # another enterprise's certificate reads exactly like an unknown one: no hint that it exists
            self.find("CERT_UNKNOWN", path, f"certificate number 证书号 (CertNo) {cert_no!r} was never issued by"
                      f" {where} to {self.sender}{purpose}")
            return False
        status, _owner = known
        if status != APPROVED:
            self.find("CERT_NOT_ISSUED", path, f"certificate number 证书号 (CertNo) {cert_no!r} is {status},"
                      f" not issued (审核通过){purpose}")
            return False
        return True

    # the timeline ------------------------------------------------------------------------------
    def plan(self, *, approved_text: str, approved_status: str = "审核通过", returned_text: str = "退回",
             returned_status: str = "审核不通过", cert_no: str | None = None,
             holds_number: bool = False, documents: Iterable[tuple[str, str]] = ()) -> Plan:
        """The standard timeline: STORED, then APPROVED with the effects or RETURNED with every finding.

        ``documents`` are (MessageType, XML) authority documents sent after an approval (query answers).
        """
        delays = self.authority.delays
        local = self.received_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")
        common = {"message_id": self.message_id, "cert_no": cert_no or "", "holds_number": holds_number}
        stored = {**common, "seq_no": 1, "status_code": "STORED", "status": STORED_STATUS,
                  "text": f"0001--报文收到时间:{local}", "reasons": []}
        approved = not self.findings
        if approved:
            decision = {**common, "seq_no": 2, "status_code": APPROVED, "status": approved_status,
                        "text": approved_text, "reasons": [], "effects": self.effects}
        else:
            decision = {**common, "seq_no": 2, "status_code": RETURNED, "status": returned_status,
                        "text": returned_text, "reasons": [f.as_dict() for f in self.findings]}
        receipts: list[tuple[int, str, dict[str, Any], timedelta]] = [
            (2, BUSINESS_RECEIPT, stored, timedelta(seconds=delays.stored)),
            (3, BUSINESS_RECEIPT, decision, timedelta(seconds=delays.decision)),
        ]
        if approved:
            for offset, (message_type, xml) in enumerate(documents):
                receipts.append((4 + offset, DOCUMENT, {"message_type": message_type, "document": xml},
                                 timedelta(0)))
        return Plan(decision=APPROVED if approved else RETURNED, findings=list(self.findings), cert_no=cert_no,
                    receipts=receipts, holds_number=holds_number)


def _pending_record(authority: str, effect: Mapping[str, Any]) -> Record:
    from mock_customs.registry import Record

    return Record(authority=authority, sender_id=str(effect["sender"]), kind=str(effect["kind"]),
                  key=str(effect["key"]), status=str(effect["status"]), data=dict(effect.get("data") or {}),
                  message_id=None, updated_at="")


def first_listed(values: list[str]) -> list[int | None]:
    """Per position (from 1): None for a value's first occurrence, else the position it was first listed at."""
    first: dict[str, int] = {}
    seen: list[int | None] = []
    for index, value in enumerate(values, start=1):
        seen.append(first.get(value))
        first.setdefault(value, index)
    return seen


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def beijing_date(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d")


def beijing_time(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).isoformat(timespec="seconds")
