"""FileArchive: retention archives as files under one directory, written atomically and durably."""

from __future__ import annotations

import os
import re
from pathlib import Path

_NAME = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


class FileArchive:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not _NAME.fullmatch(name) or any(part in {".", ".."} for part in name.split("/")):
            raise ValueError(f"invalid archive name {name!r}")
        return self.root / name

    def put(self, name: str, content: bytes) -> str:
        """Write to a temporary name, fsync, rename over, fsync the directory: all or nothing."""
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return str(path)

    def get(self, name: str) -> bytes:
        return self._path(name).read_bytes()
