"""Playground mode: the real bot, no Slack workspace needed.

``python -m bot`` without Slack credentials serves, next to ``/slack/events``, a local Slack (the Web
API of :mod:`bot.local_slack` under ``/local-slack/api/``) and a page at ``/`` where a person plays
the workspace's users. What they type and click reaches the bot as signed Slack requests over HTTP;
the bot answers through the Web API as it would answer Slack, and the page follows live.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.playground.routes import add_playground

log = logging.getLogger(__name__)

PLAYGROUND_SQLITE_PATH = "firebreak-playground.db"
"""The playground's own embedded database, started afresh each run (the local Slack forgets too)."""

__all__ = ["PLAYGROUND_SQLITE_PATH", "add_playground", "fresh_playground_database", "playground_banner"]


def fresh_playground_database(path: str = PLAYGROUND_SQLITE_PATH) -> None:
    """Remove the previous run's playground database: its incidents' cards are gone with the local
    Slack, which lives in memory."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(path + suffix).unlink(missing_ok=True)


def playground_banner(port: int) -> str:
    return f"Playground mode: no Slack credentials — open http://localhost:{port}/"
