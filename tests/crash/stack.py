"""The crash test's moving parts: the mock customs process with its fault scenarios, the documents, and
the ``cogw worker`` processes that get SIGKILLed and restarted."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from gateway.demo import sample_bytes
from gateway.mockproc import stop_process, wait_ready

FAULTS = Path(__file__).with_name("faults.toml")
FAMILIES = Path(__file__).resolve().parents[1] / "data" / "families"
SFTP_USER, SFTP_PASSWORD, TOKEN = "gateway", "crash-sftp", "crash-token"
CCPIT_EVERY = 4  # every 4th message is a CCPIT base-data record (HTTP), the others Form E (SFTP)


class Doc(NamedTuple):
    raw: bytes
    authority: str
    outcome: str  # the authority's decision: APPROVED | RETURNED


def documents(n: int) -> Iterator[Doc]:
    """n distinct documents. GACC: Form E declarations (own DocumentNo and CertNo), every 10th one returned
    (origin criterion). CCPIT: exporter records, every 10th one a delete of an importer CCPIT never had
    (returned, CODE_UNKNOWN)."""
    approved, returned = sample_bytes("form_e_approved.xml"), sample_bytes("form_e_returned.xml")
    exporter = (FAMILIES / "ccpit_basedata" / "valid_exporter.xml").read_bytes()
    delete = (FAMILIES / "ccpit_basedata" / "valid_delete_importer.xml").read_bytes()
    gacc = ccpit = 0
    for i in range(1, n + 1):
        if i % CCPIT_EVERY == 0:
            ccpit += 1
            src, old_code, outcome = ((delete, b"KR0031", "RETURNED") if ccpit % 10 == 0
                                      else (exporter, b"010001", "APPROVED"))
            doc_no = b"ERP-CCPIT-BD-2026-0105" if outcome == "RETURNED" else b"ERP-CCPIT-BD-2026-0101"
            yield Doc(src.replace(doc_no, f"CRASH-CB-{i:05d}".encode())
                      .replace(old_code, f"C{i:05d}".encode()), "CCPIT", outcome)
        else:
            gacc += 1
            src, old_doc, old_cert, outcome = ((returned, b"ERP-SO-2026-004712", b"E263501000010002", "RETURNED")
                                               if gacc % 10 == 0 else
                                               (approved, b"ERP-SO-2026-004711", b"E263501000010001", "APPROVED"))
            yield Doc(src.replace(old_doc, f"CRASH-{i:05d}".encode())
                      .replace(old_cert, f"E26350100001{i:04d}".encode()), "GACC", outcome)


@dataclass
class Mock:
    proc: subprocess.Popen[str]
    url: str
    sftp_port: int
    host_key: str
    state: Path

    def admin(self, path: str, **params: str) -> Any:
        r = httpx.get(f"{self.url}{path}", params=params, timeout=60)
        r.raise_for_status()
        return r.json()

    def sftp_outbound(self) -> list[str]:
        """Receipt files still waiting in GACC's SFTP outbound/ mailbox."""
        folder = self.state / "mailboxes" / "GACC" / "outbound"
        return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))

    def unacked_feed(self) -> list[str]:
        """Receipts on CCPIT's HTTP feed not acknowledged yet."""
        return [i["name"] for i in self.admin("/admin/http/outbound", authority="CCPIT")["outbound"]
                if i["acked_at"] is None]

    def drained(self) -> bool:
        return not self.sftp_outbound() and not self.unacked_feed()

    def fired(self) -> dict[str, int]:
        """How often each active scenario acted, by ``name(param=value,...)`` label."""
        out: dict[str, int] = {}
        for fault in self.admin("/admin/scenarios")["active"]:
            out[scenario_label(fault)] = out.get(scenario_label(fault), 0) + fault["fired"]
        return out

    def stop(self) -> None:
        stop_process(self.proc)


def scenario_label(fault: dict[str, Any]) -> str:
    keys = [k for k in ("direction", "mode", "endpoint", "when") if k in fault["params"]]
    return fault["name"] + (f"({','.join(str(fault['params'][k]) for k in keys)})" if keys else "")


