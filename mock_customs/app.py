"""Mock customs as a program: SFTP mailboxes + HTTP admin + the processing loop, one process.

``python -m mock_customs --help`` (or ``cogw mock-customs --help``) explains the options. In tests,
:func:`start` runs it in-process on ephemeral ports and returns a handle.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from mock_customs.authority import Authority, StageDelays
from mock_customs.http_admin import AdminApi, AdminHttpServer
from mock_customs.http_api import EnterpriseApi, HttpToken, MockHttpServer, tokens_from_specs
from mock_customs.registry import Registry
from mock_customs.review import utcnow
from mock_customs.scenarios import Fault, Scenarios, epilog, load_file, parse_spec
from mock_customs.sftp_server import SftpServer, SftpUser, read_authorized_keys, users_from_specs

log = logging.getLogger("mock_customs")

AUTHORITIES = ("GACC", "CCPIT")


@dataclass
class MockConfig:
    """Everything the mock needs. Paths are created when missing."""

    state_dir: Path
    pki_dir: Path
    pki_passphrase: str
    users: list[SftpUser] = field(default_factory=list)
    http_tokens: list[HttpToken] = field(default_factory=list)  # bearer tokens of the /api/v1 HTTP API
    sftp_host: str = "127.0.0.1"
    sftp_port: int = 0
    http_host: str = "127.0.0.1"
    http_port: int = 0
    delays: StageDelays = field(default_factory=StageDelays)
    poll_interval: float = 1.0
    authorities: tuple[str, ...] = ("GACC",)
    duplicate_policy: str = "ignore"  # or "reemit": a duplicate gets the same receipts written again
    scenarios: list[Fault] = field(default_factory=list)  # active fault scenarios (scenarios.py)
    seed: int = 0  # seeds the one random.Random behind every scenario decision

    def mailbox(self, authority: str) -> Path:
        return Path(self.state_dir) / "mailboxes" / authority


class MockCustoms:
    """The running mock. ``start()`` → serving; ``stop()`` → everything closed (idempotent)."""

    def __init__(self, config: MockConfig, clock: Callable[[], datetime] = utcnow) -> None:
        if not config.users and not config.http_tokens:
            raise ValueError("at least one SFTP user (--user NAME:PASSWORD) or HTTP token (--http-token NAME:TOKEN)"
                             " is needed")
        unknown = [a for a in config.authorities if a not in AUTHORITIES]
        if unknown or not config.authorities:
            raise ValueError(f"authorities must be among {AUTHORITIES}, got {config.authorities}")
        self.config = config
        self.clock = clock
        self.registry: Registry | None = None
        self.authorities: dict[str, Authority] = {}
        self.sftp: SftpServer | None = None
        self.http: AdminHttpServer | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._loop: threading.Thread | None = None
        self.scenarios = Scenarios(config.scenarios, config.seed, state_dir=Path(config.state_dir))

    # lifecycle -----------------------------------------------------------------------------------
    def start(self) -> MockCustoms:
        from signing.keystore import KeyStore

        config = self.config
        state = Path(config.state_dir)
        state.mkdir(parents=True, exist_ok=True)
        try:
            self.registry = Registry(state)
            keystore = KeyStore(Path(config.pki_dir), config.pki_passphrase)
            for name in config.authorities:
                self.authorities[name] = Authority(
                    name, config.mailbox(name), self.registry, keystore.signer(name),
                    authority_certificate=keystore.certificate(name), delays=config.delays, clock=self.clock,
                    duplicate_policy=config.duplicate_policy, faults=self.scenarios,
                )
            default_root = config.mailbox(config.authorities[0])
            self.sftp = SftpServer(
                root=default_root, state_dir=state, users=config.users, host=config.sftp_host,
                port=config.sftp_port, faults=self.scenarios,
            ).start()
            self.http = MockHttpServer(
                AdminApi(self.registry, self.authorities, self.clock, after_tick=self.wake, scenarios=self.scenarios),
                EnterpriseApi(self.registry, self.authorities, config.http_tokens, self.clock, self.scenarios),
                config.http_host, config.http_port,
            ).start()
            self.tick()  # catch up (files and receipts due while stopped) before anything else runs
            self._loop = threading.Thread(target=self._run_loop, name="mock-customs-loop", daemon=True)
            self._loop.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._loop is not None:
            self._loop.join(timeout=10)
            self._loop = None
        if self.http is not None:
            self.http.stop()
            self.http = None
        if self.sftp is not None:
            self.sftp.stop()
            self.sftp = None
        if self.registry is not None:
            self.registry.close()
            self.registry = None

    def __enter__(self) -> MockCustoms:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # the processing loop -------------------------------------------------------------------------
    def wake(self) -> None:
        """Ask the loop to look at its schedule again (new receipts may be due sooner)."""
        self._wake.set()

    def tick(self) -> dict[str, Any]:
        return {name: a.tick().as_dict() for name, a in sorted(self.authorities.items())}

    def _run_loop(self) -> None:
        """Tick every ``poll_interval`` seconds, and as soon as a queued receipt falls due.

        Being woken (``wake()``, e.g. after ``POST /admin/tick``) only re-reads the schedule; it does
        not tick by itself, so an admin tick stays the only thing processing in tests.
        """
        poll = max(0.05, float(self.config.poll_interval))
        next_poll = time.monotonic() + poll
        stalled = False  # a due receipt that failed to go out waits for the next poll, no busy loop
        while not self._stop.is_set():
            wait = next_poll - time.monotonic()
            due_in = None if stalled else self._seconds_until_due()
            if due_in is not None:
                wait = min(wait, due_in)
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()
                continue
            try:
                self.tick()
            except Exception:
                log.exception("processing loop iteration failed")
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + poll
                stalled = False
            else:
                overdue = self._seconds_until_due()
                stalled = overdue is not None and overdue <= 0

    def _seconds_until_due(self) -> float | None:
        now = self.clock()
        dues = [d for d in (a.next_due() for a in self.authorities.values()) if d is not None]
        if not dues:
            return None
        return (min(dues) - now).total_seconds()

    # facts for the caller ------------------------------------------------------------------------
    @property
    def sftp_port(self) -> int:
        assert self.sftp is not None
        return self.sftp.port

    @property
    def http_port(self) -> int:
        assert self.http is not None
        return self.http.port

    @property
    def host_public_key(self) -> str:
        assert self.sftp is not None
        return self.sftp.host_public_key

    @property
    def admin_url(self) -> str:
        return f"http://{self.config.http_host}:{self.http_port}"

    def ready_event(self) -> dict[str, Any]:
        return {
            "event": "ready",
            "sftp_port": self.sftp_port,
            "http_port": self.http_port,
            "host_public_key": self.host_public_key,
            "sftp_host": self.config.sftp_host,
            "http_host": self.config.http_host,
            "authorities": list(self.config.authorities),
            "mailboxes": {"inbound": "/inbound/", "outbound": "/outbound/"},
            "http_api": "/api/v1/",
            "state_dir": str(self.config.state_dir),
            "scenarios": [f.name for f in self.config.scenarios],
            "seed": self.config.seed,
        }


def start(config: MockConfig, clock: Callable[[], datetime] = utcnow) -> MockCustoms:
    """Start in this process (threads) and return the handle; the caller stops it."""
    return MockCustoms(config, clock).start()


def run(config: MockConfig, *, out: TextIO | None = None, stop_event: threading.Event | None = None) -> int:
    """Serve until SIGTERM / SIGINT (or ``stop_event``); print the ready line on ``out`` (stdout)."""
    out = out or sys.stdout
    stop = stop_event or threading.Event()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():

        def _on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("signal %d: stopping", signum)
            stop.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, _on_signal)
    mock = MockCustoms(config)
    try:
        mock.start()
        out.write(json.dumps(mock.ready_event(), ensure_ascii=False) + "\n")
        out.flush()
        while not stop.wait(1.0):
            pass
    finally:
        mock.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
    out.write(json.dumps({"event": "stopped"}) + "\n")
    out.flush()
    return 0


DESCRIPTION = """\
Mock customs: stands in for the Chinese customs authority GACC and for CCPIT, and behaves like them:
every outbound document family is reviewed against what the authority knows (docs/mock_customs.md).

