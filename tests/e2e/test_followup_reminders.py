"""An overdue open follow-up gets one reminder in its incident's thread mentioning its owner
(SPEC §10 on §5's rules): exactly once across two replicas ticking together and across a restart
between the claim and the delivery; never for a follow-up marked done."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.local_slack import LocalSlack
from bot.runtime.clock import MutableClock
from tests.builders import T0
from tests.e2e.harness import BOB, CHANNEL, BotUnderTest, two_replicas

INCIDENTS = 10
DUE = T0 + timedelta(days=1)  # "due 1d", added at T0


def reminders(slack: LocalSlack) -> list[str]:
    """Every follow-up reminder Slack received, by the channel and thread it went to."""
    return [
        f"{channel}/{m.thread_ts}"
        for channel in slack.state.channels
        for m in slack.messages(channel)
        if m.bot_id and m.thread_ts and "is overdue" in m.text and f"<@{BOB}>" in str(m.blocks)
    ]


async def resolved_with_a_followup(bot: BotUnderTest, number: int, channel: str, *, done: bool = False) -> str:
    """INC-``number`` in ``channel``'s thread, resolved, with follow-up #1 owned by Bob due in a day
    (and marked done if ``done``); returns where its thread is."""
    response, message = await bot.mention(f"outage number {number} sev2", channel=channel)
    assert response.status == 200
    for command in (f"resolve INC-{number}", f"followup INC-{number} Alert on queue depth <@{BOB}> due 1d"):
        assert (await bot.slash(command, channel=channel)).status == 200
    if done:
        assert (await bot.slash(f"followup INC-{number} done 1", channel=channel, user=BOB)).status == 200
    return f"{channel}/{message.ts}"


async def test_two_schedulers_ticking_together_remind_each_open_follow_up_once(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    clock = MutableClock(T0)
    async with two_replicas(slack, database_url, workspace, clock) as (first, second):
        open_threads = []
        for number in range(1, INCIDENTS + 1):
            # Channels of their own: Slack paces each channel to about a message a second.
            done = number % 2 == 0
            thread = await resolved_with_a_followup(first, number, f"{CHANNEL}{number}", done=done)
            if not done:
                open_threads.append(thread)
        await first.settle()
        clock.set(DUE - timedelta(seconds=1))
        assert sum(await asyncio.gather(first.tick(), second.tick())) == 0

        clock.set(DUE + timedelta(seconds=1))
        counts = await asyncio.gather(first.tick(), second.tick(), first.tick(), second.tick())

        assert sum(counts) == len(open_threads), counts
        await first.settle()
        await second.settle()
        assert sorted(reminders(slack)) == sorted(open_threads), "one in each open follow-up's thread, none twice"
        clock.set(DUE + timedelta(days=30))
        assert sum(await asyncio.gather(first.tick(), second.tick())) == 0


async def test_a_restart_between_claim_and_delivery_neither_loses_nor_repeats_the_reminder(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    clock = MutableClock(T0)
    before = await BotUnderTest(slack, database_url, workspace, clock=clock).start()
    thread = await resolved_with_a_followup(before, 1, CHANNEL)
    await before.settle()
    clock.set(DUE)
    after = await before.restart_after_an_undelivered_tick(clock)
    try:
        await slack.wait_for(lambda s: reminders(s) or None, what="the follow-up reminder after the restart")
        assert await after.tick() == 0, "a follow-up is reminded once"
        await after.settle(within=10)
        assert reminders(slack) == [thread]
    finally:
        await after.stop()
