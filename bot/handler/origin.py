"""Where a request came from in Slack: who, which channel and thread, its idempotency key, and
where to answer it later."""

from __future__ import annotations

from dataclasses import dataclass

from domain.incident import SlackSource


@dataclass(frozen=True)
class Origin:
    workspace_id: str
    user_id: str
    channel_id: str
    thread_ts: str | None = None  # the thread the request was made in, if any
    message_ts: str | None = None  # the message that carried it (a mention, a card)
    key: str | None = None  # the request's idempotency key
    # Where a slash command's later answers go: it reaches its author even in a channel the bot
    # is not a member of, where an ephemeral message would be refused.
    response_url: str | None = None

    @property
    def source(self) -> SlackSource:
        return SlackSource(self.channel_id, self.message_ts)

    def keyed(self, suffix: str) -> str | None:
        """A key for a second effect of the same request (e.g. its reply), distinct from its command."""
        return f"{self.key}:{suffix}" if self.key else None


class UserError(Exception):
    """A request that cannot be carried out as asked; ``message`` is shown to its author as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
