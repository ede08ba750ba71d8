"""Telling the person who asked: ephemeral replies, errors, and the apology for the unexpected.

Replies go through the outbox like everything else, keyed by the request, so a Slack retry does
not reply twice. Only when the database itself is unreachable does the apology go straight to
Slack: the command was not recorded, and the person must know to try again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.outbox_messages import ephemeral
from bot.handler.origin import Origin
from bot.handler.service import IncidentService
from bot.receivers.outage import log_unavailable
from bot.views.listings import RESENT_LATER_TEXT, error_text, unavailable_text, unexpected_error_text
from storage.availability import database_unavailable

log = logging.getLogger(__name__)

DIRECT_REPLY_TIMEOUT = 2.0
# Slack sends an event it got no 200 for three more times (X-Slack-Retry-Num 1, 2, 3), then gives up.
SLACK_LAST_RETRY = 3


def new_error_id() -> str:
    return uuid.uuid4().hex[:10]


class Replies:
    def __init__(self, service: IncidentService, client: AsyncWebClient) -> None:
        self._service = service
        self._client = client

    async def tell(self, origin: Origin, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        message = ephemeral(origin.channel_id, origin.user_id, text, thread_ts=origin.thread_ts, blocks=blocks)
        try:
            await self._service.queue([message], origin.keyed("reply"))
        except Exception as error:
            if database_unavailable(error):
                log_unavailable("a reply", error, _ids(origin))
            else:
                log.exception("could not queue a reply; sending it directly", extra=_ids(origin))
            await self._direct(origin, text)

    async def refuse(self, origin: Origin, message: str, usage: str | None = None) -> None:
        await self.tell(origin, error_text(message, usage))

    async def apologise(self, origin: Origin, error_id: str) -> None:
        await self.tell(origin, unexpected_error_text(error_id))

    async def failed(self, origin: Origin, what: str, error: Exception) -> None:
        """Answer a request that failed unexpectedly: "try again in a moment" when the database is
        down (straight to Slack, since the outbox is in that database), else an apology with an id."""
        if database_unavailable(error):
            log_unavailable(what, error, _ids(origin))
            await self._direct(origin, unavailable_text())
            return
        await self.apologise(origin, unexpected(origin, what))

    async def not_recorded(self, origin: Origin, what: str, error: Exception, retry_num: int) -> None:
        """An event that could not be recorded and is answered so that Slack sends it again: its
        author hears it once, when it first arrives, and again only if Slack's last try fails too."""
        log_unavailable(what, error, _ids(origin) | {"slack_retry_num": retry_num})
        if retry_num == 0:
            await self._direct(origin, RESENT_LATER_TEXT)
        elif retry_num >= SLACK_LAST_RETRY:
            await self._direct(origin, unavailable_text())

    async def _direct(self, origin: Origin, text: str) -> None:
        try:
            await asyncio.wait_for(
                self._client.chat_postEphemeral(
                    channel=origin.channel_id, user=origin.user_id, text=text, thread_ts=origin.thread_ts
                ),
                timeout=DIRECT_REPLY_TIMEOUT,
            )
        except Exception:
            log.exception("could not reply directly either", extra=_ids(origin))


def failure_text(origin: Origin, what: str, error: Exception) -> str:
    """What to tell the person when handling their request failed: logged, then explained."""
    if database_unavailable(error):
        log_unavailable(what, error, _ids(origin))
        return unavailable_text()
    return unexpected_error_text(unexpected(origin, what))


def unexpected(origin: Origin, what: str) -> str:
    """Log an unexpected failure with everything needed to find it; return the id users are shown."""
    error_id = new_error_id()
    log.exception(f"unexpected error handling {what}", extra=_ids(origin) | {"error_id": error_id})
    return error_id


def _ids(origin: Origin) -> dict[str, Any]:
    return {
        "team_id": origin.workspace_id,
        "user_id": origin.user_id,
        "channel_id": origin.channel_id,
        "thread_ts": origin.thread_ts,
        "request_key": origin.key,
    }
