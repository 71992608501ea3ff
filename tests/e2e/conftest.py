"""The spine's stack as a fixture every e2e module may use: mock customs and `cogw serve` as processes on
the test's database, GACC reached over SFTP or over its HTTP API (``transport``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.mockproc import start_mock
from tests.e2e.helpers import (
    HTTP_TOKEN,
    SFTP_PASSWORD,
    SFTP_USER,
    Stack,
    add_enterprise,
    authority_env,
    enterprise_pem,
    gateway_env,
    register_at_mock,
    serving,
)


@pytest.fixture(params=["sftp", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def stack(database_url: str, transport: str, tmp_path: Path, pki_dir: Path, pki_passphrase: str) -> Iterator[Stack]:
    mock = start_mock(tmp_path / "mock", pki_dir, pki_passphrase, user=SFTP_USER, password=SFTP_PASSWORD,
                      http_token=HTTP_TOKEN)
    try:
        register_at_mock(mock.admin_url, enterprise_pem(pki_dir, pki_passphrase))
        env = gateway_env(database_url, pki_dir, pki_passphrase) | authority_env(mock, "GACC", transport)
        api_key = add_enterprise(env)
        with serving(env) as gateway, gateway.api(api_key) as api:
            yield Stack(api, mock)
    finally:
        mock.stop()
