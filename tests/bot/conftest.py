"""Fixtures of the delivery tests: a clock of the test's own, the fake Slack, and the real Slack
sender pointed at it (with a short client timeout)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery.pacing import ChannelPacer
from bot.delivery.slack_sender import SlackSender
from bot.local_slack import LocalSlack
from tests.bot.dispatcher_support import SHORT_TIMEOUT, Clock, own_clock


@pytest.fixture
def clock() -> Clock:
    return own_clock()


@pytest.fixture
async def slack_sender(slack: LocalSlack, engine: AsyncEngine, clock: Clock) -> AsyncIterator[SlackSender]:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url, timeout=SHORT_TIMEOUT, retry_handlers=[])
    async with aiohttp.ClientSession() as http:
        # Paced on the test's clock, so a Retry-After block lifts when the test moves time on.
        pacer = ChannelPacer(monotonic=lambda: clock.now().timestamp())
        yield SlackSender(client, engine, clock, http, pacer)
