"""schemathesis against the live ERP API: a real server on a loopback port, a real database, a real API
key; every check on, a bounded number of examples so the run stays well under a minute.

The configured expectations: POST /messages takes any XML text by its OpenAPI schema, but whether a
text is a valid document is decided by the XSDs and business rules, which OpenAPI cannot express; so
for that operation 400 (not a known document) and 422 (rules failed) are correct answers to
schema-valid input. The same holds for the operations listed in CONFIG whose answer depends on stored
state (the self-print rules, a message's state, a workbook's cells, a date range). Every other
operation must accept what its schema allows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway import runtime
from gateway.bootstrap import Container
from gateway.config import AuthorityEndpoint, Settings
from gateway.services.enterprises import issue_api_key, register_enterprise
from tests.integration.erp_world import OURS

PRINT_OPERATIONS = ("^(getCertificatePdf|requestPrintException|archivePrint|printBatch|authoriseSeals|grantAgentPrint"
                    "|add(Seal|Signature)|update(Seal|Signature)|delete(Seal|Signature))$")
CONFIG = f"""
[checks.positive_data_acceptance]
enabled = true

[[operations]]
include-operation-id = "postMessage"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "409", "413", "422"]

[[operations]]
include-operation-id = "editAndResend"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404", "409", "413", "422"]

[[operations]]
include-operation-id = "resendMessage"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "409"]

[[operations]]
include-operation-id = "importGoods"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "413", "422"]

[[operations]]
include-operation-id = "getStatistics"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]

[[operations]]
include-operation-id-regex = "{PRINT_OPERATIONS}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "413", "422"]
"""


@pytest.fixture
def live_api(database_url: str, pki_dir: Path, pki_passphrase: str) -> Iterator[tuple[str, str]]:
    authorities = {"GACC": AuthorityEndpoint("GACC", transport="http", url="http://127.0.0.1:9", token="t")}
    c = Container(Settings(database_url=database_url, pki_dir=str(pki_dir), pki_passphrase=pki_passphrase,
                           webhook_secret_key="schemathesis-" + "k" * 32, max_message_bytes=64 * 1024,
                           authorities=authorities))
    c.migrate()
    register_enterprise(c.store, OURS)
    key = issue_api_key(c.store, OURS.id)
    running = runtime.start(c, host="127.0.0.1", port=0, web=True, dispatch=False, receipts=False)
    try:
        yield f"http://127.0.0.1:{running.port}", key
    finally:
        running.stop()


def test_the_live_api_conforms_to_its_openapi_document(live_api: tuple[str, str], tmp_path: Path) -> None:
    base, key = live_api
    spec = httpx.get(f"{base}/api/v1/openapi.json", timeout=10).json()
    assert spec["openapi"] == "3.1.0" and "/api/v1/inbox" in spec["paths"]
    (tmp_path / "schemathesis.toml").write_text(CONFIG)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(tmp_path / "schemathesis.toml"), "run",
         f"{base}/api/v1/openapi.json", "--checks", "all", "--max-examples", "12", "--seed", "20261123",
         "--workers", "1", "--phases", "examples,coverage,fuzzing", "-H", f"Authorization: Bearer {key}",
         "--request-timeout", "10", "--generation-database", "none", "--no-color",
         "--report", "json", "--report-dir", str(tmp_path / "report")],
        capture_output=True, text=True, timeout=240, cwd=tmp_path)
    elapsed = time.monotonic() - started
    (tmp_path / "schemathesis.out").write_text(result.stdout + result.stderr)  # the whole story, when it fails
    assert result.returncode == 0, (f"see {tmp_path / 'schemathesis.out'}\n"
                                    + result.stdout[-6000:] + result.stderr[-2000:])
    assert "No issues found" in result.stdout or " passed" in result.stdout, result.stdout[-3000:]
    report = json.loads(next((tmp_path / "report").glob("*.json")).read_text())
    assert report, "schemathesis wrote an empty report"
    assert elapsed < 120, f"schemathesis took {elapsed:.0f}s"
