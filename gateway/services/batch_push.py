"""`cogw push`: submit many documents from files through the same intake as the API and the folders."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gateway.services.intake import Issue, accept_message
from gateway.services.ports import Clock, Store
from messages.validate import Validator

SUCCESS = {"accepted", "duplicate"}


@dataclass(frozen=True)
class PushResult:
    path: Path
    outcome: str  # accepted | duplicate | conflict | rejected | malformed | unreadable
    message_id: str | None = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome in SUCCESS


def collect_files(paths: Iterable[Path], pattern: str = "*.xml") -> list[Path]:
    """Files as given, and the files matching `pattern` inside given directories (sorted, recursive)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob(pattern) if f.is_file() and not f.name.startswith(".")))
        else:
            out.append(p)
    return out


def push_files(store: Store, validator: Validator, clock: Clock, *, enterprise_id: str, files: Sequence[Path],
               max_bytes: int, progress: Callable[[PushResult], None] | None = None) -> list[PushResult]:
    results = []
    for path in files:
        result = _push_one(store, validator, clock, enterprise_id, path, max_bytes)
        results.append(result)
        if progress is not None:
            progress(result)
    return results


def _push_one(store: Store, validator: Validator, clock: Clock, enterprise_id: str, path: Path,
              max_bytes: int) -> PushResult:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return PushResult(path, "malformed", issues=[Issue("FILE.too_large", "/",
                                                               f"{size} bytes; the limit is {max_bytes}")])
        raw = path.read_bytes()
    except OSError as exc:
        return PushResult(path, "unreadable", issues=[Issue("FILE.unreadable", "/", str(exc))])
    result = accept_message(store, validator, clock, enterprise_id=enterprise_id, raw=raw, actor="cli:push")
    return PushResult(path, result.outcome, result.message_id, list(result.issues))
