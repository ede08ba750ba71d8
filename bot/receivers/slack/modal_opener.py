"""Opening a modal while the request that asked for it is being handled.

Slack accepts a ``trigger_id`` for 3 s after the click or command, so ``views.open`` cannot wait in
the outbox behind other deliveries (a slow Slack made forms open 8–9 s late, that is never): it is
called before the request is acknowledged, bounded by its own short timeout, and a failure is told
to the person at once instead of being retried.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.handler.origin import UserError
from bot.receivers.slack.fields import trigger_id

log = logging.getLogger(__name__)

# What is left of the trigger's 3 s once the request has reached us, with room for the ack.
VIEWS_OPEN_TIMEOUT_SECONDS = 2.0


class ViewOpener:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def open(self, trigger: object, view: dict[str, Any], *, instead: str) -> None:
        """Open ``view`` with the request's ``trigger_id`` as Slack sent it; raise a UserError naming
        ``instead`` (what to use) if there was none to open it with, or Slack did not."""
        checked = trigger_id(trigger)
        if checked is None:
            raise UserError(f"Slack sent no trigger to open the form with: use {instead}.")
        try:
            await asyncio.wait_for(
                self._client.views_open(trigger_id=checked, view=view), timeout=VIEWS_OPEN_TIMEOUT_SECONDS
            )
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as error:
            reason = _reason(error)
            log.warning("views.open failed; the person is told", extra={"error": reason})
            raise UserError(f"Slack did not open the form ({reason}). Try again, or use {instead}.") from error


def _reason(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {VIEWS_OPEN_TIMEOUT_SECONDS:g} s"
    if isinstance(error, SlackApiError):
        data = error.response.data
        code = data.get("error") if isinstance(data, dict) else None
        return str(code or f"HTTP {error.response.status_code}")[:60]
    return type(error).__name__
