"""Folder mailboxes: take complete files from OutBox, feed them to intake, answer into InBox.

The same `accept_message` as the HTTP API runs for every file, so validation and idempotency are
identical. A file is recorded (name + content hash) before it is moved: a crash between the two only
means the next scan sees it again, finds the record, and files it without submitting it twice.

Answers, as the Single Window import client writes them into ``InBox/yyyy-MM-dd/``:
- ``Successed_<file>`` when the gateway accepted the document (with its MessageId),
- ``Failed_<file>`` when it did not (every error, located), the file itself going to FailBox,
- ``Receipt_<stem>_<seq>_<receipt id>.xml`` for each receipt of a message that came from the folder,
  exported exactly once (a table of exported receipts, written after the file; the file name is fixed
  by the receipt, so a crash in between rewrites the same file rather than adding a second one).
"""

from __future__ import annotations

import hashlib
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from gateway.services.intake import Issue, accept_message
from gateway.services.ports import Clock, Store
from messages.validate import Validator

log = logging.getLogger(__name__)

NS = "urn:cogateway:folder:v1"
# The InBox day folders follow the date the ERP's people live by (the Single Window's China time).
CHINA_TIME = timezone(timedelta(hours=8), "CST")
SUCCESS_OUTCOMES = {"accepted", "duplicate"}


class MailboxFile(Protocol):
    @property
    def enterprise_id(self) -> str: ...
    @property
    def module(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def size(self) -> int: ...


class Mailboxes(Protocol):
    """adapters.folder.FolderMailboxes"""

    modules: tuple[str, ...]

    def ensure(self, enterprise_id: str) -> Path: ...
    def ready_files(self, enterprise_id: str, module: str) -> Sequence[MailboxFile]: ...
    def read(self, item: Any, max_bytes: int) -> bytes | None: ...
    def move_to_sent(self, item: Any) -> Path: ...
    def move_to_failed(self, item: Any, error_text: str) -> Path: ...
    def write_inbox(self, enterprise_id: str, module: str, day: date, name: str, content: bytes) -> Path: ...


@dataclass(frozen=True)
class FileOutcome:
    outcome: str  # accepted | duplicate | conflict | rejected | malformed
    message_id: str | None
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.outcome in SUCCESS_OUTCOMES


@dataclass(frozen=True)
class ReceiptExport:
    receipt_pk: int
    enterprise_id: str
    module: str
    file_name: str  # the OutBox file the message came from
    message_id: str
    document_no: str | None
    authority: str
    receipt_id: str
    kind: str
    seq_no: int
    status_code: str
    status: str
    text: str
    reasons: list[dict[str, str]]
    issued_at: datetime
    received_at: datetime


class FolderRecords(Protocol):
    """gateway.db.erp_store.SqlErpStore"""

    def enterprise_ids(self) -> list[str]: ...
    def file_outcome(self, enterprise_id: str, module: str, file_name: str, sha256: str) -> FileOutcome | None: ...
    def record_file(self, enterprise_id: str, module: str, file_name: str, sha256: str, outcome: FileOutcome,
                    at: datetime) -> None: ...
    def receipts_to_export(self, limit: int) -> list[ReceiptExport]: ...
    def mark_exported(self, receipt_pk: int, file_name: str, at: datetime) -> bool: ...


@dataclass
class FolderReport:
    taken: int = 0
    sent: int = 0
    failed: int = 0
    receipts_written: int = 0
    errors: int = 0


def scan_folders(mailboxes: Mailboxes, records: FolderRecords, store: Store, validator: Validator, clock: Clock,
                 *, max_bytes: int) -> FolderReport:
    """One scan of every enterprise's OutBoxes (the scheduler calls this every few seconds)."""
    report = FolderReport()
    for enterprise_id in records.enterprise_ids():
        try:
            mailboxes.ensure(enterprise_id)
        except Exception:  # an enterprise id that cannot be a folder name must not stop the others
            log.exception("no folder mailbox for enterprise %s", enterprise_id)
            report.errors += 1
            continue
        for module in mailboxes.modules:
            for item in mailboxes.ready_files(enterprise_id, module):
                try:
                    take_file(mailboxes, records, store, validator, clock, item, max_bytes=max_bytes,
                              report=report)
                except Exception:  # one bad file must never block the mailbox: it stays, next scan retries
                    log.exception("folder file %s/%s/%s could not be taken", enterprise_id, module, item.name)
                    report.errors += 1
    return report


def take_file(mailboxes: Mailboxes, records: FolderRecords, store: Store, validator: Validator, clock: Clock,
              item: MailboxFile, *, max_bytes: int, report: FolderReport) -> FileOutcome:
    report.taken += 1
    raw = mailboxes.read(item, max_bytes)
    if raw is None:
        issue = Issue("FILE.too_large", "/", f"file {item.name} is {item.size} bytes; the limit is {max_bytes}")
        outcome = FileOutcome("malformed", None, [issue.as_dict()])
        sha = f"size:{item.size}"
    else:
        sha = hashlib.sha256(raw).hexdigest()
        known = records.file_outcome(item.enterprise_id, item.module, item.name, sha)
        if known is not None:
            outcome = known  # taken before a crash, or dropped again unchanged: never submitted twice
        else:
            result = accept_message(store, validator, clock, enterprise_id=item.enterprise_id, raw=raw,
                                    actor=f"folder:{item.module}")
            outcome = FileOutcome(result.outcome, result.message_id, [i.as_dict() for i in result.issues])
            records.record_file(item.enterprise_id, item.module, item.name, sha, outcome, clock.now())
    day = clock.now().astimezone(CHINA_TIME).date()
    prefix = "Successed_" if outcome.succeeded else "Failed_"
    mailboxes.write_inbox(item.enterprise_id, item.module, day, prefix + item.name, answer_xml(item.name, outcome))
    if outcome.succeeded:
        mailboxes.move_to_sent(item)
        report.sent += 1
    else:
        mailboxes.move_to_failed(item, error_text(item.name, outcome))
        report.failed += 1
    log.info("folder %s/%s: %s -> %s (%s)", item.enterprise_id, item.module, item.name, outcome.outcome,
             outcome.message_id)
    return outcome


def export_receipts(mailboxes: Mailboxes, records: FolderRecords, clock: Clock, *, limit: int = 200) -> int:
    """Write each not yet exported receipt of a folder message into its module's InBox; returns how many."""
    written = 0
    for rec in records.receipts_to_export(limit):
        name = receipt_file_name(rec)
        day = rec.received_at.astimezone(CHINA_TIME).date()
        try:
            mailboxes.write_inbox(rec.enterprise_id, rec.module, day, name, receipt_xml(rec))
        except Exception:  # disk full, folder removed …: not marked, so the next run tries again
            log.exception("receipt %s could not be written to the InBox of %s", rec.receipt_id, rec.enterprise_id)
            continue
        if records.mark_exported(rec.receipt_pk, name, clock.now()):
            written += 1
    return written


# --- what the ERP reads -------------------------------------------------------------------------------

def receipt_file_name(rec: ReceiptExport) -> str:
    stem = rec.file_name.rsplit(".", 1)[0] if "." in rec.file_name else rec.file_name
    return f"Receipt_{_safe(stem)}_{rec.seq_no}_{_safe(rec.receipt_id)}.xml"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-\u4e00-\u9fff]", "_", text)[:80]


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _sub(parent: ET.Element, name: str, value: object) -> ET.Element:
    el = ET.SubElement(parent, f"{{{NS}}}{name}")
    el.text = "" if value is None else str(value)
    return el


