"""`cogw` commands as an operator runs them (subprocesses, environment settings only)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

from gateway.mockproc import stop_process, wait_ready

COGW = [sys.executable, "-m", "gateway.cli"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COGW, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_pki_init_creates_encrypted_keys_and_is_idempotent(tmp_path: Path) -> None:
    env = {"GATEWAY_PKI_DIR": str(tmp_path / "pki"), "GATEWAY_PKI_PASSPHRASE": "s3cret-pass"}
    first = run(["pki", "init", "--enterprise", "91350100M000100Y43"], env)
    assert first.returncode == 0, first.stderr
    key = tmp_path / "pki" / "enterprises" / "91350100M000100Y43.key"
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    again = run(["pki", "init", "--enterprise", "91350100M000100Y43", "--enterprise", "91110000100000000X"], env)
    assert again.returncode == 0, again.stderr
    assert key.read_bytes() == before  # existing keys are never replaced
    assert (tmp_path / "pki" / "enterprises" / "91110000100000000X.key").exists()


def test_pki_init_refuses_without_a_passphrase(tmp_path: Path) -> None:
    r = run(["pki", "init", "--enterprise", "X1"], {"GATEWAY_PKI_DIR": str(tmp_path), "GATEWAY_PKI_PASSPHRASE": ""})
    assert r.returncode == 2 and "GATEWAY_PKI_PASSPHRASE" in r.stderr


def test_enterprise_add_prints_a_key_that_is_stored_only_hashed(tmp_path: Path) -> None:
    db = tmp_path / "gw.db"
    r = run(["enterprise", "add", "--id", "91350100M000100Y43", "--name", "Demo", "--reg-no", "350100001"],
            {"GATEWAY_DATABASE_URL": f"sqlite:///{db}"})
    assert r.returncode == 0, r.stderr
    key = json.loads(r.stdout.strip().splitlines()[-1])["api_key"]
    secret = key.split("_", 2)[2]
    assert secret.encode() not in db.read_bytes()


def test_sqlite_refuses_more_than_one_worker(tmp_path: Path) -> None:
    r = run(["worker", "--workers", "3"], {"GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'gw.db'}"})
    assert r.returncode == 2 and "PostgreSQL" in r.stderr


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """A long-running `cogw` process, returned once it printed its ready line."""
    proc = subprocess.Popen([*COGW, *args], env={**os.environ, **env}, stdout=subprocess.PIPE, text=True)
    wait_ready(proc, 60, [])
    return proc


def test_sqlite_refuses_a_second_dispatching_process_until_the_first_is_gone(
        tmp_path: Path, pki_dir: Path, pki_passphrase: str) -> None:
    env = {"GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'gw.db'}", "GATEWAY_PKI_DIR": str(pki_dir),
           "GATEWAY_PKI_PASSPHRASE": pki_passphrase}
    lock = (tmp_path / "gw.db.dispatch.lock").resolve()
    first = start(["worker"], env)
    try:
        for args in (["worker"], ["serve", "--port", "0"]):
            second = run(args, env)
            assert second.returncode == 2, (args, second.stderr)
            assert f"pid {first.pid}" in second.stderr and str(lock) in second.stderr, second.stderr
            assert "use PostgreSQL" in second.stderr
        stop_process(start(["scheduler"], env))  # a process that does not deliver is welcome
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        stop_process(start(["worker"], env))  # the kernel released the killed worker's lock
    finally:
        stop_process(first)


def test_mock_customs_help_is_the_mocks_own(tmp_path: Path) -> None:
    r = run(["mock-customs", "--help"], {})
    assert r.returncode == 0
    assert "inbound" in r.stdout and "/admin/tick" in r.stdout


def test_resend_and_quarantine_commands_answer_in_json(tmp_path: Path) -> None:
    env = {"GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'gw.db'}"}
    assert run(["db", "upgrade"], env).returncode == 0
    r = run(["resend", "0" * 32], env)
    assert r.returncode == 1 and json.loads(r.stdout)["not_found"] == ["0" * 32]
    assert run(["resend"], env).returncode == 2
    q = run(["quarantine", "list"], env)
    assert q.returncode == 0 and q.stdout == ""
    rp = run(["quarantine", "reprocess", "7"], env)
    assert rp.returncode == 1 and json.loads(rp.stdout)["not_found"] == [7]
    ret = run(["retention", "run"], {**env, "GATEWAY_ARCHIVE_DIR": str(tmp_path / "a")})
    assert ret.returncode == 0 and json.loads(ret.stdout)["archived"] == 0
