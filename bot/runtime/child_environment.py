"""Running ``python -m bot`` (or a baseline server) as a child process with nothing of the parent's
own configuration: tests and the benchmark start the bot this way, each on a free port."""

from __future__ import annotations

import os
import socket
from pathlib import Path

# The checkout the bot runs from: a child started here imports this very code.
REPO = Path(__file__).resolve().parents[2]
_OWN_VARIABLES = (
    "SLACK_",
    "DATABASE_URL",
    "ANTHROPIC_",
    "STAKEHOLDER_CHANNEL",
    "FIREBREAK_CONFIG",
    "PORT",
    "LOG_LEVEL",
    "ALERTS_TOKEN",
    "GRAFANA_WEBHOOK_SECRET",
    "METRICS_TOKEN",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_environment(**variables: str) -> dict[str, str]:
    """This process's environment without anything the bot reads, plus ``variables``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OWN_VARIABLES)}
    env["PYTHONUNBUFFERED"] = "1"
    return env | variables
