"""The playground in a real browser: ``python -m bot`` without Slack credentials, the page in
headless Chromium, an incident run from declaration to resolution through the card's controls."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from bot.runtime.child_environment import REPO
from tests.e2e.bot_process import BotProcess
from tests.playground.browser import field, send

ARTIFACTS = REPO / "test-artifacts"
SCREENSHOT = ARTIFACTS / "playground.png"


async def test_an_incident_from_mention_to_resolution(page: Page, playground: BotProcess) -> None:
    await send(page, "@firebreak checkout is down sev2")

    typed = page.locator("#messages .message", has_text="checkout is down sev2")
    await expect(typed.locator(".mention")).to_have_text("@firebreak")
    # The bot answers in the thread of that message: the card, which the page opens.
    card = page.locator("#thread .message.has-blocks", has=page.locator(".bk-header", has_text="INC-1"))
    await expect(card.locator(".bk-header")).to_have_text("🟠 SEV2 · INC-1 · checkout is down")
    await expect(field(card, "Severity")).to_contain_text("SEV2 · major")
    await expect(field(card, "Commander")).to_contain_text("unassigned")
    await expect(field(card, "Reporter")).to_contain_text("@alice")
    await expect(field(card, "Declared")).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"))
    await expect(typed.locator(".replies-link")).to_have_text("1 reply")
    card_ts = await card.get_attribute("data-ts")

    severity = card.locator('select[data-action-id="incident.severity"]')
    sev1 = await severity.locator("option", has_text="SEV1").get_attribute("value")
    assert sev1 is not None
    await severity.select_option(sev1)
    await expect(card.locator(".bk-header")).to_have_text("🔴 SEV1 · INC-1 · checkout is down")
    await expect(field(card, "Severity")).to_contain_text("SEV1 · critical")
    await expect(page.locator("#thread")).to_contain_text("@alice changed severity SEV2 → SEV1")

    await card.locator('select[data-action-id="incident.commander"]').select_option("U0BOB")
    await expect(field(card, "Commander")).to_contain_text("@bob")
    await expect(card.locator('select[data-action-id="incident.commander"]')).to_have_value("U0BOB")

    await card.locator('button[data-action-id="incident.resolve"]').click()
    await expect(page.locator("#confirm")).to_be_hidden()
    modal = page.locator("#modal")
    await expect(modal.locator("h2")).to_have_text("Resolve INC-1")
    await modal.locator('[data-block-id="resolve.summary"]').fill("rolled back the bad deploy")
    await modal.locator(".modal-submit").click()
    await expect(page.locator("#modal-backdrop")).to_be_hidden()

    await expect(field(card, "Status")).to_contain_text("Resolved")
    await expect(card.locator(".bk-context")).to_contain_text("rolled back the bad deploy")
    await expect(card.locator('button[data-action-id="incident.reopen"]')).to_be_visible()
    await expect(card.locator('button[data-action-id="incident.close"]')).to_be_visible()
    await expect(card.locator('[data-action-id="incident.resolve"]')).to_have_count(0)
    await expect(card.locator('[data-action-id="incident.severity"]')).to_have_count(0)
    # Edited in place all along: the same message, marked edited, never a second card.
    assert await card.get_attribute("data-ts") == card_ts
    await expect(card.locator(".meta")).to_contain_text("(edited)")
    await expect(page.locator("#thread .message.has-blocks")).to_have_count(1)
    await expect(page.locator("#thread")).to_contain_text("@alice resolved INC-1")

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000


async def test_ephemeral_replies_are_only_for_the_person_who_asked(page: Page) -> None:
    await page.locator('.channel[data-channel="C0GENERAL"]').click()
    await send(page, "/incident help")

    reply = page.locator("#messages .message.ephemeral")
    await expect(reply.locator(".only-you")).to_contain_text("Only visible to you")
    await expect(reply).to_contain_text("/incident")

    await page.locator("#user-switcher").select_option("U0CAROL")
    await expect(page.locator("#messages .message.ephemeral")).to_have_count(0)
    await page.locator("#user-switcher").select_option("U0ALICE")
    await expect(reply).to_have_count(1)
    await reply.locator(".dismiss").click()
    await expect(reply).to_have_count(0)


async def test_the_declare_form_shows_errors_under_fields_and_declares(page: Page) -> None:
    await page.locator('.channel[data-channel="C0GENERAL"]').click()
    await send(page, "/incident")

    modal = page.locator("#modal")
    await expect(modal.locator("h2")).to_have_text("Declare incident")
    await modal.locator('[data-block-id="declare.title"]').fill("   ")
    await modal.locator(".modal-submit").click()
    title = modal.locator(".bk-input", has=page.locator('[data-block-id="declare.title"]'))
    await expect(title.locator(".bk-error")).not_to_be_empty()

    await modal.locator('[data-block-id="declare.title"]').fill("search is slow")
    severity = modal.locator('[data-block-id="declare.severity"]')
    sev4 = await severity.locator("option", has_text="SEV4").get_attribute("value")
    assert sev4 is not None
    await severity.select_option(sev4)
    await modal.locator(".modal-submit").click()
    await expect(page.locator("#modal-backdrop")).to_be_hidden()

    # Declared from the form: the card is posted at the top of the channel.
    card = page.locator("#messages .message.has-blocks", has=page.locator(".bk-header", has_text="search is slow"))
    await expect(card.locator(".bk-header")).to_contain_text("SEV4")
    await expect(field(card, "Reporter")).to_contain_text("@alice")


MRKDWN_CASES = [
    ("*Severity*\nSEV1", "<b>Severity</b><br>SEV1"),
    ("_unassigned_ and snake_case_name", "<i>unassigned</i> and snake_case_name"),
    ("`code *not bold*`", "<code>code *not bold*</code>"),
    ("<!date^1700000000^{date_short_pretty}|2023-11-14 22:13 UTC>", "2023-11-14 22:13 UTC"),
    ("<@U0BOB> and <#C0INCIDENTS>", '<span class="mention">@bob</span> and <span class="mention">#incidents</span>'),
    ("a &lt;script&gt;alert(1)&lt;/script&gt; &amp; b", "a &lt;script&gt;alert(1)&lt;/script&gt; &amp; b"),
    ("<javascript:alert(1)|click>", "&lt;javascript:alert(1)|click&gt;"),
    ("<https://example.com/a?b=1&amp;c=2|docs>", "docs"),
]


async def test_mrkdwn_is_rendered_and_never_markup_it_was_not_meant_to_be(page: Page) -> None:
    rendered = await page.evaluate(
        """async (cases) => {
            const { mrkdwn } = await import("/playground/static/mrkdwn.js");
            const users = new Map([["U0BOB", { name: "bob" }]]);
            return cases.map(([text]) => mrkdwn(text, users));
        }""",
        [list(case) for case in MRKDWN_CASES],
    )
    for (text, expected), html in zip(MRKDWN_CASES, rendered, strict=True):
        assert expected in html, f"{text!r} rendered as {html!r}"
    assert '<a href="https://example.com/a?b=1&amp;c=2"' in rendered[-1]
    assert "<script" not in "".join(rendered)
