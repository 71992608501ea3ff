"""Choosing fault scenarios: ``--scenario`` / ``--scenario-file`` / ``--seed`` and ``GET/POST /admin/scenarios``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_customs.app import MockConfig, MockCustoms, build_parser, config_from_args
from mock_customs.http_api import HttpToken
from mock_customs.scenarios import CATALOGUE, parse_spec

PASSPHRASE = "scenario-passphrase"
TOKEN = "scenario-token"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from signing.pki import init_pki

    directory = tmp_path_factory.mktemp("pki")
    init_pki(directory, PASSPHRASE, ["91350100M000100Y43"])
    return directory


@pytest.fixture
def mock(tmp_path: Path, pki: Path) -> Iterator[MockCustoms]:
    config = MockConfig(state_dir=tmp_path / "state", pki_dir=pki, pki_passphrase=PASSPHRASE,
                        http_tokens=[HttpToken("gateway", TOKEN)], poll_interval=3600,
                        scenarios=[parse_spec("http_503_retry_after:endpoint=outbound,seconds=7,count=1")], seed=42)
    running = MockCustoms(config).start()
    try:
        yield running
    finally:
        running.stop()


def test_cogw_mock_customs_help_documents_every_scenario() -> None:
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "mock-customs", "--help"], capture_output=True,
                            text=True, cwd=ROOT, timeout=60, check=True)
    for option in ("--scenario NAME[:k=v,...]", "--scenario-file PATH", "--seed SEED", "GET  /admin/scenarios"):
        assert option in result.stdout
    for spec in CATALOGUE.values():
        assert spec.name in result.stdout and spec.summary in result.stdout


def test_scenario_options_and_file_become_the_config(tmp_path: Path) -> None:
    listed = tmp_path / "faults.toml"
    listed.write_text('seed = 5\n[[scenarios]]\nname = "slow_mailbox"\nseconds = 0.5\n')
    base = ["--state-dir", str(tmp_path / "s"), "--pki-dir", str(tmp_path / "p"), "--pki-passphrase", "x",
            "--user", "gw:pw"]
    config = config_from_args(build_parser().parse_args(
        [*base, "--scenario-file", str(listed), "--scenario", "http_500:when=after", "--scenario", "delays"]))
    assert [f.name for f in config.scenarios] == ["slow_mailbox", "http_500", "delays"]
    assert config.seed == 5  # from the file
    assert config_from_args(build_parser().parse_args([*base, "--scenario-file", str(listed), "--seed", "9"])).seed == 9


def test_a_bad_scenario_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_customs", "--state-dir", str(tmp_path / "s"), "--pki-dir", str(tmp_path),
         "--pki-passphrase", "x", "--user", "gw:pw", "--scenario", "http_500:endpoint=everywhere"],
        capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert "scenario http_500: parameter endpoint: 'everywhere' is not one of inbound, outbound, ack, any" \
        in result.stderr


def test_admin_shows_the_active_set_the_catalogue_and_how_often_each_fired(mock: MockCustoms) -> None:
    with httpx.Client(base_url=mock.admin_url, timeout=30) as admin:
        view = admin.get("/admin/scenarios").json()
        assert view["seed"] == 42
        assert [(a["name"], a["params"]["seconds"], a["fired"]) for a in view["active"]] == [
            ("http_503_retry_after", 7, 0)]
        catalogue = {c["name"]: c for c in view["catalogue"]}
        assert set(catalogue) == set(CATALOGUE)
        assert catalogue["partial_reads"]["params"]["mode"]["choices"] == ["short", "truncate"]
        assert catalogue["delays"]["description"] and catalogue["delays"]["gateway"]

        api = {"Authorization": f"Bearer {TOKEN}"}
        first = admin.get("/api/v1/outbound", headers=api)
        assert first.status_code == 503 and first.headers["Retry-After"] == "7"
        assert admin.get("/api/v1/outbound", headers=api).status_code == 200  # count=1: used up
        [active] = admin.get("/admin/scenarios").json()["active"]
        assert active["fired"] == 1 and active["exhausted"] is True


def test_admin_replaces_the_set_and_clears_it(mock: MockCustoms) -> None:
    with httpx.Client(base_url=mock.admin_url, timeout=30) as admin:
        r = admin.post("/admin/scenarios", json={
            "scenarios": ["http_500:endpoint=outbound", {"name": "duplicate_receipts", "copies": 2}], "seed": 3})
        assert r.status_code == 200, r.text
        assert r.json()["seed"] == 3
        assert [a["name"] for a in r.json()["active"]] == ["http_500", "duplicate_receipts"]
        assert admin.get("/api/v1/outbound", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 500

        cleared = admin.post("/admin/scenarios", json={"scenarios": []}).json()
        assert cleared["active"] == [] and cleared["seed"] == 3  # the seed stays unless given
        assert admin.get("/api/v1/outbound", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


@pytest.mark.parametrize(("payload", "status", "message"), [
    ({"scenarios": ["nope"]}, 422, "unknown scenario 'nope'"),
    ({"scenarios": [{"name": "delays", "seconds": "x"}]}, 422, "scenario delays: parameter seconds"),
    ({"scenarios": [], "seed": "seven"}, 422, "seed must be an integer"),
    ({"scenarios": "delays"}, 422, "scenarios must be a list"),
    ({"seed": 1}, 400, '{"scenarios"'),
])
def test_admin_refuses_a_bad_selection_and_keeps_the_current_one(mock: MockCustoms, payload: object, status: int,
                                                                 message: str) -> None:
    with httpx.Client(base_url=mock.admin_url, timeout=30) as admin:
        r = admin.post("/admin/scenarios", json=payload)
        assert r.status_code == status
        assert message in r.json()["error"]
        assert [a["name"] for a in admin.get("/admin/scenarios").json()["active"]] == ["http_503_retry_after"]