def start_mock(state: Path, pki_dir: Path, passphrase: str, seed: int) -> Mock:
    cmd = [sys.executable, "-m", "mock_customs", "--state-dir", str(state), "--pki-dir", str(pki_dir),
           "--sftp-port", "0", "--http-port", "0", "--authority", "GACC", "--authority", "CCPIT",
           "--user", f"{SFTP_USER}:{SFTP_PASSWORD}@GACC", "--http-token", f"{SFTP_USER}:{TOKEN}",
           "--delay-stored", "0", "--delay-decision", "0", "--poll-interval", "0.1",
           # a repeated upload gets its receipts written again: more duplicates for the gateway to dedupe
           "--duplicate-policy", "reemit", "--scenario-file", str(FAULTS), "--seed", str(seed),
           "--log-level", "WARNING"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "MOCK_PKI_PASSPHRASE": passphrase})
    ready = wait_ready(proc, 60, [])
    assert ready["authorities"] == ["GACC", "CCPIT"], ready
    return Mock(proc, f"http://127.0.0.1:{ready['http_port']}", int(ready["sftp_port"]),
                str(ready["host_public_key"]), state)


def gateway_env(mock: Mock, database_url: str, pki_dir: Path, passphrase: str, archive: Path) -> dict[str, str]:
    """GACC over SFTP, CCPIT over HTTP; short polls, leases and backoff so a run takes minutes."""
    return {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_PKI_DIR": str(pki_dir),
            "GATEWAY_PKI_PASSPHRASE": passphrase, "GATEWAY_LOG_LEVEL": "WARNING",
            "GATEWAY_DISPATCH_POLL_SECONDS": "0.5", "GATEWAY_RECEIPT_POLL_SECONDS": "0.2",
            "GATEWAY_LEADER_RETRY_SECONDS": "0.5", "GATEWAY_LEASE_SECONDS": "4",
            "GATEWAY_MAX_ATTEMPTS": "40", "GATEWAY_RETRY_BASE_SECONDS": "0.2", "GATEWAY_RETRY_CAP_SECONDS": "2",
            "GATEWAY_AUTHORITY_GACC_PORT": str(mock.sftp_port), "GATEWAY_AUTHORITY_GACC_USERNAME": SFTP_USER,
            "GATEWAY_AUTHORITY_GACC_PASSWORD": SFTP_PASSWORD, "GATEWAY_AUTHORITY_GACC_HOST_KEY": mock.host_key,
            # below slow_mailbox's 4 s: a slow listing is a transient error, read again on the next poll
            "GATEWAY_AUTHORITY_GACC_TIMEOUT": "3", "GATEWAY_AUTHORITY_CCPIT_TIMEOUT": "3",
            "GATEWAY_AUTHORITY_CCPIT_TRANSPORT": "http", "GATEWAY_AUTHORITY_CCPIT_URL": f"{mock.url}/api/v1/CCPIT",
            "GATEWAY_AUTHORITY_CCPIT_TOKEN": TOKEN, "GATEWAY_ARCHIVE_DIR": str(archive)}


@dataclass
class Workers:
    """``count`` ``cogw worker`` processes; each (re)start gets a new worker id ``w<slot>-<kills>``."""

    env: dict[str, str]
    count: int
    rng: random.Random
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    kills: int = 0
    logs: list[str] = field(default_factory=list)
    ready_seconds: list[float] = field(default_factory=list)  # process start to ready line, per (re)start

    def spawn(self, slot: int) -> subprocess.Popen[str]:
        env = {**self.env, "GATEWAY_WORKER_ID": f"w{slot}-{self.kills}"}
        began = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        wait_ready(proc, 60, self.logs)
        self.ready_seconds.append(time.monotonic() - began)
        return proc

    def start(self) -> None:
        self.procs = [self.spawn(i) for i in range(self.count)]

    def kill_one(self) -> None:
        slot = self.rng.randrange(self.count)
        victim = self.procs[slot]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        if victim.stdout is not None:
            victim.stdout.close()
        self.kills += 1
        self.procs[slot] = self.spawn(slot)

    def stop(self) -> None:
        for p in self.procs:
            stop_process(p)
