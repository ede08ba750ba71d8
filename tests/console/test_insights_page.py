"""/insights and /insights.json over HTTP, and /insights in Chromium: the real bot with the console
on, incidents made through the real command runner at known times, every figure checked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Browser, expect

from bot.handler.runner import CommandRunner
from bot.local_slack import LocalSlack
from bot.runtime.child_environment import REPO
from bot.runtime.clock import MutableClock
from domain.commands import Acknowledge, Reopen, Resolve
from domain.severity import Severity
from domain.sla import ClockKind
from tests.console.support import ConsoleClient, close_clients, sign_in_browser, signed_in_client, start_console_bot
from tests.console.test_incident_list_browser import scrolls_sideways
from tests.e2e.harness import ALICE, BotUnderTest
from tests.storage.incident_stories import breach, incident

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # a Wednesday of ISO week 2026-W50
MONDAY = datetime(2026, 12, 7, tzinfo=UTC)
FIRST_MONDAY = "2026-09-21"  # of the 12 weeks shown, 2026-W39 … W50
ARTIFACTS = REPO / "test-artifacts"
WEEKS = [
    (f"2026-W{week}", (datetime(2026, 9, 21) + timedelta(weeks=week - 39)).date().isoformat()) for week in range(39, 51)
]


@pytest.fixture
async def bot(slack: LocalSlack, database_url: str, workspace: str) -> AsyncIterator[BotUnderTest]:
    """The console's bot (tests/console/conftest.py) on a clock standing at NOW."""
    started = await start_console_bot(slack, database_url, workspace, clock=MutableClock(NOW))
    yield started
    await close_clients()
    await started.stop()


async def three_incidents(bot: BotUnderTest) -> None:
    """INC-1 SEV1 "api", declared Monday 00:00 of 2026-W50: its ack clock breached at 5 min, then
    acknowledged at 6, resolved at 30. INC-2 SEV2 "web", declared a second earlier (2026-W49):
    acknowledged at 2, resolved at 60, reopened at 90, resolved at 100 (70 min open). INC-3 SEV4, no
    service, declared an hour before NOW: acknowledged at 10, still open."""
    runner = CommandRunner(bot.observer)
    ack, resolve = Acknowledge(actor=ALICE), Resolve(actor=ALICE)
    first = await incident(runner, bot.workspace, MONDAY, severity=Severity.SEV1, service="api")
    await runner.execute(first.ref, breach(ClockKind.ACK, first.clocks.ack_due_at), now=MONDAY + timedelta(minutes=5))
    await runner.execute(first.ref, ack, now=MONDAY + timedelta(minutes=6))
    await runner.execute(first.ref, resolve, now=MONDAY + timedelta(minutes=30))
    second = MONDAY - timedelta(seconds=1)
    await incident(
        runner, bot.workspace, second, (2, ack), (60, resolve), (90, Reopen(actor=ALICE)), (100, resolve), service="web"
    )
    await incident(runner, bot.workspace, NOW - timedelta(hours=1), (10, ack), severity=Severity.SEV4)


async def test_the_figures_as_json(bot: BotUnderTest) -> None:
    await three_incidents(bot)
    client = await signed_in_client(bot, ALICE)

    reply = await client.get("/insights.json")

    assert reply.status == 200, reply.text
    assert reply.json() == {
        "filters": {"from": FIRST_MONDAY, "to": None, "severity": [], "service": None},  # the weeks shown
        "incidents": 3,
        "open_now": 1,
        # 120 360 600: p90 at rank 2.8; 1800 4200: the median halfway, p90 at rank 1.9.
        "time_to_acknowledge": {"incidents": 3, "median_seconds": 360.0, "p90_seconds": 552.0},
        "time_to_resolve": {"incidents": 2, "median_seconds": 3000.0, "p90_seconds": 3960.0},
        "sla_breaches": {
            "ack": {"breached": 1, "applied": 3, "rate": 1 / 3},
            "update": {"breached": 0, "applied": 2, "rate": 0.0},  # SEV4 has no update clock
            "resolve": {"breached": 0, "applied": 3, "rate": 0.0},
        },
        "per_severity": {"SEV1": 1, "SEV2": 1, "SEV3": 0, "SEV4": 1},
        "per_service": [
            {"service": "api", "incidents": 1},
            {"service": "web", "incidents": 1},
            {"service": None, "incidents": 1},
        ],
        "per_week": [
            {"week": week, "monday": monday, "incidents": {"2026-W49": 1, "2026-W50": 2}.get(week, 0)}
            for week, monday in WEEKS
        ],
    }


async def test_by_default_the_twelve_weeks_shown_and_all_of_history_when_asked(bot: BotUnderTest) -> None:
    await three_incidents(bot)
    runner = CommandRunner(bot.observer)
    await incident(runner, bot.workspace, datetime(2026, 9, 20, 23, 59, tzinfo=UTC), service="old")
    client = await signed_in_client(bot, ALICE)

    recent = (await client.get("/insights.json")).json()
    everything = (await client.get("/insights.json?from=")).json()

    assert (recent["filters"]["from"], recent["incidents"]) == (FIRST_MONDAY, 3)
    assert (everything["filters"]["from"], everything["incidents"]) == (None, 4)
    page = (await client.get("/insights")).text
    assert 'value="2026-09-21"' in page
    assert 'href="/insights?from="' in page


