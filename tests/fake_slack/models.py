"""Re-export: the workspace's data objects live in :mod:`bot.local_slack.models`."""

from bot.local_slack.models import DEFAULT_USERS, JSON, Ephemeral, Message, SlackError, View

__all__ = ["DEFAULT_USERS", "JSON", "Ephemeral", "Message", "SlackError", "View"]
