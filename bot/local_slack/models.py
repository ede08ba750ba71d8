"""Plain data objects of the local Slack workspace (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

DEFAULT_USERS: tuple[JSON, ...] = (
    {"id": "U0ALICE", "name": "alice", "real_name": "Alice Archer", "tz": "Europe/London"},
    {"id": "U0BOB", "name": "bob", "real_name": "Bob Baker", "tz": "America/New_York"},
    {"id": "U0CAROL", "name": "carol", "real_name": "Carol Chen", "tz": "Asia/Singapore"},
    {"id": "U0DAVE", "name": "dave", "real_name": "Dave Diaz", "tz": "America/Los_Angeles"},
)


class SlackError(Exception):
    """A Web API error: becomes ``{"ok": false, "error": error, **extra}`` with HTTP 200."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> JSON:
        return {"ok": False, "error": self.error, **self.extra}


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    user: str
    bot_id: str
    blocks: list[JSON] | None = None
    attachments: list[JSON] | None = None
    thread_ts: str | None = None
    metadata: JSON | None = None
    edited_ts: str | None = None
    revisions: list[JSON] = field(default_factory=list)
    """Earlier versions (``{"text", "blocks", "attachments"}``), oldest first; one per chat.update."""
    reactions: dict[str, list[str]] = field(default_factory=dict)
    """Emoji name → who reacted with it, in the order they did (reactions.add)."""
    pinned_by: str | None = None
    """Who pinned it to its channel, while it is pinned."""

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class Ephemeral:
    channel: str
    user: str
    message_ts: str
    text: str
    blocks: list[JSON] | None = None
    attachments: list[JSON] | None = None
    thread_ts: str | None = None


@dataclass
class View:
    id: str
    payload: JSON
    hash: str
    trigger_id: str | None = None
    user: str | None = None  # set for App Home views (views.publish)
    root_view_id: str | None = None
    revisions: list[JSON] = field(default_factory=list)

    @property
    def external_id(self) -> str:
        return str(self.payload.get("external_id") or "")
