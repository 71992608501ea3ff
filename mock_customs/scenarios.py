"""Named fault scenarios: the ways a real authority misbehaves, switched on by name, reproducible by seed.

A scenario is a small declarative fault (``ScenarioSpec``: name, one-line summary, typed parameters)
made active with parameter values (``Fault``). Every scenario also takes ``probability`` (the chance it
fires each time it could, default 1) and ``count`` (fire at most that many times, default 0 = no limit).
All random choices (whether a fault fires, jitter) come from one ``random.Random(seed)``, so the same
traffic with the same seed misbehaves the same way.

Selection: ``--scenario NAME[:k=v,...]`` (repeatable), ``--scenario-file PATH`` (TOML or JSON),
``--seed N``; at run time ``GET /admin/scenarios`` (active set, how often each fired, the catalogue) and
``POST /admin/scenarios {"scenarios": [...], "seed": N}`` (replaces the set; ``[]`` clears it).

The mock's parts ask :class:`Scenarios` at their hook points (SFTP server, HTTP API, receipt emission);
with nothing active every hook is a no-op.
"""

from __future__ import annotations

import json
import os
import random
import threading
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mock_customs.registry import ScheduledReceipt


class ScenarioError(ValueError):
    """A scenario selection that cannot be used: unknown name, parameter or value."""


# --------------------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Param:
    name: str
    kind: type  # float, int, str or bool
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def convert(self, scenario: str, raw: Any) -> Any:
        where = f"scenario {scenario}: parameter {self.name}"
        try:
            if self.kind is bool:
                if isinstance(raw, bool):
                    value: Any = raw
                elif str(raw).lower() in ("1", "true", "yes", "on"):
                    value = True
                elif str(raw).lower() in ("0", "false", "no", "off"):
                    value = False
                else:
                    raise ValueError(raw)
            elif self.kind is int:
                if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                    raise ValueError(raw)
                value = int(raw)
            elif self.kind is float:
                if isinstance(raw, bool):
                    raise ValueError(raw)
                value = float(raw)
            else:
                value = str(raw)
        except (TypeError, ValueError):
            raise ScenarioError(f"{where}: {raw!r} is not a valid {self.kind.__name__}") from None
        if self.choices and value not in self.choices:
            raise ScenarioError(f"{where}: {value!r} is not one of {', '.join(self.choices)}")
        if self.minimum is not None and value < self.minimum:
            raise ScenarioError(f"{where}: {value!r} is below the minimum {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise ScenarioError(f"{where}: {value!r} is above the maximum {self.maximum:g}")
        return value

    def describe(self) -> str:
        """``name=default`` for --help; a choice shows every value (``mode=short|truncate``)."""
        if self.choices:
            return f"{self.name}={'|'.join(self.choices)}"
        return f"{self.name}={self.default!r}" if self.kind is str else f"{self.name}={self.default}"


COMMON_PARAMS = (
    Param("probability", float, 1.0, "chance that the fault fires each time it could", minimum=0.0, maximum=1.0),
    Param("count", int, 0, "fire at most this many times (0 = no limit)", minimum=0),
)


@dataclass(frozen=True)
class ScenarioSpec:
    name: str
    summary: str  # one line: what the mock does
    gateway: str  # one line: what a correct gateway does about it (docs, GET /admin/scenarios)
    params: tuple[Param, ...] = ()

    def all_params(self) -> tuple[Param, ...]:
        return (*self.params, *COMMON_PARAMS)

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name, "description": self.summary, "gateway": self.gateway,
            "params": {p.name: {"type": p.kind.__name__, "default": p.default, "help": p.help,
                                **({"choices": list(p.choices)} if p.choices else {})}
                       for p in self.all_params()},
        }


