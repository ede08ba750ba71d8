"""The series that move away from the request path (SPEC §12): deliveries and Slack's 429s, the SLA
scheduler's ticks and reminders, and the AI's calls and fallbacks, each moved by what really happens."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY

from bot.local_slack import LocalSlack
from bot.runtime.clock import MutableClock
from tests.builders import T0
from tests.e2e.ai_support import FakeClaude
from tests.e2e.harness import BotUnderTest
from tests.metrics.scraping import Scrape, moved, scrape
from tests.waiting import poll

TICKED_WITHIN_SECONDS = 10.0
POST_CARD = "slack.post_card"


async def test_a_429_from_slack_is_counted_with_its_retry_after_and_the_card_is_retried(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    before = await scrape(bot)
    slack.rate_limit("chat.postMessage", retry_after=1, times=1)

    assert (await bot.slash("declare sev2 checkout is failing")).status == 200
    await bot.card(1)
    await bot.settle()

    after = await scrape(bot)
    assert moved(before, after, "firebreak_slack_rate_limited_total") == 1
    assert moved(before, after, "firebreak_slack_rate_limit_wait_seconds_total") == 1.0
    assert moved(before, after, "firebreak_deliveries_total", kind=POST_CARD, result="retried") == 1
    assert moved(before, after, "firebreak_deliveries_total", kind=POST_CARD, result="delivered") == 1


async def test_the_scheduler_ticks_and_an_ack_reminder_are_counted(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    clock = MutableClock(T0)
    ticks_before = REGISTRY.get_sample_value("firebreak_scheduler_tick_duration_seconds_count") or 0.0
    bot = await BotUnderTest(slack, database_url, workspace, clock=clock).start()
    try:
        # APScheduler ticks once as the bot starts.
        await poll(lambda: _ticks_past(bot, ticks_before), TICKED_WITHIN_SECONDS, "the first scheduled tick")
        assert (await bot.slash("declare sev1 database is down")).status == 200
        await bot.settle()
        before = await scrape(bot)
        clock.set(T0 + timedelta(minutes=5))
        assert await bot.tick() == 1
        after = await scrape(bot)
    finally:
        await bot.stop()

    assert moved(before, after, "firebreak_reminders_sent_total", clock="ack") == 1
    assert moved(before, after, "firebreak_reminders_sent_total", clock="update") == 0


async def test_ai_calls_are_counted_by_result_and_a_failed_one_as_a_fallback(
    slack: LocalSlack, database_url: str, workspace: str, claude: FakeClaude
) -> None:
    bot = await BotUnderTest(slack, database_url, workspace, anthropic_api_key="sk-ant-test").start()
    try:
        assert (await bot.slash("declare sev2 checkout is failing")).status == 200
        await bot.settle()
        first = await scrape(bot)
        assert (await bot.slash("update INC-1")).status == 200
        await bot.settle()
        second = await scrape(bot)
        claude.status = 500
        assert (await bot.slash("update INC-1")).status == 200
        await bot.settle()
        third = await scrape(bot)
    finally:
        await bot.stop()

    assert moved(first, second, "firebreak_ai_calls_total", result="answered") == 1
    assert moved(first, second, "firebreak_ai_fallbacks_total", reason="failed") == 0
    assert moved(second, third, "firebreak_ai_calls_total", result="error") == 1
    assert moved(second, third, "firebreak_ai_fallbacks_total", reason="failed") == 1


async def _ticks_past(bot: BotUnderTest, count: float) -> Scrape | None:
    scraped = await scrape(bot)
    return scraped if scraped.value("firebreak_scheduler_tick_duration_seconds_count") > count else None
