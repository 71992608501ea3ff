"""`cogw push` and `cogw status` as an operator runs them (subprocesses), on each supported database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from gateway.demo import sample_bytes

COGW = [sys.executable, "-m", "gateway.cli"]
ENT = "91350100M000100Y43"


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COGW, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def _setup(database_url: str, tmp_path: Path) -> tuple[dict[str, str], Path]:
    env = {"GATEWAY_DATABASE_URL": database_url, "GATEWAY_LOG_LEVEL": "WARNING"}
    r = run(["enterprise", "add", "--id", ENT, "--name", "Demo", "--reg-no", "350100001"], env)
    assert r.returncode == 0, r.stderr
    docs = tmp_path / "docs"
    (docs / "more").mkdir(parents=True)
    (docs / "a_form_e.xml").write_bytes(sample_bytes("form_e_approved.xml"))
    (docs / "more" / "b_general.xml").write_bytes(sample_bytes("general_co_approved.xml"))
    (docs / "more" / "c_invalid.xml").write_bytes(sample_bytes("general_co_xsd_invalid.xml"))
    (docs / "notes.txt").write_text("not a document")
    return env, docs


def test_push_a_directory_shows_a_summary_and_fails_when_any_file_is_rejected(database_url: str,
                                                                              tmp_path: Path) -> None:
    env, docs = _setup(database_url, tmp_path)
    r = run(["push", str(docs), "--enterprise", ENT, "--json", "--no-color", "--width", "200"], env)
    assert r.returncode == 1, r.stderr  # one file was rejected
    results = json.loads(r.stdout.strip().splitlines()[-1])
    assert [(Path(x["file"]).name, x["result"]) for x in results] == [
        ("a_form_e.xml", "accepted"), ("b_general.xml", "accepted"), ("c_invalid.xml", "rejected")]
    assert all(len(x["message_id"]) == 32 for x in results)
    assert any(e["path"].endswith("/HSCode") for e in results[2]["errors"])
    table = r.stdout
    assert "3 file(s) for " + ENT in table and "2 accepted, 1 not accepted" in table
    assert results[0]["message_id"] in table and "XSD." in table and "3/3" in table  # progress bar finished

    again = run(["push", str(docs / "a_form_e.xml"), "--enterprise", ENT, "--json", "--no-color"], env)
    assert again.returncode == 0, again.stderr  # same document again: a duplicate, same MessageId
    (dup,) = json.loads(again.stdout.strip().splitlines()[-1])
    assert (dup["result"], dup["message_id"]) == ("duplicate", results[0]["message_id"])

    status = run(["status", "--no-color", "--width", "200"], env)
    assert status.returncode == 0, status.stderr
    assert re.search(r"│ QUEUED\s+│\s+2 │", status.stdout) and re.search(r"│ REJECTED\s+│\s+1 │", status.stdout)
    assert "recent failures" in status.stdout and results[2]["message_id"] in status.stdout
    assert "waiting for receipts: none" in status.stdout


def test_push_refuses_an_unknown_enterprise_and_an_empty_selection(database_url: str, tmp_path: Path) -> None:
    env, docs = _setup(database_url, tmp_path)
    r = run(["push", str(docs), "--enterprise", "NOPE"], env)
    assert r.returncode == 2 and "unknown enterprise NOPE" in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run(["push", str(empty), "--enterprise", ENT], env)
    assert r.returncode == 2 and "no files matching" in r.stderr
