"""Folder mailboxes on the local disk, laid out as the Single Window import client does.

``<root>/<enterprise>/<module>/OutBox|SentBox|FailBox|InBox``: the ERP drops documents into ``OutBox``;
accepted ones are moved to ``SentBox``, rejected ones to ``FailBox`` with ``<name>.error.txt`` beside
them; answers and receipts are written into ``InBox/yyyy-MM-dd/``.

A file is taken only when it is complete: names a writer uses while it is still writing (``.x``,
``x.tmp``, ``x.part`` …) are ignored, and any other file must show the same size and mtime on two
scans in a row (ERPs that write in place, without a rename, are covered by that rule).
Everything we write ourselves goes to a dot-name first and is renamed into place, so an ERP never
reads half a file either.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

OUTBOX, SENTBOX, FAILBOX, INBOX = "OutBox", "SentBox", "FailBox", "InBox"
BOXES = (OUTBOX, SENTBOX, FAILBOX, INBOX)
ERROR_SUFFIX = ".error.txt"
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".filepart", ".crdownload", ".swp", "~")
# Enterprise ids and module names become directory names: keep them to a safe alphabet.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class MailboxError(Exception):
    """A mailbox operation that cannot be done (bad name, file vanished, disk error)."""


def is_temporary_name(name: str) -> bool:
    """Names a writer uses while it is still writing: never picked up."""
    lower = name.lower()
    return name.startswith((".", "~$")) or lower.endswith(TEMP_SUFFIXES)


def check_segment(value: str, what: str) -> str:
    if not SAFE_NAME.fullmatch(value) or value in (".", ".."):
        raise MailboxError(f"{what} {value!r} cannot be a folder name (letters, digits, '_', '-', '.')")
    return value


@dataclass(frozen=True)
class ReadyFile:
    """A complete file in an OutBox, ready to be taken."""

    enterprise_id: str
    module: str
    name: str
    path: Path
    size: int


class StabilityTracker:
    """Remembers (size, mtime) per path between scans; a file is complete once two scans agree."""

    def __init__(self) -> None:
        self._seen: dict[Path, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def is_stable(self, path: Path, size: int, mtime_ns: int) -> bool:
        with self._lock:
            previous = self._seen.get(path)
            self._seen[path] = (size, mtime_ns)
            return previous == (size, mtime_ns)

    def forget(self, path: Path) -> None:
        with self._lock:
            self._seen.pop(path, None)

    def prune(self, folder: Path, present: set[Path]) -> None:
        """Forget files of `folder` that are gone (taken, or removed by the ERP)."""
        with self._lock:
            for path in [p for p in self._seen if p.parent == folder and p not in present]:
                del self._seen[path]


class FolderMailboxes:
    """All enterprises' mailboxes under one root. Thread-safe enough for one scanner per process."""

    def __init__(self, root: Path | str, modules: tuple[str, ...] = ("CO",)) -> None:
        self.root = Path(root)
        self.modules = tuple(check_segment(m, "module") for m in modules)
        self._tracker = StabilityTracker()

    # layout ----------------------------------------------------------------------------------------
    def box(self, enterprise_id: str, module: str, box: str) -> Path:
        return (self.root / check_segment(enterprise_id, "enterprise id") / check_segment(module, "module") / box)

    def ensure(self, enterprise_id: str) -> Path:
        """Create the enterprise's mailbox folders (every module, every box); returns its root."""
        for module in self.modules:
            for box in BOXES:
                self.box(enterprise_id, module, box).mkdir(parents=True, exist_ok=True)
        return self.root / enterprise_id

    # picking up ------------------------------------------------------------------------------------
    def ready_files(self, enterprise_id: str, module: str) -> list[ReadyFile]:
        """Complete files in OutBox, oldest first. Call once per scan: it advances the stability check."""
        outbox = self.box(enterprise_id, module, OUTBOX)
        ready: list[tuple[int, ReadyFile]] = []
        present: set[Path] = set()
        try:
            entries = list(os.scandir(outbox))
        except FileNotFoundError:
            return []
        for entry in entries:
            if is_temporary_name(entry.name) or not entry.is_file(follow_symlinks=False):
                continue  # in progress, a folder, or a link (which could point anywhere): not ours to take
            path = Path(entry.path)
            present.add(path)
            st = entry.stat(follow_symlinks=False)
            if self._tracker.is_stable(path, st.st_size, st.st_mtime_ns):
                ready.append((st.st_mtime_ns, ReadyFile(enterprise_id, module, entry.name, path, st.st_size)))
        self._tracker.prune(outbox, present)
        return [f for _, f in sorted(ready, key=lambda pair: (pair[0], pair[1].name))]

    @staticmethod
    def read(item: ReadyFile, max_bytes: int) -> bytes | None:
        """The file's bytes, or None when it is larger than max_bytes (then it is not read at all)."""
        if item.path.stat().st_size > max_bytes:
            return None
        return item.path.read_bytes()

    # filing ------------------------------------------------------------------------------------------
    def move_to_sent(self, item: ReadyFile) -> Path:
        return self._move(item, SENTBOX)

    def move_to_failed(self, item: ReadyFile, error_text: str) -> Path:
        """Error file first, then the document: an ERP that sees the document in FailBox finds the reason."""
        failbox = self.box(item.enterprise_id, item.module, FAILBOX)
        failbox.mkdir(parents=True, exist_ok=True)
        target = unique_target(failbox, item.name)
        write_atomic(target.with_name(target.name + ERROR_SUFFIX), error_text.encode("utf-8"))
        return self._move(item, FAILBOX, target)

    def _move(self, item: ReadyFile, box: str, target: Path | None = None) -> Path:
        folder = self.box(item.enterprise_id, item.module, box)
        folder.mkdir(parents=True, exist_ok=True)
        target = target or unique_target(folder, item.name)
        try:
            os.rename(item.path, target)  # same file system: atomic
        except OSError as exc:
            raise MailboxError(f"cannot move {item.path} to {target}: {exc}") from exc
        self._tracker.forget(item.path)
        return target

    # answering -------------------------------------------------------------------------------------
    def write_inbox(self, enterprise_id: str, module: str, day: date, name: str, content: bytes) -> Path:
        """Write InBox/yyyy-MM-dd/<name> by temp-then-rename; the same name again replaces it (idempotent)."""
        folder = self.box(enterprise_id, module, INBOX) / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / safe_file_name(name)
        write_atomic(target, content)
        return target


def safe_file_name(name: str) -> str:
    """A single path segment: separators and control characters replaced, never empty or a dot-name."""
    cleaned = re.sub(r'[\x00-\x1f/\\:*?"<>|]', "_", name).strip()
    cleaned = cleaned.lstrip(".") or "file"
    return cleaned[:200]


def unique_target(folder: Path, name: str) -> Path:
    """folder/name, or folder/stem(2).ext … when an earlier file of that name is already filed there."""
    target = folder / name
    if not target.exists():
        return target
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    n = 2
    while True:
        candidate = folder / (f"{stem}({n}).{ext}" if ext else f"{stem}({n})")
        if not candidate.exists():
            return candidate
        n += 1


def write_atomic(target: Path, content: bytes) -> None:
    """Write to a dot-name beside the target, flush to disk, then rename over it."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise MailboxError(f"cannot write {target}: {exc}") from exc
