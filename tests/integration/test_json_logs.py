"""Structured logs: one JSON object per line, and every line about a message names its MessageId."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.demo import sample_bytes
from gateway.logformat import JsonFormatter
from tests.integration.erp_world import Hub, Receiver


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield out
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_every_line_about_a_message_carries_its_message_id(hub: Hub, receiver: Receiver,
                                                           json_lines: io.StringIO) -> None:
    r = hub.client.put("/api/v1/webhook", json={"url": receiver.url}, headers=hub.auth())
    receiver.secret = r.get_json()["secret"]
    receiver.script = [500]  # one failed delivery: a WARNING line about the message
    mid = hub.push(sample_bytes("form_e_approved.xml"))
    hub.container.dispatch_once()
    hub.approve(mid)
    hub.container.ingest_once()
    hub.container.deliver_webhooks_once()
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]  # every line is one object
    assert lines and all({"ts", "level", "logger", "msg"} <= set(line) for line in lines)
    about = [line for line in lines if line["logger"].startswith("gateway.services")]
    loggers = {line["logger"] for line in about}
    assert {"gateway.services.intake", "gateway.services.dispatch", "gateway.services.receipts",
            "gateway.services.webhooks"} <= loggers
    assert all(line.get("MessageId") == mid for line in about), about
    assert any(line["level"] == "WARNING" and "HTTP 500" in line["msg"] for line in about)
    mentioning = [line for line in lines if mid in line["msg"]]
    assert mentioning and all(line.get("MessageId") == mid for line in mentioning)
    # after the work is done, nothing is left bound: a later line names no message
    logging.getLogger("gateway.test").info("unrelated")
    assert "MessageId" not in json.loads(json_lines.getvalue().splitlines()[-1])


def test_cli_writes_json_lines_when_asked(tmp_path: Path) -> None:
    env = {**os.environ, "GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}", "GATEWAY_LOG_LEVEL": "DEBUG"}
    cli = [sys.executable, "-m", "gateway.cli"]
    for args, extra in ((["--log-format", "json", "db", "upgrade"], {}),
                        (["db", "upgrade"], {"GATEWAY_LOG_FORMAT": "json"})):
        out = subprocess.run([*cli, *args], env={**env, **extra}, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        lines = [json.loads(line) for line in out.stderr.splitlines() if line.strip()]
        assert lines and all(line["level"] in {"DEBUG", "INFO", "WARNING"} and line["ts"].endswith("Z")
                             for line in lines)
    bad = subprocess.run([*cli, "--log-format", "xml", "db", "upgrade"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "GATEWAY_LOG_FORMAT" in bad.stderr
