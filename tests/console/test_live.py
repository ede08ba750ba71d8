"""The console follows changes live (SPEC §9): GET /events streams which incidents changed, made
anywhere and on any replica; a reconnecting browser resumes with Last-Event-ID; an open page
shows the change without a reload, and never throws away what someone is typing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from playwright.async_api import Page, expect

from bot.local_slack import LocalSlack
from tests.console.support import ConsoleClient, sign_in_browser, signed_in_client
from tests.e2e.harness import ALICE, BOB, BotUnderTest

# Only a bound on waiting for what must arrive; nothing here times the bot.
ARRIVAL_SECONDS = 10.0


@dataclass(frozen=True)
class Frame:
    id: str | None
    event: str
    data: dict[str, object]


class Stream:
    """An open GET /events, read frame by frame (comment lines skipped)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self) -> Frame:
        fields: dict[str, str] = {}
        while True:
            raw = await asyncio.wait_for(self.response.content.readline(), ARRIVAL_SECONDS)
            assert raw, "the stream ended"
            line = raw.decode().rstrip("\n")
            if not line:
                if "event" in fields:
                    return Frame(fields.get("id"), fields["event"], json.loads(fields.get("data", "{}")))
                continue  # the end of a retry or comment block
            name, _, value = line.partition(": ")
            if name in ("id", "event", "data"):
                fields[name] = value

    async def until_incident(self, incident_id: int) -> Frame:
        """Frames until one names ``incident_id``."""
        while True:
            frame = await self.next()
            if frame.event == "changed" and incident_id in frame.data["incidents"]:  # type: ignore[operator]
                return frame


@asynccontextmanager
async def events(client: ConsoleClient, *, last_event_id: str | None = None) -> AsyncIterator[Stream]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    async with (
        aiohttp.ClientSession(cookie_jar=client.cookies) as session,
        session.get(f"{client.bot.url}/events", headers=headers) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        yield Stream(response)


async def declared_id(bot: BotUnderTest, number: int) -> int:
    return (await bot.stored(number)).id


async def test_a_change_made_in_slack_reaches_an_open_stream(bot: BotUnderTest) -> None:
    await bot.slash("declare sev2 checkout is failing")
    incident_id = await declared_id(bot, 1)
    client = await signed_in_client(bot, ALICE)
    async with events(client) as stream:
        await bot.slash("note INC-1 rolled back the deploy", user=BOB)
        frame = await stream.until_incident(incident_id)
        assert frame.id is not None


async def test_anonymous_requests_for_events_are_refused(bot: BotUnderTest) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/events") as response:
        assert response.status == 401


async def test_a_reconnecting_stream_is_given_what_it_missed(bot: BotUnderTest) -> None:
    await bot.slash("declare sev2 checkout is failing")
    await bot.slash("declare sev3 search is slow")
    first, second = await declared_id(bot, 1), await declared_id(bot, 2)
    client = await signed_in_client(bot, ALICE)
    async with events(client) as stream:
        await bot.slash("note INC-1 one")
        seen = (await stream.until_incident(first)).id
    await bot.slash("note INC-2 while the browser was away")
    async with events(client, last_event_id=seen) as stream:
        assert (await stream.until_incident(second)).id != seen


async def test_a_stream_resumed_from_another_replica_or_run_is_told_to_look_again(bot: BotUnderTest) -> None:
    client = await signed_in_client(bot, ALICE)
    async with events(client, last_event_id="0badc0de:41") as stream:
        assert (await stream.next()).event == "resync"


async def test_an_open_incident_page_shows_a_change_made_on_another_replica(
    bot: BotUnderTest, slack: LocalSlack, database_url: str, workspace: str, page: Page
) -> None:
    await bot.slash("declare sev2 checkout is failing")
    await bot.card(1)
    await sign_in_browser(page, bot, ALICE, next_path="/incidents/INC-1")
    other = await BotUnderTest(slack, database_url, workspace).start()
    try:
        assert (await other.slash("note INC-1 the replica heard this", user=BOB)).status == 200
        await expect(page.locator("#main")).to_contain_text("the replica heard this", timeout=ARRIVAL_SECONDS * 1000)
        await other.slash("declare sev1 payments are down", user=BOB)
        await page.goto(f"{bot.url}/incidents")
        await other.slash("declare sev3 exports are slow", user=BOB)
        await expect(page.locator("#main")).to_contain_text("exports are slow", timeout=ARRIVAL_SECONDS * 1000)
    finally:
        await other.stop()


async def test_what_someone_is_typing_is_kept_and_the_page_says_it_changed(bot: BotUnderTest, page: Page) -> None:
    await bot.slash("declare sev2 checkout is failing")
    await sign_in_browser(page, bot, ALICE, next_path="/incidents/INC-1")
    note = page.locator("#main textarea").first
    await note.fill("half a sentence")
    await bot.slash("note INC-1 someone else wrote this", user=BOB)
    await expect(page.locator("#live-notice")).to_be_visible(timeout=ARRIVAL_SECONDS * 1000)
    await expect(note).to_have_value("half a sentence")
    await expect(page.locator("#main")).not_to_contain_text("someone else wrote this")


async def test_a_refused_form_keeps_its_reason_and_show_the_latest_gets_the_page(bot: BotUnderTest, page: Page) -> None:
    """A form sent back is shown at the address it was posted to: the page's own address goes back
    in the bar, so "Show the latest" (and a reload) get the page rather than a 405."""
    await bot.slash("declare sev2 checkout is failing")
    await sign_in_browser(page, bot, ALICE, next_path="/incidents/INC-1")
    await page.locator("#note-form button").click()
    await expect(page.locator("#note-text-error")).to_have_text("The note cannot be empty.")
    assert page.url == f"{bot.url}/incidents/INC-1"

    await bot.slash("note INC-1 someone else wrote this", user=BOB)
    await expect(page.locator("#live-notice")).to_be_visible(timeout=ARRIVAL_SECONDS * 1000)
    await expect(page.locator("#note-text-error")).to_be_visible()
    await page.locator("#live-notice a").click()

    await expect(page.locator("#timeline")).to_contain_text("someone else wrote this")
    await expect(page.locator("#note-text-error")).to_have_count(0)
