"""``GET /incidents/INC-n/report.md`` over real HTTP (SPEC §10): an incident run in Slack over two
days with a reopen, read back as a Markdown file by someone signed in; nobody else gets it. The
``report`` verb answers with its link, and the incident's page links to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.local_slack import LocalSlack
from bot.runtime.clock import MutableClock
from tests.builders import T0
from tests.console.support import ConsoleClient, signed_in_client, start_console_bot, with_console
from tests.e2e.harness import ALICE, BOB, CAROL, BotUnderTest
from tests.e2e.verb_support import declare_by_mention

CONSOLE_URL = "https://firebreak.example.com"
NOTE = "cache | db split\nsee `SELECT 1`"


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(T0)


@pytest.fixture
async def bot(slack: LocalSlack, database_url: str, workspace: str, clock: MutableClock) -> AsyncIterator[BotUnderTest]:
    """The console's bot on a clock the test moves, so the incident can span days."""
    started = await start_console_bot(slack, database_url, workspace, clock=clock)
    yield started
    await started.stop()


async def two_days_and_a_reopen(bot: BotUnderTest, clock: MutableClock) -> None:
    await bot.slash("declare Checkout is down sev2", user=ALICE)
    clock.advance(minutes=5)
    await bot.slash("ack INC-1", user=BOB)
    clock.advance(minutes=1, seconds=7)
    await bot.slash(f"note INC-1 {NOTE}", user=BOB)
    clock.set(T0.replace(day=T0.day + 1, hour=T0.hour + 2))
    await bot.slash("resolve INC-1 rolled back", user=BOB)
    clock.advance(hours=3)
    await bot.slash("reopen INC-1 errors are back", user=BOB)
    clock.advance(hours=20)
    await bot.slash("resolve INC-1", user=BOB)
    await bot.settle()


async def test_the_report_is_markdown_for_whoever_is_signed_in(bot: BotUnderTest, clock: MutableClock) -> None:
    await two_days_and_a_reopen(bot, clock)
    client = await signed_in_client(bot, ALICE)

    reply = await client.get("/incidents/INC-1/report.md")

    assert reply.status == 200, reply.text
    assert reply.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="INC-1-report.md"'
    assert reply.headers["Cache-Control"] == "no-store"
    report = reply.text
    assert report.startswith("# INC-1 · Checkout is down\n")
    assert "- **Commander:** unassigned\n" in report
    assert "- Time to acknowledge: 5 min\n" in report
    assert "- Time to resolve: 1 d 22 h (the 3 h it spent resolved before it was reopened left out)\n" in report
    assert "- In total, declared to resolved: 2 d 1 h\n" in report
    assert "| 1 | 2026-11-23 03:00:00 UTC | Alice Archer declared INC-1 (SEV2): Checkout is down |" in report
    note_row = "| 2026-11-23 03:06:07 UTC | Bob Baker added a note: cache \\| db split see \\`SELECT 1\\` |"
    assert note_row in report, report
    assert "| Bob Baker reopened INC-1: errors are back |" in report
    assert f"- **In the console:** <{bot.url}/incidents/INC-1>" in report


async def test_nobody_else_gets_the_report(bot: BotUnderTest, clock: MutableClock) -> None:
    await two_days_and_a_reopen(bot, clock)

    anonymous = await ConsoleClient(bot).get("/incidents/INC-1/report.md")

    assert anonymous.status == 302
    assert anonymous.location == "/login?next=/incidents/INC-1/report.md"
    assert "Checkout" not in anonymous.text
    unknown = await (await signed_in_client(bot, ALICE)).get("/incidents/INC-9/report.md")
    assert unknown.status == 404
    assert "No incident INC-9 in this workspace." in unknown.text


async def test_the_incident_page_links_to_its_report(bot: BotUnderTest, clock: MutableClock) -> None:
    await two_days_and_a_reopen(bot, clock)

    page = await (await signed_in_client(bot, BOB)).get("/incidents/INC-1")

    assert 'href="/incidents/INC-1/report.md" id="report-link"' in page.text


async def report_answer(bot: BotUnderTest) -> str:
    await bot.slash("declare Checkout is down sev2", user=ALICE)
    answer = await bot.slash("report INC-1", user=BOB)
    assert answer.json()["response_type"] == "ephemeral"
    return str(answer.json()["text"])


async def test_report_answers_with_the_link(slack: LocalSlack, database_url: str, workspace: str) -> None:
    started = await with_console(BotUnderTest(slack, database_url, workspace), console_url=CONSOLE_URL).start()
    try:
        text = await report_answer(started)
    finally:
        await started.stop()
    assert f"<{CONSOLE_URL}/incidents/INC-1/report.md|INC-1 report>" in text


async def test_report_without_a_console_url_gives_the_path(bot: BotUnderTest, slack: LocalSlack) -> None:
    assert "`/incidents/INC-1/report.md` on the web console (set CONSOLE_URL" in await report_answer(bot)
    home = await declare_by_mention(bot, "search is slow sev3", number=2)
    await bot.mention("report", user=CAROL, thread_ts=home.thread_ts)
    await bot.settle()
    [told] = [e for e in slack.ephemerals(CAROL) if "report" in e.text]
    assert told.thread_ts == home.thread_ts
    assert "`/incidents/INC-2/report.md`" in told.text


async def test_report_with_the_console_off_says_how_to_turn_it_on(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    started = await BotUnderTest(slack, database_url, workspace).start()
    try:
        text = await report_answer(started)
    finally:
        await started.stop()
    assert text.startswith(
        "INC-1's report is served by the web console, which is off. To turn it on, set SLACK_CLIENT_ID"
    )