CATALOGUE: dict[str, ScenarioSpec] = {s.name: s for s in (
    ScenarioSpec(
        "delays", "holds every receipt after the ImportResponse back by `seconds` (+ up to `jitter`)",
        "keeps polling; the message waits in ACKNOWLEDGED and reaches DONE when the receipts come",
        (Param("seconds", float, 5.0, "extra delay before the STORED receipt (later ones follow it)", minimum=0),
         Param("jitter", float, 0.0, "plus a random 0..jitter seconds", minimum=0)),
    ),
    ScenarioSpec(
        "sftp_disconnect_mid_transfer", "drops the SSH connection after `after_bytes` of an upload or download",
        "reconnects and retries (same MessageId, same bytes); the partial temp file is never picked up",
        (Param("direction", str, "upload", "which transfers to cut", choices=("upload", "download", "both")),
         Param("after_bytes", int, 1024, "bytes transferred before the cut", minimum=0),
         Param("match", str, "", "only files whose name contains this (default: every file)")),
    ),
    ScenarioSpec(
        "partial_reads", "SFTP reads of receipts return short blocks (`short`) or stop early once (`truncate`)",
        "short reads: reads on until EOF; a truncated download (shorter than listed) is left for the next poll",
        (Param("mode", str, "short", "short: every read at most max_bytes; truncate: EOF after max_bytes",
               choices=("short", "truncate")),
         Param("max_bytes", int, 200, "bytes per read (short) or before the early EOF (truncate)", minimum=1)),
    ),
    ScenarioSpec(
        "http_500", "answers HTTP 500 on the /api/v1 `endpoint`, before or `after` doing the work",
        "retries with backoff; after='after' the retry gets 200 (already stored): one MessageId, one review",
        (Param("endpoint", str, "inbound", "which requests fail", choices=("inbound", "outbound", "ack", "any")),
         Param("when", str, "before", "before: nothing is done; after: the work is done, the answer lost",
               choices=("before", "after"))),
    ),
    ScenarioSpec(
        "http_503_retry_after", "answers HTTP 503 with `Retry-After: seconds` on the /api/v1 `endpoint`",
        "schedules the retry no earlier than Retry-After (next_attempt_at), then delivers once",
        (Param("endpoint", str, "inbound", "which requests fail", choices=("inbound", "outbound", "ack", "any")),
         Param("seconds", int, 30, "the Retry-After value", minimum=0)),
    ),
    ScenarioSpec(
        "duplicate_receipts", "writes each receipt `copies` more times (SFTP: <ReceiptId>.<n>.xml; HTTP: new ids)",
        "stores the receipt once (dedupe by receipt id + hash), acknowledges every copy",
        (Param("copies", int, 1, "extra copies per receipt", minimum=1, maximum=10),
         Param("stage", int, 0, "only receipts of this stage (1 ImportResponse, 2 STORED, 3 decision; 0 = all)",
               minimum=0, maximum=9)),
    ),
    ScenarioSpec(
        "out_of_order_receipts", "emits a message's receipts newest first: decision, STORED, then ImportResponse",
        "applies each receipt; state and document status only move forward, the final state stands",
    ),
    ScenarioSpec(
        "malformed_receipts", "writes a broken copy (<ReceiptId>.broken.xml) before the genuine receipt",
        "quarantines the broken file with its raw bytes, acknowledges it, applies the genuine one",
        (Param("mode", str, "truncated", "truncated: the signed receipt cut in half; garbage: not XML",
               choices=("truncated", "garbage")),
         Param("stage", int, 0, "only receipts of this stage (0 = all)", minimum=0, maximum=9)),
    ),
    ScenarioSpec(
        "wrong_key_receipts", "writes a copy signed by a throwaway key (<ReceiptId>.forged.xml) before the genuine",
        "quarantines the forged file (signature not by the pinned authority certificate), applies the genuine",
        (Param("stage", int, 0, "only receipts of this stage (0 = all)", minimum=0, maximum=9),),
    ),
    ScenarioSpec(
        "unreadable_receipts", "refuses to open receipt files in outbound/ over SFTP (permission denied)",
        "skips the refused file (logged, left on the server), takes the others; reads it once allowed",
        (Param("match", str, "", "only files whose name contains this (default: every file)"),),
    ),
    ScenarioSpec(
        "slow_mailbox", "waits `seconds` before answering a listing of outbound/ (SFTP) or GET /api/v1/outbound",
        "times out (transient), keeps what it has, fetches again on the next poll",
        (Param("seconds", float, 2.0, "delay per listing", minimum=0, maximum=600),),
    ),
)}