SFTP mailboxes (each user is jailed to one authority's mailbox tree, --user NAME:PW@CCPIT for CCPIT's,
and sees it as /):
  /inbound/    upload enterprise envelopes here as <MessageId>.xml; write under a name starting with '.'
               (e.g. .<name>.tmp) and rename: only complete names (not starting with '.') are picked up
  /outbound/   signed receipts appear here as <ReceiptId>.xml (ReceiptId = <AUTHORITY>-<MessageId>-<stage>):
               1 ImportResponse (ResultCode 0 accepted / 1 failed with reasons), 2 BusinessReceipt STORED
               海关入库成功, 3 BusinessReceipt APPROVED 审核通过 or RETURNED 退证 with reasons, 4… an
               authority document answering an approval (pre-review number, query answer …);
               <AUTHORITY>-INIT-<id>-1.xml: a message the authority starts itself
  /processed/  every file received, kept as it came

HTTP admin (JSON, on --host:--http-port, no authentication: keep it on 127.0.0.1):
  GET  /healthz                      liveness
  POST /admin/enterprises            register {"id", "reg_no", "certificate_pem"[, "authority", "synced",
                                     "product_review_required"]}
  GET  /admin/enterprises            registered enterprises
  GET  /admin/messages[?authority=]  every MessageId observed: receive count, decision, reasons, receipts
  GET  /admin/messages/<MessageId>   one of them (404 if never received)
  GET  /admin/certificates           certificate numbers held (pending / approved / returned / voided)
  GET  /admin/records                what the authority knows (?authority=&enterprise=&kind=): sync state,
                                     pre-reviews, registrations, verification records, blank forms …
  POST /admin/records                seed one fact {"enterprise", "kind", "key", "status"[, "data", "authority"]}
  POST /admin/initiate/<kind>        a message the authority starts: verification-request,
                                     blank-form-allocation, print-layout, partner-status ({"enterprise", …})
  GET  /admin/initiated              the authority-initiated messages
  POST /admin/tick                   process inbound and emit due receipts now (deterministic tests)

