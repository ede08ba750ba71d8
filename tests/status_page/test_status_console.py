"""The status page on an incident's console page (SPEC §14): the public toggle goes through the same
handler as ``/incident public`` (a timeline event, via the console), and the page shows how many
confirmed subscribers there are and which of the incident's emails failed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.local_slack import LocalSlack
from bot.receivers.status_page.status_context import STATUS_PAGE
from bot.runtime.signed_links import Purpose
from domain import events as ev
from tests.console.action_support import act, console_events, shown
from tests.console.support import close_clients, signed_in_client, with_console
from tests.e2e.harness import CAROL, BotUnderTest
from tests.status_page.conftest import STATUS_FROM
from tests.status_page.mailbox import BOUNCING, Mailbox
from tests.status_page.reading import link_in, request, subscribe
from tests.waiting import poll


@pytest.fixture
async def console_bot(
    slack: LocalSlack, database_url: str, workspace: str, mailbox: Mailbox
) -> AsyncIterator[BotUnderTest]:
    unstarted = with_console(BotUnderTest(slack, database_url, workspace))
    unstarted.settings = replace(unstarted.settings, smtp_url=mailbox.url, status_email_from=STATUS_FROM)
    started = await unstarted.start()
    yield started
    await close_clients()
    await started.stop()


async def test_the_console_toggles_public_and_shows_subscribers_and_failed_emails(
    console_bot: BotUnderTest, mailbox: Mailbox
) -> None:
    bot = console_bot
    for address in ("reader@example.com", BOUNCING):
        await subscribe(bot, address, client=f"192.0.2.{len(address)}")
    (confirmation,) = await mailbox.wait_for(1, to="reader@example.com")
    await request(bot, "POST", link_in(confirmation))
    await bot.slash("declare search is slow sev3")
    client = await signed_in_client(bot, CAROL)

    page = await client.get("/incidents/INC-1")
    assert shown(page.text, "public-state") == "Not on the public status page."
    assert shown(page.text, "subscriber-count") == "1 confirmed email subscriber."

    answer = await act(client, "public", {"public": "on", "title": "Search is slow"})
    assert answer.status in (200, 303), answer.text[:300]
    assert (await bot.incident(1)).public_title == "Search is slow"
    (event,) = [e for e in await console_events(bot) if isinstance(e, ev.PublicityChanged)]
    assert event.public
    assert event.actor == CAROL
    page = await client.get("/incidents/INC-1")
    assert shown(page.text, "public-state", "p") == (
        "On the public status page as “Search is slow”: its published stakeholder updates only."
    )
    assert "Search is slow" in (await bot.get("/status")).text

    # The bouncing address confirmed too: its email about INC-1 fails for good, and the page says so.
    bounce_link = f"{bot.url}/status/confirm/2/{_token(bot, 2, BOUNCING)}"
    await request(bot, "POST", bounce_link)
    await bot.slash("update INC-1 Search results are slow; we are on it.")
    await mailbox.wait_for(2, to="reader@example.com")

    async def failure_shown() -> bool:
        text = (await client.get("/incidents/INC-1")).text
        return "1 failed for good" in (shown(text, "email-failures", "p") or "")

    await poll(failure_shown, 10, "the failed email on the incident's page")
    page = await client.get("/incidents/INC-1")
    assert shown(page.text, "subscriber-count") == "2 confirmed email subscribers."
    assert "550" in (shown(page.text, "email-failures", "p") or "")

    await act(client, "public", {"public": "off"})
    assert not (await bot.incident(1)).public
    assert "Search is slow" not in (await bot.get("/status")).text


def _token(bot: BotUnderTest, subscriber_id: int, address: str) -> str:
    """The confirmation the bouncing address never receives, signed as the bot signs it."""
    return bot.app[STATUS_PAGE].signer.token(Purpose.CONFIRM, subscriber_id, address)
