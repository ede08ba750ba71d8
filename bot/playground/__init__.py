"""Playground mode: the real bot, no Slack workspace needed.

``python -m bot`` without Slack credentials serves, next to ``/slack/events``, a local Slack (the Web
API of :mod:`bot.local_slack` under ``/local-slack/api/``) and a page at ``/`` where a person plays
the workspace's users. What they type and click reaches the bot as Slack would send it, by the
transport chosen on the page (:mod:`bot.playground.transport`): signed requests over HTTP, or Socket
Mode envelopes on the WebSocket the bot opened with an app-level token. The bot answers through the
Web API as it would answer Slack, and the page follows live. The workspace is kept across restarts
(:mod:`bot.playground.keeping`) until Reset on the page.
"""

from __future__ import annotations

from bot.playground.keeping import PLAYGROUND_SQLITE_PATH, Kept
from bot.playground.routes import add_playground
from bot.runtime.settings import Settings

__all__ = ["PLAYGROUND_SQLITE_PATH", "Kept", "add_playground", "playground_banner"]


def playground_banner(settings: Settings) -> str:
    kept = Kept.for_database(settings.database_url)
    return (
        f"Playground mode: no Slack credentials — open http://localhost:{settings.port}/ · "
        f"incidents and messages are kept in {kept.describe()} (Reset on the page starts afresh)"
    )
