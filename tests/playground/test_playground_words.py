"""The words a newcomer reads first, in Chromium: help with its placeholders, a title with Slack
markup in it, and a note typed in the thread answered with a reaction (SPEC §2, §3).

One test, as one person would try them in turn: the module's playground is one workspace."""

from __future__ import annotations

from playwright.async_api import Page, expect

from bot.views.escaping import WORD_JOINER
from tests.playground.browser import send


async def test_help_a_marked_up_title_and_a_quiet_note(page: Page) -> None:
    await send(page, "@firebreak help")

    # Slack would take a bare <title> for a token and show nothing; the placeholders are shown.
    help_reply = page.locator("#messages .message.ephemeral").last
    await expect(help_reply).to_contain_text("@firebreak declare <title> [sev1-4] [service:<key>]")
    await expect(help_reply).to_contain_text("@firebreak sev <1-4>")
    await expect(help_reply).to_contain_text("@firebreak <command>")

    await send(page, "@firebreak @here payments down see <https://evil.example|docs> sev1")

    card = page.locator("#thread .message.has-blocks", has=page.locator(".bk-header", has_text="INC-1"))
    await expect(card.locator(".bk-header")).to_have_text(
        f"🔴 SEV1 · INC-1 · @{WORD_JOINER}here payments down see <https://evil.example|docs>"
    )

    await send(page, "@firebreak note db failover done", "#thread-input")

    typed = page.locator("#thread .message", has_text="note db failover done")
    await expect(typed.locator(".reaction")).to_have_text("📝 1")
    await send(page, "@firebreak timeline", "#thread-input")
    await expect(page.locator("#thread .message.ephemeral").last).to_contain_text("added a note: db failover done")
    await expect(page.locator("#thread .message:not(.ephemeral)", has_text="added a note")).to_have_count(0)
