"""Re-export: the call log lives in :mod:`bot.local_slack.records`."""

from bot.local_slack.records import Call, ResponseUrlPost, describe_call, summarize, timeout_report

__all__ = ["Call", "ResponseUrlPost", "describe_call", "summarize", "timeout_report"]
