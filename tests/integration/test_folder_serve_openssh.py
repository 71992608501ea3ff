"""`cogw folder serve` with the OpenSSH `sftp` client: key login, put to a temp name, rename, answer in InBox."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from gateway.demo import sample_bytes
from gateway.mockproc import stop_process, wait_ready

pytestmark = pytest.mark.skipif(shutil.which("sftp") is None and not os.environ.get("CI"), reason="no OpenSSH sftp")
COGW = [sys.executable, "-m", "gateway.cli"]
ENT = "91350100M000100Y43"


def _key_pair(tmp_path: Path) -> tuple[Path, Path]:
    key = ed25519.Ed25519PrivateKey.generate()
    private = tmp_path / "id_ed25519"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                          serialization.NoEncryption()))
    private.chmod(0o600)
    public = tmp_path / "id_ed25519.pub"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                     serialization.PublicFormat.OpenSSH) + b" erp@test\n")
    return private, public


def test_openssh_client_drops_a_file_that_the_gateway_takes(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_STATE_DIR": str(tmp_path / "state"),
           "GATEWAY_FOLDER_ROOT": str(tmp_path / "folders"), "GATEWAY_FOLDER_SCAN_SECONDS": "0.2",
           "GATEWAY_LOG_LEVEL": "WARNING"}
    subprocess.run([*COGW, "enterprise", "add", "--id", ENT, "--name", "Demo", "--reg-no", "350100001"],
                   env=env, check=True, capture_output=True)
    private, public = _key_pair(tmp_path)
    subprocess.run([*COGW, "folder", "login", "--enterprise", ENT, "--authorized-key", str(public)],
                   env=env, check=True, capture_output=True)
    proc = subprocess.Popen([*COGW, "folder", "serve", "--port", "0"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        ready = wait_ready(proc, 60, [])
        known_hosts = tmp_path / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{ready['folder_sftp_port']} {ready['folder_sftp_host_key']}\n")
        doc = tmp_path / "order-9.xml"
        doc.write_bytes(sample_bytes("form_e_approved.xml"))
        batch = tmp_path / "batch"
        batch.write_text(f"put {doc} /CO/OutBox/.order-9.xml.tmp\nrename /CO/OutBox/.order-9.xml.tmp "
                         "/CO/OutBox/order-9.xml\nls /CO/OutBox\n")
        r = subprocess.run(["sftp", "-b", str(batch), "-P", str(ready["folder_sftp_port"]), "-i", str(private),
                            "-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes",
                            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", f"{ENT}@127.0.0.1"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        mailbox = tmp_path / "folders" / ENT / "CO"
        deadline = time.monotonic() + 30
        while not (mailbox / "SentBox" / "order-9.xml").exists():
            assert time.monotonic() < deadline, "file not taken"
            time.sleep(0.1)  # the gateway process scans on its own schedule; bounded by the deadline
        answers = [p.name for p in (mailbox / "InBox").rglob("*") if p.is_file()]
        assert answers == ["Successed_order-9.xml"]
    finally:
        stop_process(proc)
