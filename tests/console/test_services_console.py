"""The runbook on an incident's console page (SPEC §13): the same progress as the runbook message in
Slack, and Done marks a step by the same command as the message's button, which edits that message."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, expect

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from domain import events as ev
from domain.incident import ConsoleSource, SlackSource
from tests.console.action_support import act, shown
from tests.console.support import console_page, scrolls_sideways, sign_in_browser, signed_in_client, start_console_bot
from tests.e2e.card_support import declare, of_type, timeline
from tests.e2e.harness import BOB, CAROL, BotUnderTest
from tests.e2e.service_support import catalog_config, click_done, open_steps, runbook_messages, with_owner_group


@pytest.fixture
async def bot(slack: LocalSlack, database_url: str, workspace: str) -> AsyncIterator[BotUnderTest]:
    with_owner_group(slack)
    started = await start_console_bot(slack, database_url, workspace, config=catalog_config())
    yield started
    await started.stop()


async def test_a_step_done_in_the_console_edits_the_runbook_message_in_slack(bot: BotUnderTest) -> None:
    card = await declare(bot, "declare Payments failing sev2 service:checkout")
    await bot.click(card, ids.RUNBOOK, user=BOB)
    await bot.settle()
    (runbook,) = runbook_messages(bot.slack, card)
    await click_done(bot, runbook, 1, user=BOB)
    client = await signed_in_client(bot, CAROL)
    page = (await client.get("/incidents/INC-1")).text
    assert shown(page, "runbook-progress") == "(1 of 3 done)"
    assert "Checkout · owner S0PAYMENTS" in page
    assert (shown(page, "runbook-step-1-done") or "").startswith("✅ done by Bob Baker, ")

    done = await act(client, "runbook-done", {"step": "3"})
    again = await act(client, "runbook-done", {"step": "3"})

    assert (done.status, done.location) == (303, "/incidents/INC-1"), shown(done.text, "action-refusal")
    assert again.status == 303, "done twice is no error"
    steps = of_type(await timeline(bot), ev.RunbookStepDone)
    assert [(e.step, e.actor, e.source) for e in steps if isinstance(e, ev.RunbookStepDone)] == [
        (1, BOB, SlackSource(runbook.channel, runbook.ts)),
        (3, CAROL, ConsoleSource()),
    ]
    await bot.settle()
    (edited,) = runbook_messages(bot.slack, card)
    assert edited.text == "Runbook for Checkout (INC-1): 2 of 3 done"
    assert open_steps(edited) == [2]
    assert f"done by <@{CAROL}>" in json.dumps(edited.blocks)
    page = (await client.get("/incidents/INC-1")).text
    assert shown(page, "runbook-progress") == "(2 of 3 done)"
    assert 'id="runbook-done-3-form"' not in page


@pytest.mark.parametrize(
    ("step", "status", "where", "said"),
    [
        ("7", 409, "action-refusal", "INC-1's runbook has 3 steps; there is no step 7."),
        ("first", 400, "runbook-done-step-error", "Say which step is done, by its number."),
    ],
)
async def test_a_step_that_is_not_there_is_refused_and_changes_nothing(
    bot: BotUnderTest, step: str, status: int, where: str, said: str
) -> None:
    await declare(bot, "declare Payments failing service:checkout")
    client = await signed_in_client(bot, CAROL)
    refused = await act(client, "runbook-done", {"step": step})
    assert refused.status == status
    assert shown(refused.text, where) == said
    assert (await bot.incident(1)).runbook == ()


async def test_an_incident_without_a_catalog_runbook_has_no_runbook_section(bot: BotUnderTest) -> None:
    await declare(bot, "declare Search is slow service:search")
    client = await signed_in_client(bot, CAROL)
    assert 'id="runbook"' not in (await client.get("/incidents/INC-1")).text
    refused = await act(client, "runbook-done", {"step": "1"})
    assert refused.status == 409
    assert (shown(refused.text, "action-refusal") or "").startswith("INC-1 has no runbook")


async def test_marking_steps_done_in_chromium_at_800_px(bot: BotUnderTest, browser: Browser) -> None:
    await declare(bot, "declare Payments failing sev1 service:checkout")
    async with console_page(browser, width=800) as page:
        await sign_in_browser(page, bot, CAROL, next_path="/incidents/INC-1")
        await expect(page.locator("#runbook-progress")).to_have_text("(0 of 3 done)")
        await expect(page.locator("#runbook-step-1 a")).to_have_attribute(
            "href", "https://grafana.example.com/d/payments"
        )
        await page.locator("#runbook-done-2-form button").click()
        await expect(page.locator("#action-confirmation")).to_have_text("Runbook step marked done on INC-1.")
        await expect(page.locator("#runbook-progress")).to_have_text("(1 of 3 done)")
        await expect(page.locator("#runbook-step-2-done")).to_contain_text("done by Carol Chen")
        await expect(page.locator("#runbook-done-2-form")).to_have_count(0)
        assert not await scrolls_sideways(page)
    steps = of_type(await timeline(bot), ev.RunbookStepDone)
    assert [e.step for e in steps if isinstance(e, ev.RunbookStepDone)] == [2]


async def test_the_new_incident_form_offers_the_catalog_beside_free_text(bot: BotUnderTest) -> None:
    client = await signed_in_client(bot, CAROL)
    form = (await client.get("/incidents/new")).text
    assert 'list="service-catalog"' in form
    assert '<option value="checkout">Checkout</option>' in form


async def test_insights_filter_by_a_catalog_service_however_it_was_typed(bot: BotUnderTest) -> None:
    for text in ("declare Payments failing service:Checkout", "declare Refunds stuck service:checkout"):
        await declare(bot, text)
    await declare(bot, "declare Search is slow service:search")
    client = await signed_in_client(bot, CAROL)
    figures = (await client.get("/insights.json?service=checkout")).json()
    assert (figures["filters"]["service"], figures["incidents"]) == ("checkout", 2)
    assert {"service": "checkout", "incidents": 2} in (await client.get("/insights.json")).json()["per_service"]
