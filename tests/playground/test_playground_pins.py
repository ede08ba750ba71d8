"""Pinning in the playground (SPEC §10): the 📌 on a message of an incident's thread puts it on the
incident's timeline, with its author and text, as Slack's pushpin reaction does."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.playground.browser import send


async def test_the_pushpin_puts_a_thread_message_on_the_timeline(page: Page) -> None:
    await send(page, "@firebreak checkout pins test sev3")
    thread = page.locator("#thread")
    header = thread.locator(".message.has-blocks .bk-header", has_text="checkout pins test")
    found = re.search(r"INC-\d+", await header.inner_text())
    assert found is not None
    await send(page, "db primary failed over at 03:12", "#thread-input")
    message = thread.locator(".message", has_text="db primary failed over at 03:12")

    await message.hover()
    await message.locator(".pin-message").click()

    await expect(message.locator(".reaction", has_text="📌 1")).to_be_visible()
    await expect(message.locator(".pin-message")).to_have_text("📌 Unpin")
    # Its text comes from Slack just after the pin (conversations.replies): ask until it is there.
    timeline = page.locator(".message.ephemeral", has_text="Timeline of").last
    for _ in range(20):
        await send(page, f"/incident timeline {found.group(0)}", "#thread-input")
        await expect(timeline).to_contain_text("pinned 📌 a message by")
        if "db primary failed over at 03:12" in await timeline.inner_text():
            break
    await expect(timeline).to_contain_text("db primary failed over at 03:12")
