"""Sorting Slack's answers into 'try again' and 'give up'."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.delivery.outcomes import PermanentFailure, RetryLater

T = TypeVar("T")

# ok:false codes that describe Slack's trouble, not ours: the same call can succeed later.
_TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})


def classify(error: SlackApiError) -> RetryLater | PermanentFailure:
    response = error.response
    status = response.status_code
    code = response.get("error") if isinstance(response.data, dict) else None
    if status == 429 or code == "ratelimited":
        return RetryLater(f"slack {status} ratelimited", delay=_retry_after(response.headers))
    if status >= 500 or code in _TRANSIENT:
        return RetryLater(f"slack {status} {code or 'server error'}")
    return PermanentFailure(f"slack {status} {code or 'error'}", code=code if isinstance(code, str) else None)


async def answered(call: Awaitable[T]) -> T:
    """What a Slack call answered; its failures (errors, timeouts, lost connections) sorted as above."""
    try:
        return await call
    except SlackApiError as error:
        raise classify(error) from error
    except (TimeoutError, aiohttp.ClientError) as error:
        raise RetryLater(f"{type(error).__name__}: {error}") from error


def _retry_after(headers: dict[str, object]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(str(value)))
            except ValueError:
                break
    return 1.0
