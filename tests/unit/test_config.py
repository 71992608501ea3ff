from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import SettingsError, load_settings


def test_environment_overrides_toml_and_builds_authorities(tmp_path: Path) -> None:
    toml = tmp_path / "gw.toml"
    toml.write_text('database_url = "sqlite:///x.db"\nlease_seconds = 30\n'
                    '[authorities.GACC]\nhost = "10.0.0.1"\nport = 2022\n', encoding="utf-8")
    s = load_settings({"GATEWAY_CONFIG": str(toml), "GATEWAY_LEASE_SECONDS": "45",
                       "GATEWAY_AUTHORITY_GACC_PASSWORD": "pw", "GATEWAY_AUTHORITY_CCPIT_PORT": "2300",
                       "UNRELATED": "1"})
    assert s.database_url == "sqlite:///x.db" and s.is_sqlite
    assert s.lease_seconds == 45
    assert s.authorities["GACC"].host == "10.0.0.1" and s.authorities["GACC"].port == 2022
    assert s.authorities["GACC"].password == "pw"
    assert s.authorities["CCPIT"].port == 2300 and s.authorities["CCPIT"].host == "127.0.0.1"


def test_bad_number_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="GATEWAY_LEASE_SECONDS"):
        load_settings({"GATEWAY_LEASE_SECONDS": "soon"})


def test_unknown_toml_key_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "gw.toml"
    toml.write_text('databse_url = "typo"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="databse_url"):
        load_settings({}, toml_path=str(toml))


def test_a_mistyped_variable_is_refused_not_ignored() -> None:
    with pytest.raises(SettingsError, match="GATEWAY_DATABSE_URL"):
        load_settings({"GATEWAY_DATABSE_URL": "postgresql://x/y"})
    with pytest.raises(SettingsError, match="hots"):
        load_settings({"GATEWAY_AUTHORITY_GACC_HOTS": "10.0.0.1"})


def test_secrets_stay_out_of_reprs() -> None:
    s = load_settings({"GATEWAY_PKI_PASSPHRASE": "pp-secret", "GATEWAY_AUTHORITY_GACC_PASSWORD": "sftp-secret"})
    assert "pp-secret" not in repr(s) and "sftp-secret" not in repr(s)


def test_transport_is_chosen_per_authority() -> None:
    s = load_settings({"GATEWAY_AUTHORITY_GACC_TRANSPORT": "HTTP", "GATEWAY_AUTHORITY_GACC_URL": "https://gacc.test",
                       "GATEWAY_AUTHORITY_GACC_TOKEN": "tok-secret", "GATEWAY_AUTHORITY_CCPIT_PORT": "2300"})
    assert s.authorities["GACC"].transport == "http" and s.authorities["CCPIT"].transport == "sftp"
    assert "tok-secret" not in repr(s)
    with pytest.raises(SettingsError, match="transport must be one of"):
        load_settings({"GATEWAY_AUTHORITY_GACC_TRANSPORT": "ftp"})


def test_allowed_webhook_targets_are_checked_when_settings_load() -> None:
    s = load_settings({"GATEWAY_WEBHOOK_ALLOWED_TARGETS": "10.0.0.0/8, 127.0.0.1, erp.corp.example, *.corp.example"})
    assert s.webhook_allowed_targets.startswith("10.0.0.0/8")
    with pytest.raises(SettingsError, match=r"GATEWAY_WEBHOOK_ALLOWED_TARGETS: '10\.0\.0\.0/33' is neither"):
        load_settings({"GATEWAY_WEBHOOK_ALLOWED_TARGETS": "127.0.0.1,10.0.0.0/33"})
