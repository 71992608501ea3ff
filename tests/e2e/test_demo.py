"""The README's first command: `cogw demo --check` runs the whole demo (mock customs as its own process,
gateway on SQLite, four samples, the web UI) and exits 0 only when everything ended as expected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_the_demo_check_passes_from_an_empty_directory(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "demo", "--check", "--port", "0"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=240)
    out = result.stdout
    assert result.returncode == 0, out[-4000:] + result.stderr[-4000:]
    assert "demo check: PASSED" in out
    assert out.count("   ok  ") == 4 and "BAD" not in out
    assert "state DONE, document RETURNED" in out and "state REJECTED" in out
    assert "demo-declarant logs in and sees the certificates" in out
    assert (tmp_path / "var" / "demo" / "gateway.db").exists()  # SQLite, as the README says
