"""Shared fixtures: databases (SQLite and a real PostgreSQL), PKI, sample documents."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sshd import sshd_server  # noqa: F401  (session-scoped real OpenSSH sshd)

DATA = Path(__file__).parent / "data"
PG_URL = os.environ.get("GATEWAY_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_admin_connect():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_available() -> bool:
    try:
        with _pg_admin_connect():
            return True
    except Exception as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL at {PG_URL} is required in CI: {exc}") from exc
        return False


def _fresh_pg_database(pg_available: bool) -> Iterator[str]:
    if not pg_available:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    name = f"cogw_t_{secrets.token_hex(6)}"
    with _pg_admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _db = PG_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[str]:
    """A fresh, empty database of each kind the gateway supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.db'}"
    else:
        yield from _fresh_pg_database(pg_available)


@pytest.fixture(scope="session")
def pki_passphrase() -> str:
    return secrets.token_urlsafe(16)


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory: pytest.TempPathFactory, pki_passphrase: str) -> Path:
    from signing.pki import init_pki

    directory = tmp_path_factory.mktemp("pki")
    init_pki(directory, pki_passphrase, ["91350100M000100Y43", "91110000100000000X"])
    return directory


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()