def epilog() -> str:
    """The ``--help`` text of the scenarios, generated from the catalogue."""
    lines = [
        "fault scenarios (--scenario NAME[:k=v,...], repeatable; --scenario-file PATH; --seed N):",
        "  every scenario also takes probability=1.0 (chance per opportunity) and count=0 (max firings, 0 = no",
        "  limit); all random choices come from one random.Random(--seed). At run time: GET/POST /admin/scenarios.",
    ]
    for spec in CATALOGUE.values():
        lines.append(f"  {spec.name}")
        lines.append(f"      {spec.summary}")
        if spec.params:
            lines.append("      params: " + ", ".join(p.describe() for p in spec.params))
    lines.append("  example: --scenario http_503_retry_after:seconds=120,count=2 --scenario duplicate_receipts"
                 " --seed 7")
    lines.append("  scenario file (JSON): [{\"name\": \"partial_reads\", \"mode\": \"truncate\"}] or"
                 " {\"seed\": 7, \"scenarios\": [...]}")
    lines.append("  scenario file (TOML): seed = 7 / [[scenarios]] / name = \"slow_mailbox\" / seconds = 3")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ selection


@dataclass
class Fault:
    """One active scenario with its parameter values; ``fired`` counts how often it acted."""

    spec: ScenarioSpec
    params: dict[str, Any]
    fired: int = 0

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def probability(self) -> float:
        return float(self.params["probability"])

    @property
    def count(self) -> int:
        return int(self.params["count"])

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params), "fired": self.fired,
                "exhausted": bool(self.count) and self.fired >= self.count}


def make_fault(name: str, values: Mapping[str, Any]) -> Fault:
    spec = CATALOGUE.get(name)
    if spec is None:
        raise ScenarioError(f"unknown scenario {name!r}; known: {', '.join(CATALOGUE)}")
    known = {p.name: p for p in spec.all_params()}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ScenarioError(f"scenario {name}: unknown parameter(s) {', '.join(unknown)};"
                            f" it takes {', '.join(known)}")
    params = {p.name: p.convert(name, values[p.name]) if p.name in values else p.default for p in known.values()}
    return Fault(spec, params)


def parse_spec(text: str) -> Fault:
    """``NAME`` or ``NAME:k=v,k=v`` (the CLI's ``--scenario``)."""
    name, _, rest = text.strip().partition(":")
    values: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"scenario {name}: {item!r} is not k=v (expected NAME:k=v,k=v)")
        values[key.strip()] = value.strip()
    return make_fault(name.strip(), values)


def fault_from(item: Any) -> Fault:
    """A selection item: ``"NAME:k=v"`` or ``{"name": NAME, k: v, ...}`` (``params`` may nest them)."""
    if isinstance(item, str):
        return parse_spec(item)
    if isinstance(item, Mapping):
        values = dict(item)
        name = values.pop("name", None)
        if not isinstance(name, str):
            raise ScenarioError(f"a scenario needs a \"name\" (one of {', '.join(CATALOGUE)}), got {item!r}")
        nested = values.pop("params", None)
        if isinstance(nested, Mapping):
            values.update(nested)
        return make_fault(name, values)
    raise ScenarioError(f"a scenario is \"NAME:k=v,...\" or an object with a name, got {item!r}")


def faults_from(items: Any) -> list[Fault]:
    if not isinstance(items, list):
        raise ScenarioError("scenarios must be a list")
    return [fault_from(item) for item in items]


