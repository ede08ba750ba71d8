"""Each reminder is sent exactly once per due time: across replicas, restarts, and real ticks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.local_slack import LocalSlack
from bot.runtime.clock import MutableClock
from bot.runtime.config_file import FirebreakConfig
from domain.severity import Severity
from domain.sla import DEFAULT_POLICY, SlaPolicy
from tests.builders import T0
from tests.e2e.harness import CHANNEL, BotUnderTest, two_replicas

INCIDENTS = 30


def reminders(slack: LocalSlack) -> list[str]:
    """Every ack reminder Slack received, by the channel and thread it went to."""
    return [
        f"{channel}/{m.thread_ts}"
        for channel in slack.state.channels
        for m in slack.messages(channel)
        if m.bot_id and m.thread_ts and "is not acknowledged yet" in str(m.blocks)
    ]


async def breaches(bot: BotUnderTest, number: int) -> list[datetime]:
    history = await bot.firebreak.service.history((await bot.stored(number)).id)
    return [item.event.due_at for item in history if item.event.type == "sla_breached"]  # type: ignore[attr-defined]


async def test_two_schedulers_ticking_together_remind_once(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    clock = MutableClock(T0)
    async with two_replicas(slack, database_url, workspace, clock) as (first, second):
        for i in range(INCIDENTS):
            # Channels of their own: Slack paces each channel to about a message a second.
            response, _ = await first.mention(f"outage number {i} sev1", channel=f"{CHANNEL}{i}")
            assert response.status == 200
        await first.settle()
        clock.set(T0 + timedelta(minutes=5))
        counts = await asyncio.gather(first.tick(), second.tick(), first.tick(), second.tick())
        assert sum(counts) == INCIDENTS, counts
        await first.settle()
        await second.settle()
        assert len(reminders(slack)) == INCIDENTS
        assert len(set(reminders(slack))) == INCIDENTS, "one reminder in each incident's thread"
        for number in range(1, INCIDENTS + 1):
            assert await breaches(first, number) == [T0 + timedelta(minutes=5)]


async def test_a_restart_between_claim_and_delivery_neither_loses_nor_repeats(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    clock = MutableClock(T0)
    before = await BotUnderTest(slack, database_url, workspace, clock=clock).start()
    await before.mention("payments down sev1")
    await before.card(1)
    await before.settle()
    clock.set(T0 + timedelta(minutes=5))
    # Two minutes later: past the failed attempt's backoff, short of the next ack window.
    after = await before.restart_after_an_undelivered_tick(clock)
    try:
        await slack.wait_for(lambda s: reminders(s) or None, what="the reminder after the restart")
        assert await after.tick() == 0, "the clock moved on when the breach was recorded"
        await after.settle(within=10)
        assert len(reminders(slack)) == 1
        assert await breaches(after, 1) == [T0 + timedelta(minutes=5)]
    finally:
        await after.stop()


async def test_real_ticks_with_short_windows_remind_on_time(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    windows = dict(DEFAULT_POLICY.windows)
    windows[Severity.SEV1] = windows[Severity.SEV1].__class__(
        ack=timedelta(seconds=2), update=timedelta(hours=1), resolve=timedelta(hours=4)
    )
    config = FirebreakConfig(policy=SlaPolicy(windows), tick=timedelta(seconds=0.5))
    bot = await BotUnderTest(slack, database_url, workspace, config=config).start()
    try:
        await bot.mention("search is down sev1")
        card = await bot.card(1)
        declared = datetime.now(UTC)
        await slack.wait_for(lambda s: reminders(s) or None, timeout=8, what="an ack reminder from a real tick")
        assert datetime.now(UTC) - declared >= timedelta(seconds=1.5), "not before the window ends"
        assert reminders(slack) == [f"{CHANNEL}/{card.thread_ts}"]
    finally:
        await bot.stop()
