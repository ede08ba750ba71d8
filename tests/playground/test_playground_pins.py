"""Pinning in the playground (SPEC §10): the 📌 on a message of an incident's thread puts it on the
incident's timeline, with its author and text, as Slack's pushpin reaction does."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.playground.browser import UPDATE_TIMEOUT_MS, send
from tests.waiting import poll


async def test_the_pushpin_puts_a_thread_message_on_the_timeline(page: Page) -> None:
    await send(page, "@firebreak checkout pins test sev3")
    thread = page.locator("#thread")
    header = thread.locator(".message.has-blocks .bk-header", has_text="checkout pins test")
    found = re.search(r"INC-\d+", await header.inner_text())
    assert found is not None
    incident = found.group(0)
    await send(page, "db primary failed over at 03:12", "#thread-input")
    message = thread.locator(".message", has_text="db primary failed over at 03:12")

    await message.hover()
    await message.locator(".pin-message").click()

    await expect(message.locator(".reaction", has_text="📌 1")).to_be_visible()
    await expect(message.locator(".pin-message")).to_have_text("📌 Unpin")
    # A reply in a thread goes on the timeline once the bot has asked Slack which thread it is in and
    # what it says (conversations.replies, an outbox job just after the 📌): ask for the timeline,
    # each time reading the answer to that very ask, until it shows the message.
    timelines = page.locator(".message.ephemeral", has_text="Timeline of")
    asked = await timelines.count()

    async def timeline_shows_the_pin() -> bool:
        nonlocal asked
        asked += 1
        await send(page, f"/incident timeline {incident}", "#thread-input")
        await expect(timelines).to_have_count(asked)
        return "db primary failed over at 03:12" in await timelines.last.inner_text()

    await poll(timeline_shows_the_pin, UPDATE_TIMEOUT_MS / 1000, "the pinned message on the timeline")
    await expect(timelines.last).to_contain_text("pinned 📌 a message by")