def load_file(path: Path) -> tuple[list[Fault], int | None]:
    """A scenario file: JSON (a list, or ``{"seed", "scenarios"}``) or TOML (``seed``, ``[[scenarios]]``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"scenario file {path}: {exc.strerror or exc}") from exc
    data: Any
    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:  # no telling suffix: JSON if it parses as JSON, else TOML
            try:
                data = json.loads(text)
            except ValueError:
                data = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError is a ValueError
        kind = {".toml": "TOML", ".json": "JSON"}.get(suffix, "JSON or TOML")
        raise ScenarioError(f"scenario file {path}: not valid {kind}: {exc}") from exc
    seed = None
    if isinstance(data, dict):
        extra = sorted(set(data) - {"seed", "scenarios"})
        if extra:
            raise ScenarioError(f"scenario file {path}: unknown key(s) {', '.join(extra)} (use seed, scenarios)")
        seed = _seed(data.get("seed"), f"scenario file {path}: seed") if "seed" in data else None
        data = data.get("scenarios", [])
    try:
        return faults_from(data), seed
    except ScenarioError as exc:
        raise ScenarioError(f"scenario file {path}: {exc}") from exc


def _seed(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{where} must be an integer, got {value!r}")
    return value


# --------------------------------------------------------------------------------------------- runtime


@dataclass(frozen=True)
class HttpFault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class Emission:
    """One file the authority writes for a receipt (the genuine one, a copy, a broken or forged one)."""

    name: str
    content: bytes


Resigner = Callable[[Any], bytes]  # signer -> the same receipt envelope signed by that signer


class Scenarios:
    """The active faults of one mock process. Thread-safe; every hook is a no-op when nothing is active."""

    def __init__(self, faults: Iterable[Fault] = (), seed: int = 0, state_dir: Path | None = None) -> None:
        self._lock = threading.Lock()
        self.state_dir = state_dir
        self._impostors: dict[str, Any] = {}
        self.seed = int(seed)
        self.replace(list(faults), seed)

    def replace(self, faults: Sequence[Fault], seed: int | None = None) -> None:
        """Make ``faults`` the active set (counters start at 0) and reseed (the old seed if None)."""
        with self._lock:
            self.seed = self.seed if seed is None else int(seed)
            self._rng = random.Random(self.seed)
            self._faults = list(faults)
            self._reordered: dict[str, bool] = {}  # message id -> out_of_order decision
            self._mtime_shift: dict[str, float] = {}  # receipt id -> seconds added to its file's mtime

    def public(self) -> dict[str, Any]:
        with self._lock:
            active = [f.public() for f in self._faults]
        return {"seed": self.seed, "active": active, "catalogue": [s.public() for s in CATALOGUE.values()]}

    def active(self, name: str) -> bool:
        with self._lock:
            return any(f.name == name for f in self._faults)

    def _fire(self, name: str, accept: Callable[[dict[str, Any]], bool] = lambda params: True) -> Fault | None:
        """The first active ``name`` fault that applies (``accept``), has firings left and wins its draw."""
        with self._lock:
            return self._fire_locked(name, accept)

    def _fire_locked(self, name: str, accept: Callable[[dict[str, Any]], bool]) -> Fault | None:
        for fault in self._faults:
            if fault.name != name or not accept(fault.params):
                continue
            if fault.count and fault.fired >= fault.count:
                continue
            if self._rng.random() < fault.probability:  # always drawn: the sequence depends on events only
                fault.fired += 1
                return fault
        return None

    # SFTP ----------------------------------------------------------------------------------------
    def cut_transfer(self, direction: str, offset_end: int, name: str) -> bool:
        """Drop the connection now? Asked once per transfer when it has moved ``after_bytes``."""
        return self._fire("sftp_disconnect_mid_transfer",
                          lambda p: _cuts(p, direction, name) and offset_end >= p["after_bytes"]) is not None

    def wants_cut(self, direction: str, name: str) -> int | None:
        """``after_bytes`` of the first disconnect fault that may still cut this transfer."""
        with self._lock:
            for fault in self._faults:
                if (fault.name == "sftp_disconnect_mid_transfer" and _cuts(fault.params, direction, name)
                        and not (fault.count and fault.fired >= fault.count)):
                    return int(fault.params["after_bytes"])
        return None

    def refuse_open(self, name: str) -> bool:
        """Answer *permission denied* to opening this receipt file?"""
        return self._fire("unreadable_receipts", lambda p: str(p["match"]) in name) is not None

    def read_limit(self) -> tuple[str, int] | None:
        """For a new download: (mode, max_bytes) when partial_reads fires for it."""
        fault = self._fire("partial_reads")
        return (str(fault.params["mode"]), int(fault.params["max_bytes"])) if fault else None

    def listing_delay(self) -> float:
        fault = self._fire("slow_mailbox")
        return float(fault.params["seconds"]) if fault else 0.0

    # HTTP ----------------------------------------------------------------------------------------
    def http_fault(self, endpoint: str, when: str) -> HttpFault | None:
        """A failure answer for ``endpoint`` (inbound, outbound, ack) ``before`` or ``after`` the work."""
        def applies(p: dict[str, Any]) -> bool:
            return p["endpoint"] in (endpoint, "any") and p.get("when", "before") == when

        fault = self._fire("http_503_retry_after", applies)
        if fault is not None:
            return HttpFault(503, {"Retry-After": str(fault.params["seconds"])},
                             f"service unavailable (scenario http_503_retry_after), retry after"
                             f" {fault.params['seconds']} s")
        fault = self._fire("http_500", applies)
        if fault is not None:
            return HttpFault(500, {}, f"internal server error (scenario http_500, {when} the work)")
        return None

    # receipts ------------------------------------------------------------------------------------
    def receipt_delay(self) -> timedelta:
        """Extra delay before a newly accepted message's STORED receipt (and so every later one)."""
        with self._lock:
            fault = self._fire_locked("delays", lambda p: True)
            if fault is None:
                return timedelta(0)
            jitter = float(fault.params["jitter"])
            extra = self._rng.uniform(0, jitter) if jitter else 0.0
        return timedelta(seconds=float(fault.params["seconds"]) + extra)

    def order_due(self, due: list[ScheduledReceipt],
                  receipts_for: Callable[[str], list[ScheduledReceipt]]) -> list[ScheduledReceipt]:
        """The due receipts to emit now, in order. ``out_of_order_receipts`` holds a message's earlier
        receipts until its last one is due, then emits them newest first (files dated in that order)."""
        if not self.active("out_of_order_receipts"):
            return due
        groups: dict[str, list[ScheduledReceipt]] = {}
        for receipt in due:
            groups.setdefault(receipt.message_id, []).append(receipt)
        out: list[ScheduledReceipt] = []
        for message_id, group in groups.items():
            pending = [r for r in receipts_for(message_id) if r.emitted_at is None]
            with self._lock:
                decided = self._reordered.get(message_id)
                if decided is None:
                    fired = len(pending) > 1 and self._fire_locked("out_of_order_receipts", lambda p: True)
                    decided = bool(fired)
                    self._reordered[message_id] = decided
            if not decided:
                out.extend(group)
                continue
            if len(group) < len(pending):
                continue  # hold until every remaining receipt of the message is due
            ordered = sorted(group, key=lambda r: r.stage, reverse=True)
            with self._lock:
                for position, receipt in enumerate(ordered):
                    # SFTP lists with one-second mtimes: date the files so the listing shows this order
                    self._mtime_shift[receipt.receipt_id] = -float(len(ordered) - 1 - position)
            out.extend(ordered)
        return out

    def mtime_shift(self, receipt_id: str) -> float:
        with self._lock:
            return self._mtime_shift.pop(receipt_id, 0.0)

    def emissions(self, authority: str, receipt: ScheduledReceipt, name: str, content: bytes,
                  resign: Resigner) -> list[Emission]:
        """The files to write for one receipt, in order: broken / forged copies, the genuine, duplicates."""
        genuine = Emission(name, content)
        with self._lock:
            if not self._faults:
                return [genuine]
        stem = name[:-4] if name.endswith(".xml") else name
        before: list[Emission] = []
        after: list[Emission] = []

        def for_stage(p: dict[str, Any]) -> bool:
            return int(p["stage"]) in (0, receipt.stage)

        broken = self._fire("malformed_receipts", for_stage)
        if broken is not None:
            if broken.params["mode"] == "garbage":
                bad = b"\x00\xffthis is not XML: the authority's mailbox writer failed\n"
            else:
                bad = content[: max(1, len(content) // 2)]
            before.append(Emission(f"{stem}.broken.xml", bad))
        if self._fire("wrong_key_receipts", for_stage) is not None:
            before.append(Emission(f"{stem}.forged.xml", resign(self.impostor(authority))))
        duplicate = self._fire("duplicate_receipts", for_stage)
        if duplicate is not None:
            after.extend(Emission(f"{stem}.{n}.xml", content) for n in range(2, int(duplicate.params["copies"]) + 2))
        return [*before, genuine, *after]

    def impostor(self, authority: str) -> Any:
        """A signer claiming to be ``authority`` with a throwaway key (kept in state_dir, never in the repo)."""
        with self._lock:
            signer = self._impostors.get(authority)
            if signer is None:
                signer = self._impostors[authority] = _impostor_signer(self.state_dir, authority)
            return signer


def _cuts(params: Mapping[str, Any], direction: str, name: str) -> bool:
    return params["direction"] in (direction, "both") and str(params["match"]) in name


def _impostor_signer(state_dir: Path | None, authority: str) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from signing.xmldsig import Signer

    directory = Path(state_dir) / "scenarios" if state_dir is not None else None
    key_path = directory / f"impostor-{authority}.key" if directory else None
    cert_path = directory / f"impostor-{authority}.crt" if directory else None
    if key_path is not None and cert_path is not None and key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return Signer(key, cert)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mock_customs impostor (wrong_key_receipts)"),
        x509.NameAttribute(NameOID.COMMON_NAME, authority),
    ])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    if directory is not None and key_path is not None and cert_path is not None:
        directory.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Signer(key, cert)


NO_FAULTS = Scenarios()
"""Shared default for parts built without a scenario set (nothing active, never changed)."""
