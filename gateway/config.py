"""Settings, read once from GATEWAY_* environment variables and an optional TOML file.

Nothing here runs at import time: `load_settings()` is called by the composition root.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from adapters.egress import EgressPolicy


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class AuthorityEndpoint:
    """How the gateway reaches one authority's SFTP mailbox."""

    authority: str
    transport: str = "sftp"  # sftp | http
    # HTTP (transport = http)
    url: str = ""  # e.g. https://customs.example/ ; the API lives under /api/v1/
    token: str | None = field(default=None, repr=False)
    # SFTP (transport = sftp)
    host: str = "127.0.0.1"
    port: int = 2222
    username: str = "gateway"
    password: str | None = field(default=None, repr=False)
    private_key_path: str | None = None
    host_key: str | None = None  # OpenSSH "type base64"; pinned when set
    accept_unknown_host_key: bool = False
    outbox_dir: str = "/inbound"
    inbox_dir: str = "/outbound"
    timeout: float = 30.0  # seconds per network operation (both transports); a slower answer is a transient error
    # Retry policy for this authority; 0 means "the deployment default" (GATEWAY_RETRY_* / MAX_ATTEMPTS).
    retry_base_seconds: float = 0.0
    retry_cap_seconds: float = 0.0
    max_attempts: int = 0
    permanent_max_attempts: int = 0


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/gateway.db"
    pki_dir: str = "var/pki"
    pki_passphrase: str = field(default="", repr=False)
    max_message_bytes: int = 5 * 1024 * 1024
    lease_seconds: int = 60
    max_attempts: int = 8
    retry_base_seconds: float = 2.0
    retry_cap_seconds: float = 300.0
    permanent_max_attempts: int = 1
    receipt_timeout_seconds: float = 3600.0
    receipt_poll_seconds: float = 5.0
    dispatch_poll_seconds: float = 1.0
    worker_id: str = ""
    leader_retry_seconds: float = 5.0
    retention_done_days: float = 90.0
    retention_failed_days: float = 365.0
    retention_run_seconds: float = 3600.0
    archive_dir: str = "var/archive"
    state_dir: str = "var"  # host keys and other state the gateway generates once and keeps
    # Folder mailboxes (docs/erp-integration.md): off while folder_root is empty.
    folder_root: str = ""
    folder_modules: str = "CO"  # comma-separated module folders under each enterprise
    folder_scan_seconds: float = 2.0
    folder_sftp_host: str = "127.0.0.1"
    folder_sftp_port: int = -1  # -1: `cogw serve` does not serve the mailboxes over SFTP; 0: any free port
    # UI sessions: signed with secret_key (empty: a random key per process, so sessions end on restart);
    # cookie_secure=false only for plain-http development and tests on localhost.
    secret_key: str = field(default="", repr=False)
    cookie_secure: bool = True
    session_hours: int = 8
    # ERP hand-back: webhook secrets are sealed with this key (comma-separated list: newest first, for rotation)
    webhook_secret_key: str = field(default="", repr=False)
    webhook_poll_seconds: float = 2.0
    webhook_timeout_seconds: float = 10.0
    webhook_max_attempts: int = 10
    webhook_retry_base_seconds: float = 5.0
    webhook_retry_cap_seconds: float = 3600.0
    # Webhook targets may be public addresses only; this comma-separated list allows more: networks
    # (10.0.0.0/8, 127.0.0.1) and host names (erp.corp.example, *.corp.example) of on-premise ERPs.
    webhook_allowed_targets: str = ""
    # e-mail for subscriptions; empty host: the e-mail channel is not configured
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "cogw@localhost"
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    authorities: Mapping[str, AuthorityEndpoint] = field(default_factory=dict)

    @property
    def folder_module_names(self) -> tuple[str, ...]:
        return tuple(m.strip() for m in self.folder_modules.split(",") if m.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


TRANSPORTS = ("sftp", "http")
# GATEWAY_* variables read elsewhere, not settings.
NOT_SETTINGS = frozenset({"GATEWAY_CONFIG", "GATEWAY_LOG_LEVEL", "GATEWAY_LOG_FORMAT", "GATEWAY_TEST_PG_URL"})
_AUTHORITY_FIELDS = {f.name for f in fields(AuthorityEndpoint)} - {"authority"}
_SCALARS = {f.name: f for f in fields(Settings) if f.name != "authorities"}


def _coerce(name: str, raw: Any, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            return str(raw).lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}: {raw!r} is not a valid {type(default).__name__}") from exc
    return str(raw)


def _authority_from(name: str, values: Mapping[str, Any]) -> AuthorityEndpoint:
    defaults = AuthorityEndpoint(authority=name)
    kwargs: dict[str, Any] = {"authority": name}
    unknown = set(values) - _AUTHORITY_FIELDS
    if str(values.get("transport", "sftp")).lower() not in TRANSPORTS:
        raise SettingsError(f"authority {name}: transport must be one of {', '.join(TRANSPORTS)}")
    if unknown:
        raise SettingsError(f"authority {name}: unknown setting(s) {', '.join(sorted(unknown))}")
    for f in fields(AuthorityEndpoint):
        if f.name == "authority" or f.name not in values:
            continue
        default = getattr(defaults, f.name)
        kwargs[f.name] = _coerce(f"{name}.{f.name}", values[f.name], default if default is not None else "")
    if "transport" in kwargs:
        kwargs["transport"] = str(kwargs["transport"]).lower()
    return AuthorityEndpoint(**kwargs)


def load_settings(env: Mapping[str, str] | None = None, toml_path: str | None = None) -> Settings:
    """Build Settings from a TOML file (GATEWAY_CONFIG or toml_path) overlaid by GATEWAY_* variables.

    Authority endpoints come from `[authorities.GACC]` tables or variables such as
    `GATEWAY_AUTHORITY_GACC_PORT`.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    authority_values: dict[str, dict[str, Any]] = {}
    path = toml_path or env.get("GATEWAY_CONFIG")
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"GATEWAY_CONFIG {path}: {exc}") from exc
        for key, raw in data.items():
            if key == "authorities":
                for auth, table in raw.items():
                    authority_values.setdefault(auth.upper(), {}).update(table)
            elif key in _SCALARS:
                values[key] = raw
            else:
                raise SettingsError(f"GATEWAY_CONFIG {path}: unknown setting {key!r}")
    for key, raw in env.items():
        if not key.startswith("GATEWAY_") or key in NOT_SETTINGS:
            continue
        name = key[len("GATEWAY_"):].lower()
        if name.startswith("authority_"):
            auth, _, attr = name[len("authority_"):].partition("_")
            authority_values.setdefault(auth.upper(), {})[attr] = raw
        elif name in _SCALARS:
            values[name] = raw
        else:  # a typo must not silently fall back to a default (say, the SQLite database)
            raise SettingsError(f"{key} is not a setting (known: {', '.join(sorted(_SCALARS))})")
    defaults = Settings()
    kwargs = {name: _coerce(f"GATEWAY_{name.upper()}", raw, getattr(defaults, name)) for name, raw in values.items()}
    kwargs["authorities"] = {a: _authority_from(a, v) for a, v in authority_values.items()}
    settings = Settings(**kwargs)
    if settings.max_message_bytes <= 0:
        raise SettingsError("GATEWAY_MAX_MESSAGE_BYTES must be positive")
    try:
        EgressPolicy.parse(settings.webhook_allowed_targets)
    except ValueError as exc:
        raise SettingsError(f"GATEWAY_WEBHOOK_ALLOWED_TARGETS: {exc}") from exc
    return settings
