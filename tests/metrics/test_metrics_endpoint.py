"""GET /metrics (SPEC §12): the series an operator's Prometheus scrapes, moved by real traffic.

The bot runs as in production (tests/e2e/harness.py, the console on), driven by signed Slack requests
and console pages over HTTP. Counters live in the process's registry, so tests compare a scrape before
with one after: they assert increments, never absolute values.
"""

from __future__ import annotations

from bot.local_slack import LocalSlack
from bot.runtime.settings import Settings
from tests.console.support import signed_in_client, with_console
from tests.console.test_live import events
from tests.e2e.harness import ALICE, BOB, CAROL, CHANNEL, BotUnderTest
from tests.metrics.scraping import moved, promtool, scrape
from tests.reliability.tcp_proxy import SilenceableProxy
from tests.waiting import poll

OTHER_CHANNEL = "C0PAYMENTS"
TOKEN = "metrics-test-token-8d1f"
ARRIVAL_SECONDS = 10.0

FAMILIES = {
    "firebreak_http_requests": "counter",
    "firebreak_http_request_duration_seconds": "histogram",
    "firebreak_commands": "counter",
    "firebreak_deliveries": "counter",
    "firebreak_slack_rate_limited": "counter",
    "firebreak_slack_rate_limit_wait_seconds": "counter",
    "firebreak_scheduler_tick_duration_seconds": "histogram",
    "firebreak_reminders_sent": "counter",
    "firebreak_ai_calls": "counter",
    "firebreak_ai_fallbacks": "counter",
    "firebreak_alerts_received": "counter",
    "firebreak_outbox_pending": "gauge",
    "firebreak_outbox_oldest_pending_age_seconds": "gauge",
    "firebreak_incidents_open": "gauge",
    "firebreak_console_connections": "gauge",
}
# Every label a firebreak_ series may have: each takes a handful of values, whatever the traffic.
BOUNDED_LABELS = {"route", "method", "status", "kind", "result", "clock", "reason", "source", "severity", "le"}


async def test_after_real_traffic_every_family_is_there_with_its_type_and_promtool_accepts_it(
    bot: BotUnderTest,
) -> None:
    assert (await bot.slash("declare sev2 checkout is failing")).status == 200
    await bot.settle()

    scraped = await scrape(bot)

    assert scraped.status == 200
    assert scraped.content_type.startswith("text/plain; version=0.0.4")
    assert {name: scraped.types.get(name) for name in FAMILIES} == FAMILIES
    code, said = await promtool("check", "metrics", stdin=scraped.text)
    assert (code, said) == (0, ""), said


async def test_a_signed_slash_command_counts_as_a_command_and_as_a_request_to_its_route(bot: BotUnderTest) -> None:
    before = await scrape(bot)

    assert (await bot.slash("declare sev2 checkout is failing")).status == 200
    assert (await bot.slash("ack INC-42")).status == 200  # no such incident: refused, in words

    after = await scrape(bot)
    assert moved(before, after, "firebreak_commands_total", kind="Declare", result="applied") == 1
    assert moved(before, after, "firebreak_commands_total", kind="Acknowledge", result="refused") == 1
    slack_events = {"route": "/slack/events", "method": "POST"}
    assert moved(before, after, "firebreak_http_requests_total", **slack_events, status="200") == 2
    assert moved(before, after, "firebreak_http_request_duration_seconds_count", **slack_events) == 2


