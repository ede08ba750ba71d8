"""Where a request came from, in Slack or the web console: who, which channel and thread, its
idempotency key, and where to answer it later."""

from __future__ import annotations

from dataclasses import dataclass

from domain.incident import ConsoleSource, IncidentRef, SlackSource, Source


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
    # Made in the web console (``channel_id`` is then the incident's channel): no Slack message
    # carried it, and its author reads the outcome on the page, so nothing is sent to them in Slack.
    via_console: bool = False

    @property
    def message(self) -> SlackSource | None:
        """The Slack message that carried the request (a mention, a card); none from the console."""
        return None if self.via_console else SlackSource(self.channel_id, self.message_ts)

    @property
    def source(self) -> Source:
        return self.message or ConsoleSource()

    def keyed(self, suffix: str) -> str | None:
        """A key for a second effect of the same request (e.g. its reply), distinct from its command."""
        return f"{self.key}:{suffix}" if self.key else None


def draft_publication_key(ref: IncidentRef, seq: int) -> str:
    """The key a draft's publication runs under, whoever publishes it and from where (its button in
    Slack, the console): a draft is posted once."""
    return f"draft:{ref.workspace_id}:{ref.number}:{seq}"


class UserError(Exception):
    """A request that cannot be carried out as asked; ``message`` is shown to its author as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
