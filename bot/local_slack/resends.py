"""How Slack sends an event again when the app did not take it (the Events API over HTTP): the same
body, up to three more times, with ``X-Slack-Retry-Num`` 1–3 and ``X-Slack-Retry-Reason``.

Slack waits about a minute, then five; the local Slack waits moments, so that whoever sent the event
(a person on the playground's page, a test) sees it land while still looking. Only a 503 is sent
again: it is the bot's own "not recorded, send it again" (bot.receivers.slack.mentions). Slack
would resend any failure, but a 500 here is a bug to see, and a resend would only hide it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import TypeVar

Answer = TypeVar("Answer")

RESENDS_AFTER_SECONDS = (0.1, 0.5, 1.0)


def resend_headers(retry: int) -> dict[str, str]:
    """What Slack adds to the ``retry``-th resend of an event its app answered with an error."""
    return {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}


async def send_until_taken(send: Callable[[int], Awaitable[Answer]], status: Callable[[Answer], int]) -> Answer:
    """``send(0)``, then, while the app answers 503, ``send(1)``… ``send(3)`` after Slack's pauses
    (made moments): the last answer. ``send(retry)`` sends the same event, as resend ``retry``."""
    answer = await send(0)
    for retry, pause in enumerate(RESENDS_AFTER_SECONDS, start=1):
        if status(answer) != HTTPStatus.SERVICE_UNAVAILABLE:
            break
        await asyncio.sleep(pause)
        answer = await send(retry)
    return answer
