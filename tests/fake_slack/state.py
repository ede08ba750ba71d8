"""Re-export: the workspace model lives in :mod:`bot.local_slack.state`."""

from bot.local_slack.state import SlackState

__all__ = ["SlackState"]
