"""``python -m mock_customs`` as the separate process the gateway runs."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import paramiko
import pytest

from mock_customs.app import build_parser, config_from_args

PASSPHRASE = "cli-passphrase"
ROOT = Path(__file__).resolve().parents[2]


def test_help_describes_mailboxes_and_admin_endpoints() -> None:
    result = subprocess.run([sys.executable, "-m", "mock_customs", "--help"], capture_output=True, text=True,
                            cwd=ROOT, timeout=60, check=True)
    for needle in ("/inbound/", "/outbound/", "POST /admin/enterprises", "GET  /admin/messages/<MessageId>",
                   "POST /admin/tick", "--user NAME:PASSWORD", "--delay-stored", "MOCK_PKI_PASSPHRASE",
                   '"event": "ready"'):
        assert needle in result.stdout


def test_arguments_become_a_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pub = tmp_path / "id.pub"
    pub.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH/+gJ3m0H6gy5JuVuMSdyuRN5gJmxIf/zTD/rLRX+/+ me\n")
    monkeypatch.setenv("MOCK_PKI_PASSPHRASE", "from-env")
    args = build_parser().parse_args([
        "--state-dir", str(tmp_path / "s"), "--pki-dir", str(tmp_path / "p"), "--user", "gw:pa:ss",
        "--authorized-key", f"gw:{pub}", "--delay-stored", "0.5", "--delay-decision", "2", "--poll-interval", "0.1",
    ])
    config = config_from_args(args)
    assert config.pki_passphrase == "from-env"
    [user] = config.users
    assert (user.name, user.password, len(user.authorized_keys)) == ("gw", "pa:ss", 1)
    assert (config.delays.stored, config.delays.decision, config.poll_interval) == (0.5, 2.0, 0.1)
    assert config.authorities == ("GACC",)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--state-dir", "x", "--pki-dir", "y", "--delay-stored", "-1"])


def test_process_prints_the_ready_line_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    from signing.pki import init_pki

    init_pki(tmp_path / "pki", PASSPHRASE, ["91310000MA1FL0XX2K"])
    env = {**os.environ, "MOCK_PKI_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT)}
    stderr = (tmp_path / "stderr.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_customs", "--state-dir", str(tmp_path / "state"), "--pki-dir",
         str(tmp_path / "pki"), "--sftp-port", "0", "--http-port", "0", "--user", "gateway:pw",
         "--poll-interval", "0.1"],
        stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, cwd=ROOT,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        ready = json.loads(lines.get(timeout=60))
        assert ready["event"] == "ready"
        assert ready["sftp_port"] > 0 and ready["http_port"] > 0
        assert ready["host_public_key"].startswith("ssh-ed25519 ")
        assert httpx.get(f"http://127.0.0.1:{ready['http_port']}/healthz", timeout=10).json()["status"] == "ok"
        transport = paramiko.Transport(("127.0.0.1", ready["sftp_port"]))
        try:
            _kind, blob = ready["host_public_key"].split()
            transport.connect(username="gateway", password="pw")
            assert transport.get_remote_server_key().get_base64() == blob
            sftp = paramiko.SFTPClient.from_transport(transport)
            assert sftp is not None and sorted(sftp.listdir("/")) == ["inbound", "outbound", "processed"]
        finally:
            transport.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert json.loads(lines.get(timeout=10)) == {"event": "stopped"}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stderr.close()
        if proc.stdout is not None:
            proc.stdout.close()


def test_missing_passphrase_or_user_is_a_usage_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MOCK_PKI_PASSPHRASE"}
    result = subprocess.run(
        [sys.executable, "-m", "mock_customs", "--state-dir", str(tmp_path), "--pki-dir", str(tmp_path),
         "--user", "gw:pw"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )
    assert result.returncode == 2 and "MOCK_PKI_PASSPHRASE" in result.stderr
