"""Log output: the classic text line, or one JSON object per line (`--log-format json`,
GATEWAY_LOG_FORMAT=json) with ts, level, logger, msg and the MessageId the line is about."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

from gateway.logcontext import current_message_id

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        message_id = getattr(record, "message_id", None) or current_message_id.get()
        if message_id:
            out["MessageId"] = message_id
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(level: str, log_format: str | None = None) -> None:
    log_format = (log_format or os.environ.get("GATEWAY_LOG_FORMAT") or "text").lower()
    if log_format not in FORMATS:
        raise ValueError(f"log format {log_format!r}: use one of {', '.join(FORMATS)} (GATEWAY_LOG_FORMAT)")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