def answer_xml(file_name: str, outcome: FileOutcome) -> bytes:
    """Successed_/Failed_ content: the gateway's import response for one OutBox file."""
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}ImportResult")
    _sub(root, "FileName", file_name)
    _sub(root, "ResultCode", "0" if outcome.succeeded else "1")
    _sub(root, "Outcome", outcome.outcome)
    _sub(root, "MessageId", outcome.message_id or "")
    if outcome.errors:
        errors = _sub(root, "Errors", None)
        for e in outcome.errors:
            err = _sub(errors, "Error", None)
            for key, tag in (("rule", "Rule"), ("path", "Path"), ("line", "Line"), ("field_cn", "FieldCn"),
                             ("message", "Message")):
                if e.get(key) not in (None, ""):
                    _sub(err, tag, e[key])
    return _xml(root)


def error_text(file_name: str, outcome: FileOutcome) -> str:
    """The `<name>.error.txt` beside a failed file: one located error per line, for people."""
    lines = [f"{file_name}: {outcome.outcome}" + (f" (message {outcome.message_id})" if outcome.message_id else "")]
    for e in outcome.errors:
        where = e.get("path") or "/"
        if e.get("line"):
            where += f" line {e['line']}"
        cn = f" [{e['field_cn']}]" if e.get("field_cn") else ""
        lines.append(f"{e.get('rule')}: {where}{cn}: {e.get('message')}")
    return "\n".join(lines) + "\n"


def receipt_xml(rec: ReceiptExport) -> bytes:
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}Receipt")
    for tag, value in (("FileName", rec.file_name), ("MessageId", rec.message_id), ("DocumentNo", rec.document_no),
                       ("Authority", rec.authority), ("ReceiptId", rec.receipt_id), ("Kind", rec.kind),
                       ("SeqNo", rec.seq_no), ("StatusCode", rec.status_code), ("Status", rec.status),
                       ("Text", rec.text), ("IssuedAt", _iso(rec.issued_at))):
        _sub(root, tag, value)
    if rec.reasons:
        reasons = _sub(root, "Reasons", None)
        for r in rec.reasons:
            item = _sub(reasons, "Reason", None)
            _sub(item, "RuleId", r.get("rule_id", ""))
            _sub(item, "Path", r.get("path", ""))
            _sub(item, "Message", r.get("message", ""))
    return _xml(root)


def _iso(value: datetime) -> str:
    return value.astimezone(CHINA_TIME).isoformat(timespec="seconds")