async def test_filters_in_the_url(bot: BotUnderTest) -> None:
    await three_incidents(bot)
    client = await signed_in_client(bot, ALICE)

    sev1 = (await client.get("/insights.json?severity=sev1&service=api")).json()
    assert (sev1["filters"], sev1["incidents"]) == (
        {"from": FIRST_MONDAY, "to": None, "severity": ["SEV1"], "service": "api"},
        1,
    )
    assert sev1["time_to_resolve"] == {"incidents": 1, "median_seconds": 1800.0, "p90_seconds": 1800.0}

    # Both days included; the weeks shown end with the range's.
    week49 = (await client.get("/insights.json?from=2026-11-30&to=2026-12-06")).json()
    assert (week49["incidents"], week49["per_week"][-1]) == (
        1,
        {"week": "2026-W49", "monday": "2026-11-30", "incidents": 1},
    )
    assert week49["time_to_acknowledge"] == {"incidents": 1, "median_seconds": 120.0, "p90_seconds": 120.0}

    page = await client.get("/insights?from=2026-12-07&severity=SEV1&severity=SEV4")
    assert page.status == 200
    assert "<strong>2</strong> incidents matching the filters" in page.text
    assert 'name="severity" value="SEV4" checked' in page.text
    assert 'href="/insights.json?from=2026-12-07&amp;severity=SEV1&amp;severity=SEV4"' in page.text


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("severity=SEV9", "severity=“SEV9”"),
        ("from=2026-13-01", "from=“2026-13-01”"),
        ("to=yesterday", "to=“yesterday”"),
        ("from=2026-12-09&to=2026-12-01", "to=“2026-12-01”"),
        ("service=" + "x" * 200, "service=“xxxx"),
    ],
)
async def test_a_bad_filter_value_is_refused_naming_it(bot: BotUnderTest, query: str, named: str) -> None:
    client = await signed_in_client(bot, ALICE)

    page = await client.get(f"/insights?{query}")
    assert page.status == 400
    assert named in page.text
    assert "<h1>That did not work</h1>" in page.text

    data = await client.get(f"/insights.json?{query}")
    assert data.status == 400
    assert named in data.json()["error"]


async def test_the_page_says_every_figure(bot: BotUnderTest) -> None:
    await three_incidents(bot)
    client = await signed_in_client(bot, ALICE)

    page = (await client.get("/insights")).text

    assert 'data-live="insights"' in page
    assert "<strong>3</strong> incidents declared in the 12 weeks shown · <strong>1</strong> open now" in page
    assert "<dt>Median</dt><dd>6 min</dd>" in page
    assert "<dt>90th percentile</dt><dd>9 min</dd>" in page
    assert "<dt>Median</dt><dd>50 min</dd>" in page
    assert "<dt>90th percentile</dt><dd>1 h 6 min</dd>" in page
    assert "over 2 incidents" in page
    ack = page.split('id="breach-ack"')[1].split("</tr>")[0]
    assert "33%</td>" in ack
    assert '<td data-label="Breached">1</td>' in ack
    # Each chart is an image with a title and a description that says its numbers.
    assert page.count('role="img"') == 3
    assert '<title id="chart-week-title">Incidents per week</title>' in page
    assert "2026-W49: 1; 2026-W50: 2." in page
    assert "Incidents per service. api: 1; web: 1; (no service): 1." in page
    assert '<text class="bar-label" x="130" y="' in page


async def test_no_incidents_is_no_data(bot: BotUnderTest) -> None:
    client = await signed_in_client(bot, ALICE)

    data = (await client.get("/insights.json")).json()
    assert (data["incidents"], data["open_now"], data["per_service"]) == (0, 0, [])
    assert data["time_to_acknowledge"] == {"incidents": 0, "median_seconds": None, "p90_seconds": None}
    assert data["sla_breaches"]["ack"] == {"breached": 0, "applied": 0, "rate": None}
    assert [week["incidents"] for week in data["per_week"]] == [0] * 12

    page = (await client.get("/insights")).text
    assert page.count('<p class="no-data">No data</p>') == 3  # two spreads, the services chart
    assert page.count('<span class="no-data">No data</span>') == 3  # the breach rates
    assert "NaN" not in page
    assert "None" not in page


async def test_anonymous_readers_are_sent_to_sign_in(bot: BotUnderTest) -> None:
    anonymous = ConsoleClient(bot)
    try:
        page = await anonymous.get("/insights?severity=SEV1")
        assert page.status == 302
        assert page.location is not None
        login = urlsplit(page.location)
        assert (login.path, parse_qs(login.query)) == ("/login", {"next": ["/insights?severity=SEV1"]})
        data = await anonymous.get("/insights.json")
        assert data.status == 401
        assert "error" in data.json()
    finally:
        await anonymous.close()


async def test_the_page_in_chromium_at_800_px_and_on_a_phone(browser: Browser, bot: BotUnderTest) -> None:
    await three_incidents(bot)
    context = await browser.new_context(viewport={"width": 800, "height": 1000})
    page = await context.new_page()
    try:
        await sign_in_browser(page, bot, ALICE, next_path="/insights")
        await expect(page.locator("svg.bar-chart")).to_have_count(3)
        await expect(page.get_by_role("img", name="Incidents per severity")).to_be_visible()
        assert not await scrolls_sideways(page)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "console-insights-800.png"), full_page=True)

        # Filtered with the keyboard: SEV1 ticked, Enter in the service field.
        await page.locator('input[name="severity"][value="SEV1"]').focus()
        await page.keyboard.press("Space")
        await page.locator("#filter-service").focus()
        await page.keyboard.type("api")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/insights?*service=api*")
        await expect(page.locator("#summary")).to_contain_text("1 incident matching the filters")

        await page.set_viewport_size({"width": 390, "height": 844})
        await page.goto(f"{bot.url}/insights")
        assert not await scrolls_sideways(page)
        await page.screenshot(path=str(ARTIFACTS / "console-insights-phone.png"), full_page=True)
    finally:
        await context.close()
