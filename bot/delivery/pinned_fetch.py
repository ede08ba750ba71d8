"""Fetching a pinned message from Slack, as a job in the outbox (SPEC §10).

A 📌 reaction names a message but not its thread, nor says what it says. The pin is committed first
(on the timeline, when the message roots an incident's thread; as this job otherwise), and this job
asks Slack for the message with ``conversations.replies``: once Slack answers, the message goes on
the timeline of the incident whose thread it is in, with its own author and text (or, already there
without its text, gets it). While Slack fails, the job is retried with the dispatcher's backoff; a
pin is never lost. A message in no incident's thread is let be.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.slack_errors import answered
from bot.handler.origin import UserError
from bot.handler.runner import CommandRunner, Effects
from bot.handler.service import thread_finder
from bot.runtime.clock import Clock
from domain.commands import PinMessage
from domain.errors import DomainError
from domain.incident import SlackSource
from domain.pinned import PinnedBy
from storage.stored import PendingDelivery

log = logging.getLogger(__name__)


class PinnedMessageFetcher:
    def __init__(self, client: AsyncWebClient, runner: CommandRunner, effects: Effects, clock: Clock) -> None:
        self._client = client
        self._runner = runner
        self._effects = effects
        self._clock = clock

    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None:
        payload = delivery.payload
        channel, ts = str(payload["channel"]), str(payload["ts"])
        # The message itself, whether it roots its thread or replies in one.
        response = await answered(
            self._client.conversations_replies(channel=channel, ts=ts, oldest=ts, latest=ts, inclusive=True, limit=1)
        )
        message = next((m for m in response.get("messages") or [] if isinstance(m, dict) and m.get("ts") == ts), None)
        if message is None:
            return {"skipped": "Slack has no such message any more"}
        author = message.get("user")
        command = PinMessage(
            actor=str(payload["pinned_by"]),
            source=SlackSource(channel, ts),
            channel_id=channel,
            ts=ts,
            author=author if isinstance(author, str) else None,
            text=str(message.get("text") or ""),
            pinned_by=PinnedBy(payload["how"]),
        )
        thread_ts = message.get("thread_ts")
        finder = thread_finder(str(payload["workspace_id"]), channel, thread_ts if isinstance(thread_ts, str) else ts)
        try:
            # Keyed by the job: recorded once, should the bot stop before the job is settled.
            await self._runner.execute(
                finder, command, now=self._clock.now(), idempotency_key=f"pinned:{delivery.id}", effects=self._effects
            )
        except (DomainError, UserError) as refused:
            log.debug("a fetched pinned message changed nothing", extra={"reason": refused.message})
            return {"skipped": refused.message}
        return {"pinned": ts}