HTTP API (same port, under /api/v1/ or /api/v1/<AUTHORITY>/; Authorization: Bearer <--http-token TOKEN>):
  POST /api/v1/inbound               the signed envelope (Content-Type application/xml, at most 5 MiB) with
                                     Idempotency-Key: <MessageId>; stored like an SFTP upload → 202 accepted;
                                     the same key and bytes again → 200 (counted as a duplicate); other
                                     bytes → 409; bad key → 400; no or wrong token → 401; too big → 413
  GET  /api/v1/outbound?after=&limit= receipts in emission order {"items": [{"id", "name", "content_b64"}],
                                     "next"}: after an id every later one, without one only unacknowledged
  POST /api/v1/outbound/ack          {"ids": [...]} marks receipts acknowledged (idempotent)
  GET  /admin/http/submissions, /admin/http/outbound   what the HTTP API received and served
  GET  /admin/scenarios              active fault scenarios, how often each fired, seed, catalogue
  POST /admin/scenarios              {"scenarios": ["NAME:k=v", ...], "seed": N} replaces them ([] clears)

When ready it prints one JSON line on stdout:
  {"event": "ready", "sftp_port": N, "http_port": N, "host_public_key": "ssh-ed25519 AAAA…", …}
SIGTERM / SIGINT stop it gracefully. State (SQLite registry, host key, mailboxes) lives in --state-dir.
"""


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mock_customs", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=epilog(),
    )
    parser.add_argument("--state-dir", required=True, type=Path,
                        help="registry, host key and mailboxes live here (created if missing)")
    parser.add_argument("--pki-dir", required=True, type=Path,
                        help="test PKI made by signing.pki.init_pki (authorities/<ID>.crt|.key, ca.crt)")
    parser.add_argument("--pki-passphrase", default=None,
                        help="passphrase of the PKI keys (default: environment MOCK_PKI_PASSPHRASE)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind SFTP and HTTP (default 127.0.0.1)")
    parser.add_argument("--sftp-port", type=int, default=0, help="SFTP port (0 = ephemeral, see the ready line)")
    parser.add_argument("--http-port", type=int, default=0, help="admin HTTP port (0 = ephemeral)")
    parser.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD[@AUTHORITY]",
                        help="SFTP login with a password (repeatable); @CCPIT jails it to CCPIT's mailbox tree"
                             " (default: the first authority's)")
    parser.add_argument("--http-token", action="append", default=[], metavar="NAME:TOKEN",
                        help="bearer token accepted by the /api/v1 HTTP API, recorded as NAME (repeatable)")
    parser.add_argument("--authorized-key", action="append", default=[], metavar="NAME:PATH",
                        help="SFTP login NAME may use the public key(s) in PATH (OpenSSH format; repeatable)")
    parser.add_argument("--authority", action="append", default=[], choices=AUTHORITIES,
                        help="authorities to run (default GACC); mailboxes under STATE/mailboxes/<ID>/")
    parser.add_argument("--delay-stored", type=_non_negative, default=0.0, metavar="SECONDS",
                        help="ImportResponse → STORED receipt (default 0)")
    parser.add_argument("--delay-decision", type=_non_negative, default=0.0, metavar="SECONDS",
                        help="STORED → APPROVED/RETURNED receipt (default 0)")
    parser.add_argument("--poll-interval", type=_non_negative, default=1.0, metavar="SECONDS",
                        help="how often the inbound mailbox is scanned (default 1)")
    parser.add_argument("--duplicate-policy", choices=("ignore", "reemit"), default="ignore",
                        help="a MessageId received again is counted, never re-reviewed; 'reemit' also writes"
                             " its receipts again (default ignore)")
    parser.add_argument("--scenario", action="append", default=[], metavar="NAME[:k=v,...]",
                        help="switch a fault scenario on (repeatable; the list is below)")
    parser.add_argument("--scenario-file", type=Path, default=None, metavar="PATH",
                        help="fault scenarios from a TOML or JSON file (added before any --scenario)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of every random scenario decision (default: the file's seed, else 0)")
    parser.add_argument("--log-level", default="INFO", help="logging level on stderr (default INFO)")
    return parser


def scenarios_from_args(args: argparse.Namespace) -> tuple[list[Fault], int]:
    faults: list[Fault] = []
    seed = 0
    if args.scenario_file is not None:
        from_file, file_seed = load_file(args.scenario_file)
        faults.extend(from_file)
        seed = file_seed if file_seed is not None else seed
    faults.extend(parse_spec(text) for text in args.scenario)
    return faults, (args.seed if args.seed is not None else seed)


def user_specs(specs: Sequence[str]) -> list[tuple[SftpUser, str | None]]:
    """``NAME:PASSWORD[@AUTHORITY]``: the login and the authority whose mailbox tree it is jailed to.

    Only a known authority after the last ``@`` counts, so a password may contain ``@``.
    """
    out: list[tuple[SftpUser, str | None]] = []
    for spec in specs:
        head, at, tail = spec.rpartition("@")
        authority = tail if at and tail in AUTHORITIES else None
        for user in users_from_specs([head if authority else spec]):
            out.append((user, authority))
    return out


def config_from_args(args: argparse.Namespace) -> MockConfig:
    passphrase = args.pki_passphrase or os.environ.get("MOCK_PKI_PASSPHRASE")
    if not passphrase:
        raise ValueError("the PKI passphrase is needed: --pki-passphrase or MOCK_PKI_PASSPHRASE")
    state_dir = Path(args.state_dir)
    authorities = list(dict.fromkeys(args.authority)) or ["GACC"]
    users: dict[str, SftpUser] = {}
    for user, authority in user_specs(args.user):
        if authority is not None:
            if authority not in authorities:
                authorities.append(authority)  # a user of CCPIT's mailbox means CCPIT runs
            user = SftpUser(name=user.name, password=user.password, authorized_keys=user.authorized_keys,
                            root=state_dir / "mailboxes" / authority)
        users[user.name] = user
    for spec in args.authorized_key:
        name, sep, path = spec.partition(":")
        if not sep or not name or not path:
            raise ValueError(f"--authorized-key expects NAME:PATH, got {spec!r}")
        keys = read_authorized_keys(Path(path))
        current = users.get(name, SftpUser(name=name))
        users[name] = SftpUser(name=name, password=current.password,
                               authorized_keys=current.authorized_keys + keys, root=current.root)
    scenarios, seed = scenarios_from_args(args)  # ScenarioError is a ValueError: reported like other options
    return MockConfig(
        state_dir=args.state_dir,
        pki_dir=args.pki_dir,
        pki_passphrase=passphrase,
        users=list(users.values()),
        http_tokens=tokens_from_specs(args.http_token),
        sftp_host=args.host,
        sftp_port=args.sftp_port,
        http_host=args.host,
        http_port=args.http_port,
        delays=StageDelays(stored=args.delay_stored, decision=args.delay_decision),
        poll_interval=args.poll_interval,
        authorities=tuple(authorities),
        duplicate_policy=args.duplicate_policy,
        scenarios=scenarios,
        seed=seed,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO), stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("paramiko").setLevel(logging.WARNING)
    from signing.errors import SigningError

    try:
        config = config_from_args(args)
        return run(config)
    except ValueError as exc:
        parser.error(str(exc))
    except (SigningError, OSError) as exc:
        print(f"mock_customs: error: {exc}", file=sys.stderr)
        return 1
    return 2
