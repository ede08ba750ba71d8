"""The playground behaves like Slack where the bot can tell (SPEC "Playground mode"): ``@name``
typed is a mention, any message can be replied to in a thread, the layout holds at 800 px, and
(test_playground_restart) the workspace outlives a restart."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from tests.e2e.bot_process import BotProcess
from tests.playground.browser import field, open_page, send

CARD_HEADER = re.compile(r"INC-\d+ · ")


async def test_a_person_typed_as_at_name_in_a_slash_command_is_a_mention(page: Page) -> None:
    await send(page, "@firebreak search is slow sev3")
    card = page.locator("#thread .message.has-blocks", has=page.locator(".bk-header", has_text="search is slow"))
    await expect(field(card, "Commander")).to_contain_text("unassigned")
    number = re.search(r"INC-\d+", await card.locator(".bk-header").inner_text())
    assert number is not None

    await send(page, f"/incident assign {number.group(0)} @carol")

    await expect(field(card, "Commander")).to_contain_text("@carol")
    await expect(page.locator(".message.ephemeral", has_text="not a Slack mention")).to_have_count(0)


async def test_any_message_can_be_replied_to_and_a_mention_there_declares_on_that_thread(page: Page) -> None:
    await page.locator('.channel[data-channel="C0GENERAL"]').click()
    await send(page, "anyone else seeing login errors?")
    question = page.locator("#messages .message", has_text="anyone else seeing login errors?")
    await expect(page.locator("#thread")).to_be_hidden()

    await question.hover()
    await question.locator(".reply-in-thread").click()

    thread = page.locator("#thread")
    await expect(thread.locator(".message").first).to_contain_text("anyone else seeing login errors?")
    await expect(page.locator("#thread-input")).to_be_focused()
    await send(page, "yes, since the deploy", "#thread-input")
    await send(page, "@firebreak login errors after deploy sev3", "#thread-input")

    card = thread.locator(".message.has-blocks")
    await expect(card.locator(".bk-header")).to_contain_text(CARD_HEADER)
    await expect(card.locator(".bk-header")).to_contain_text("login errors after deploy")
    # All of it in the question's thread: the replies stay out of the channel.
    await expect(thread.locator(".message")).to_have_count(4)
    await expect(question.locator(".replies-link")).to_have_text("3 replies")
    await expect(page.locator("#messages .message")).to_have_count(1)
    # A message in the thread does not start a thread of its own.
    await expect(thread.locator(".reply-in-thread")).to_have_count(0)


async def test_at_800_px_the_channel_keeps_its_room_and_the_sidebar_slides_in(
    browser: Browser, playground: BotProcess
) -> None:
    async with open_page(browser, playground.url, width=800) as page:
        await send(page, "a message to open a thread on")
        message = page.locator("#messages .message", has_text="a message to open a thread on")
        await message.hover()
        await message.locator(".reply-in-thread").click()
        await expect(page.locator("#thread")).to_be_visible()

        sidebar, channel = page.locator("#sidebar"), page.locator("#channel")
        channel_box, sidebar_box = await channel.bounding_box(), await sidebar.bounding_box()
        assert channel_box is not None
        assert sidebar_box is not None
        assert channel_box["width"] >= 380, f"the channel column is {channel_box['width']} px wide"
        assert sidebar_box["x"] + sidebar_box["width"] <= 0, "the sidebar stays out of the way"

        await page.locator("#sidebar-toggle").click()
        await expect(page.locator("#sidebar-toggle")).to_have_attribute("aria-expanded", "true")
        await page.wait_for_function("document.querySelector('#sidebar').getBoundingClientRect().left >= 0")
        await page.locator('.channel[data-channel="C0GENERAL"]').click()
        await expect(page.locator("#channel-name")).to_have_text("# general")
        await expect(page.locator("#sidebar-toggle")).to_have_attribute("aria-expanded", "false")
        await page.wait_for_function("document.querySelector('#sidebar').getBoundingClientRect().right <= 0")
