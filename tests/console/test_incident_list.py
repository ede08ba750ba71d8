"""The incident list over HTTP: the real bot, incidents declared and changed through Slack at known
times, a signed-in console client reading /incidents with its filters in the URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest

from bot.handler.runner import CommandRunner
from bot.local_slack import LocalSlack
from bot.runtime.clock import MutableClock
from tests.builders import T0, at, declare_command
from tests.console.support import ConsoleClient, Reply, close_clients, signed_in_client, start_console_bot
from tests.e2e.harness import ALICE, BOB, CHANNEL, BotUnderTest


@pytest.fixture
async def clock() -> MutableClock:
    return MutableClock(T0)


@pytest.fixture
async def bot(slack: LocalSlack, database_url: str, workspace: str, clock: MutableClock) -> AsyncIterator[BotUnderTest]:
    """The console's bot (tests/console/conftest.py) on a clock the test moves."""
    started = await start_console_bot(slack, database_url, workspace, clock=clock)
    yield started
    await close_clients()
    await started.stop()


class ListPage(HTMLParser):
    """The list as a reader sees it: each row's cells by their labels, and the page's links."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self.links: dict[str, str] = {}  # id -> href
        self.hrefs: dict[str, str] = {}  # "INC-1 Slack" -> href, for the rows' links
        self.late: set[str] = set()  # the rows whose SLA state is shown as late
        self._row: dict[str, str] | None = None
        self._cell: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and (found.get("id") or "").startswith("incident-"):
            self._row = {}
            self.rows[f"INC-{found['id'].removeprefix('incident-')}"] = self._row  # type: ignore[union-attr]
        elif tag == "td" and self._row is not None:
            self._cell = found.get("data-label")
            self._row[self._cell or ""] = ""
            if "breached" in (found.get("class") or "").split():
                self.late.add(list(self.rows)[-1])
        elif tag == "a" and found.get("href"):
            if found.get("id"):
                self.links[str(found["id"])] = str(found["href"])
            if self._row is not None and self._cell:
                self.hrefs[f"{list(self.rows)[-1]} {self._cell}"] = str(found["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        elif tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._cell is not None:
            self._row[self._cell] = " ".join(f"{self._row[self._cell]} {data}".split())


async def listed(client: ConsoleClient, path: str = "/incidents") -> ListPage:
    reply = await client.get(path)
    assert reply.status == 200, reply.text[:500]
    return ListPage(reply.text)


async def story(bot: BotUnderTest, clock: MutableClock) -> None:
    """INC-1 SEV1 declared at T0, its ack clock breached, resolved 20 min later; INC-2 SEV3 declared
    at T0+30 min, Bob its commander; INC-3 SEV1 at T0+40 min; 5 min later (its ack due), the list is read."""
    await bot.slash("declare Checkout is failing sev1")
    clock.advance(minutes=10)
    assert await bot.tick() == 1  # the ack clock (5 min) passed: the scheduler records the breach
    clock.advance(minutes=10)
    await bot.slash("resolve INC-1 fixed the pool")
    clock.advance(minutes=10)
    await bot.slash("declare Login is slow sev3", user=BOB)
    clock.advance(minutes=1)
    await bot.slash(f"assign INC-2 <@{BOB}>")
    clock.advance(minutes=9)
    await bot.slash("declare Payments are erroring sev1")
    clock.advance(minutes=5)
    await bot.settle()


async def test_each_row_says_what_happened_to_its_incident(bot: BotUnderTest, clock: MutableClock) -> None:
    await story(bot, clock)
    client = await signed_in_client(bot, ALICE)

    page = await listed(client, "/incidents?status=all")

    assert list(page.rows) == ["INC-3", "INC-2", "INC-1"]  # newest first
    assert page.rows["INC-2"] == {
        "Incident": "INC-2",
        "Severity": "SEV3",
        "Title": "Login is slow",
        "Status": "Declared",
        "Commander": "Bob Baker",
        "Declared": "2026-11-23 03:30:00 UTC",
        "Duration": "15 min so far",
        "SLA": "ack by 04:30:00 UTC",
        "Slack": "Thread",
    }
    assert page.rows["INC-1"] | {"Slack": ""} == {
        "Incident": "INC-1",
        "Severity": "SEV1",
        "Title": "Checkout is failing",
        "Status": "Resolved",
        "Commander": "unassigned",
        "Declared": "2026-11-23 03:00:00 UTC",
        "Duration": "20 min to resolve",
        "SLA": "ack breached",
        "Slack": "",
    }
    assert page.rows["INC-3"]["SLA"] == "ack overdue since 03:45:00 UTC update by 04:10:00 UTC"
    assert page.rows["INC-3"]["Duration"] == "5 min so far"
    assert page.late == {"INC-3", "INC-1"}
    assert page.hrefs["INC-1 Incident"] == "/incidents/INC-1"
    card = await bot.card(1)
    assert (
        page.hrefs["INC-1 Slack"]
        == f"https://{bot.slack.state.team_domain}.slack.com/archives/{CHANNEL}/p{card.ts.replace('.', '')}"
    )


async def test_the_list_opens_on_the_open_incidents_and_filters_by_the_url(
    bot: BotUnderTest, clock: MutableClock
) -> None:
    await story(bot, clock)
    client = await signed_in_client(bot, ALICE)

    assert list((await listed(client)).rows) == ["INC-3", "INC-2"]
    assert list((await listed(client, "/incidents?status=resolved")).rows) == ["INC-1"]
    assert list((await listed(client, "/incidents?status=closed")).rows) == []
    assert list((await listed(client, "/incidents?status=all&severity=sev3")).rows) == ["INC-2"]
    assert list((await listed(client, "/incidents?severity=SEV1&severity=3")).rows) == ["INC-3", "INC-2"]
    assert list((await listed(client, f"/incidents?status=all&commander={BOB}")).rows) == ["INC-2"]
    assert list((await listed(client, "/incidents?status=all&commander=none")).rows) == ["INC-3", "INC-1"]
    assert list((await listed(client, "/incidents?status=all&q=CHECKOUT")).rows) == ["INC-1"]
    assert len((await listed(client, "/incidents?status=all&from=2026-11-23&to=2026-11-23")).rows) == 3
    assert list((await listed(client, "/incidents?status=all&to=2026-11-22")).rows) == []
    # A form sent with blank fields filters nothing by them.
    blank = "?status=all&service=&commander=&q=&from=&to="
    assert len((await listed(client, f"/incidents{blank}")).rows) == 3


async def test_the_form_shows_the_filters_in_force(bot: BotUnderTest, clock: MutableClock) -> None:
    await story(bot, clock)
    client = await signed_in_client(bot, ALICE)

    reply = await client.get(f"/incidents?status=resolved&severity=SEV1&q=pool+%3Cb%3E&commander={BOB}&from=2026-11-01")

    assert '<option value="resolved" selected>' in reply.text
    assert '<input type="checkbox" name="severity" value="SEV1" checked>' in reply.text
    assert '<input type="checkbox" name="severity" value="SEV2">' in reply.text
    assert 'name="q" type="search" value="pool &lt;b&gt;"' in reply.text
    assert f'<option value="{BOB}" selected>Bob Baker</option>' in reply.text
    assert 'name="from" type="date" value="2026-11-01"' in reply.text
    # Someone no longer in the workspace is still the filter in force.
    former = await client.get("/incidents?commander=U0GONE")
    assert '<option value="U0GONE" selected>U0GONE</option>' in former.text


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("status=burning", "status=“burning”"),
        ("severity=sev9", "severity=“sev9”"),
        ("commander=alice", "commander=“alice”"),
        ("from=2026-13-01", "from=“2026-13-01”"),
        ("to=yesterday", "to=“yesterday”"),
        ("from=2026-11-23&to=2026-11-22", "to=“2026-11-22”"),
        ("after=page-2", "after=“page-2”"),
        ("status=open&status=all", "status=“all”"),
        ("q=" + "x" * 201, "q=“" + "x" * 60 + "…”"),
        ("status=%3Cscript%3E", "status=“&lt;script&gt;”"),
    ],
)
async def test_a_filter_value_that_means_nothing_gets_a_400_naming_it(
    bot: BotUnderTest, query: str, named: str
) -> None:
    client = await signed_in_client(bot, ALICE)

    reply = await client.get(f"/incidents?{query}")

    assert reply.status == 400
    assert f"The filter {named} is not valid" in reply.text
    assert "<script>" not in reply.text


async def test_a_title_reads_as_typed_not_as_slack_escaped_it(bot: BotUnderTest) -> None:
    """Slack sends ``&``, ``<`` and ``>`` as entities; the list shows the characters, once escaped."""
    await bot.slash("declare R&amp;D wiki &lt;beta&gt; is down sev3")
    client = await signed_in_client(bot, ALICE)

    page = await listed(client)

    assert page.rows["INC-1"]["Title"] == "R&D wiki <beta> is down"


async def test_a_title_is_searched_for_as_it_reads(bot: BotUnderTest) -> None:
    await bot.slash("declare R&amp;D wiki &lt;beta&gt; is down sev3")
    client = await signed_in_client(bot, ALICE)

    for typed in ("R%26D", "%3Cbeta%3E", "r%26d+wiki"):
        assert list((await listed(client, f"/incidents?q={typed}")).rows) == ["INC-1"], typed


async def test_no_match_says_so_and_offers_to_clear_the_filters(bot: BotUnderTest, clock: MutableClock) -> None:
    await story(bot, clock)
    client = await signed_in_client(bot, ALICE)

    nothing = await client.get("/incidents?q=database")
    assert "No open incidents match these filters." in nothing.text
    assert ListPage(nothing.text).links["clear-filters"] == "/incidents"
    assert ListPage(nothing.text).rows == {}

    none_closed = await client.get("/incidents?status=closed")
    assert "No closed incidents." in none_closed.text
    assert 'href="/incidents?status=all">See every incident</a>' in none_closed.text


async def test_pages_of_fifty_neither_skip_nor_repeat_while_incidents_are_declared(bot: BotUnderTest) -> None:
    runner = CommandRunner(bot.observer)

    async def declare(number: int) -> None:
        await runner.declare(bot.workspace, declare_command(f"outage {number}", thread_ts=None), now=at(number))

    for number in range(1, 53):
        await declare(number)
    client = await signed_in_client(bot, ALICE)

    first = await listed(client, "/incidents?status=open")
    assert list(first.rows) == [f"INC-{n}" for n in range(52, 2, -1)]
    assert "newest-page" not in first.links
    await declare(53)  # declared between two page loads: it belongs before the first page
    second = await listed(client, first.links["next-page"])
    assert list(second.rows) == ["INC-2", "INC-1"]
    assert "next-page" not in second.links
    assert dict(parse_qsl(urlsplit(second.links["newest-page"]).query)) == {"status": "open"}
    assert list((await listed(client, second.links["newest-page"])).rows)[:2] == ["INC-53", "INC-52"]


async def test_the_next_page_keeps_the_filters(bot: BotUnderTest) -> None:
    runner = CommandRunner(bot.observer)
    for number in range(1, 56):
        title = f"{'api' if number % 2 else 'web'} outage {number}"
        await runner.declare(bot.workspace, declare_command(title, thread_ts=None), now=at(number))
    client = await signed_in_client(bot, ALICE)

    first = await listed(client, "/incidents?status=all&q=outage&severity=SEV2")
    assert len(first.rows) == 50
    link = dict(parse_qsl(urlsplit(first.links["next-page"]).query))
    assert link.pop("after")
    assert link == {"status": "all", "severity": "SEV2", "q": "outage"}
    assert list((await listed(client, "/incidents?status=all&q=API")).rows)[:2] == ["INC-55", "INC-53"]


async def test_someone_not_signed_in_is_sent_to_sign_in_and_back(bot: BotUnderTest) -> None:
    reply: Reply = await ConsoleClient(bot).get("/incidents?status=all&q=db")

    assert reply.status == 302
    assert reply.location is not None
    assert dict(parse_qsl(urlsplit(reply.location).query)) == {"next": "/incidents?status=all&q=db"}
