"""Every listener counts as a request in flight while it runs, so that delivery gives way to it
(bot.requests_in_flight): seen from inside, through the clock each command reads as it commits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from bot.views import action_ids as ids
from tests.e2e.card_support import declare
from tests.e2e.harness import BotUnderTest, Response
from tests.fake_slack import FakeSlack


class WatchingClock:
    """The real time, noting how many requests were in flight each time it is read."""

    def __init__(self) -> None:
        self.in_flight: Callable[[], int] = lambda: 0
        self.seen: list[int] = []

    def now(self) -> datetime:
        self.seen.append(self.in_flight())
        return datetime.now(UTC)

    def readings(self) -> list[int]:
        seen, self.seen = self.seen, []
        return seen


@pytest.fixture
async def watched(
    slack: FakeSlack, database_url: str, workspace: str
) -> AsyncIterator[tuple[BotUnderTest, WatchingClock]]:
    clock = WatchingClock()
    bot = await BotUnderTest(slack, database_url, workspace, clock=clock).start()
    clock.in_flight = lambda: bot.firebreak.in_flight.count
    yield bot, clock
    await bot.stop()


async def test_mentions_commands_and_clicks_count_while_they_commit(
    watched: tuple[BotUnderTest, WatchingClock],
) -> None:
    bot, clock = watched
    card = await declare(bot)  # a slash command

    async def slash() -> Response:
        return await bot.slash("note INC-1 pods restarted")

    async def mention() -> Response:
        return (await bot.mention("note rolled back", thread_ts=card.ts))[0]

    async def click() -> Response:
        return await bot.click(card, ids.ACK)

    for send in (slash, mention, click):
        await bot.settle()
        clock.readings()
        assert (await send()).status == 200
        assert 1 in clock.readings(), f"{send.__name__}: read the time while counted in flight"
        assert bot.firebreak.in_flight.count == 0, f"{send.__name__}: no longer counted once answered"