async def test_no_label_names_an_incident_a_user_a_channel_or_a_raw_path(bot: BotUnderTest) -> None:
    before = await scrape(bot)
    for user, channel, title in (
        (ALICE, CHANNEL, "checkout"),
        (BOB, OTHER_CHANNEL, "payments"),
        (CAROL, CHANNEL, "search"),
    ):
        assert (await bot.slash(f"declare sev3 {title} is failing", user=user, channel=channel)).status == 200
    assert (await bot.slash("ack INC-2", user=BOB, channel=OTHER_CHANNEL)).status == 200
    await bot.settle()
    client = await signed_in_client(bot, CAROL)
    for number in (1, 2, 3):
        assert (await client.get(f"/incidents/INC-{number}")).status == 200
    assert (await bot.get(f"/people/{BOB}/INC-2")).status == 404

    after = await scrape(bot)

    page = {"route": "/incidents/{ref}", "method": "GET", "status": "200"}
    assert moved(before, after, "firebreak_http_requests_total", **page) == 3
    assert moved(before, after, "firebreak_http_requests_total", route="unmatched", method="GET", status="404") == 1
    templates = {resource.canonical for resource in bot.app.router.resources()} | {"unmatched"}
    incident_ids = {str((await bot.stored(number)).id) for number in (1, 2, 3)}
    named = (ALICE, BOB, CAROL, CHANNEL, OTHER_CHANNEL, bot.workspace, "INC-")
    ours = [sample for sample in after.samples if sample.name.startswith("firebreak_")]
    assert ours
    for sample in ours:
        assert set(sample.labels) <= BOUNDED_LABELS, sample
        assert sample.labels.get("route", "unmatched") in templates, sample
        for name, value in sample.labels.items():
            assert not any(id_ in value for id_ in named), sample
            assert name in ("le", "status") or value not in incident_ids, sample


async def test_with_metrics_token_set_a_scrape_without_it_is_refused(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    bot = await with_console(BotUnderTest(slack, database_url, workspace), metrics_token=TOKEN).start()
    try:
        refused = [await scrape(bot), await scrape(bot, token="not-the-token")]
        allowed = await scrape(bot, token=TOKEN)
    finally:
        await bot.stop()

    for scraped in refused:
        assert scraped.status == 401
        assert "METRICS_TOKEN" in scraped.text
        assert "firebreak_" not in scraped.text
    assert allowed.status == 200
    assert "firebreak_commands_total" in allowed.text


def test_metrics_token_comes_from_the_environment_and_is_never_printed() -> None:
    slack_app = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "secret"}

    settings = Settings.from_env(slack_app | {"METRICS_TOKEN": f" {TOKEN} "})

    assert settings.metrics_token == TOKEN
    assert TOKEN not in repr(settings)
    assert Settings.from_env(slack_app | {"METRICS_TOKEN": " "}).metrics_token is None


async def test_the_outbox_gauges_count_the_rows_slack_has_not_taken_yet(slack: LocalSlack, bot: BotUnderTest) -> None:
    slack.fail("chat.postMessage", status=500, times=None)
    for title in ("checkout", "payments"):
        assert (await bot.slash(f"declare sev1 {title} is failing")).status == 200

    # Nothing is added meanwhile, and rows only leave: the gauge lies between a count before and one after.
    pending_before = await bot.pending_deliveries()
    scraped = await scrape(bot)
    pending_after = await bot.pending_deliveries()

    assert pending_before >= scraped.value("firebreak_outbox_pending") >= pending_after > 0
    assert scraped.value("firebreak_outbox_oldest_pending_age_seconds") >= 0
    assert scraped.value("firebreak_incidents_open", severity="SEV1") == 2


async def test_a_console_page_following_live_changes_is_a_connection(bot: BotUnderTest) -> None:
    client = await signed_in_client(bot, ALICE)
    async with events(client):
        await poll(lambda: _connections(bot, 1), ARRIVAL_SECONDS, "the open stream to be counted")
    # The bot finds the stream closed when it next writes to it: at the next change.
    assert (await bot.slash("declare sev3 search is slow")).status == 200
    await poll(lambda: _connections(bot, 0), ARRIVAL_SECONDS, "the closed stream to be uncounted")


async def test_with_the_database_silent_a_scrape_still_answers_with_the_process_series(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    database = database_url.rsplit("/", 1)[1]
    async with SilenceableProxy("127.0.0.1", 5432) as proxy:
        bot = await with_console(BotUnderTest(slack, proxy.url(database), workspace)).start()
        try:
            proxy.silence()
            scraped = await scrape(bot)
        finally:
            proxy.resume()
            await bot.stop()

    assert scraped.status == 200
    assert {"firebreak_commands", "firebreak_console_connections"} <= set(scraped.types)
    assert not {"firebreak_outbox_pending", "firebreak_incidents_open"} & set(scraped.types)


async def _connections(bot: BotUnderTest, expected: int) -> bool:
    return (await scrape(bot)).value("firebreak_console_connections") == expected
