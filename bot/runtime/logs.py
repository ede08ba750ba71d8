"""Structured logs: one JSON object a line, with incident and Slack ids, and never a token."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# Anything shaped like a Slack or Anthropic credential is masked wherever it shows up.
_SECRET = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|sk-ant-[A-Za-z0-9_-]+)")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    return _SECRET.sub("[redacted]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    numeric = logging.getLevelName(level)
    # Bolt logs request bodies at DEBUG; keep them out unless asked for explicitly.
    logging.getLogger("slack_bolt").setLevel(max(logging.INFO, numeric))
    logging.getLogger("slack_sdk").setLevel(max(logging.INFO, numeric))
    # APScheduler logs two INFO lines for every run of every job ("Running job", "executed
    # successfully"): routine, so only at DEBUG. What a tick did is logged by bot.sla.scheduler.
    logging.getLogger("apscheduler").setLevel(numeric if numeric <= logging.DEBUG else max(logging.WARNING, numeric))
