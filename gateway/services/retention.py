"""Retention: purge settled messages after configurable ages, archiving exactly what was sent and received.

Per message, in this order: read everything kept (record, history, raw / signed / error payloads, every
receipt's signed bytes), write one ``.tar.gz`` to the archive and read it back, then delete the rows in
one transaction. A crash after the write only means the archive is written again next run (same name).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gateway.services.ports import Archive, Clock, Store

PAYLOAD_FILES = {"raw": "raw.xml", "signed": "signed.xml", "errors": "errors.json"}


@dataclass(frozen=True)
class RetentionPolicy:
    done_days: float = 90.0  # DONE messages
    failed_days: float = 365.0  # FAILED (dead letters) and REJECTED input
    batch: int = 200

    def __post_init__(self) -> None:
        if self.done_days < 0 or self.failed_days < 0:
            raise ValueError("retention ages must not be negative")


@dataclass
class RetentionReport:
    archived: list[str] = field(default_factory=list)
    bytes: int = 0


def archive_name(bundle: dict[str, Any]) -> str:
    created: datetime = bundle["created_at"]
    return f"{bundle['enterprise_id']}/{created:%Y/%m}/{bundle['message_id']}.tar.gz"


def build_archive(bundle: dict[str, Any]) -> bytes:
    """A gzip'd tar: manifest.json (the record, history, and a sha256 per file) plus the files themselves."""
    files: dict[str, bytes] = {PAYLOAD_FILES.get(kind, f"{kind}.bin"): content
                               for kind, content in sorted(bundle["payloads"].items())}
    for receipt_id, raw in bundle["receipts"]:
        files[f"receipts/{_safe(receipt_id)}.xml"] = raw
    manifest = {"message_id": bundle["message_id"], "enterprise_id": bundle["enterprise_id"],
                "message_type": bundle["message_type"], "document_no": bundle["document_no"],
                "state": bundle["state"], "record": bundle["record"],
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}}
    out = io.BytesIO()
    mtime = int(bundle["created_at"].timestamp())
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=6) as tar:
        for name, data in [("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1, default=str)
                            .encode()), *files.items()]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), mtime, 0o600
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def read_archive(data: bytes) -> dict[str, bytes]:
    """Name -> bytes of every file in an archive written by build_archive."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def run_retention(store: Store, archive: Archive, clock: Clock, policy: RetentionPolicy) -> RetentionReport:
    report = RetentionReport()
    now = clock.now()
    with store.transaction() as tx:
        pks = tx.purgeable(done_before=now - timedelta(days=policy.done_days),
                           failed_before=now - timedelta(days=policy.failed_days), limit=policy.batch)
    for pk in pks:
        with store.transaction() as tx:
            bundle = tx.archive_bundle(pk)
        if bundle is None:
            continue
        data = build_archive(bundle)
        name = archive_name(bundle)
        archive.put(name, data)
        if archive.get(name) != data:  # never delete what we cannot read back
            raise OSError(f"archive {name} does not read back as written; message {bundle['message_id']} kept")
        with store.transaction() as tx:
            tx.record_archive(message_pk=pk, archive_name=name, archive_sha256=hashlib.sha256(data).hexdigest(),
                              archive_bytes=len(data), at=clock.now())
        report.archived.append(bundle["message_id"])
        report.bytes += len(data)
    return report


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:120]
