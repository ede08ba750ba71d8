"""Follow-ups on an incident's console page over HTTP (SPEC §10, "also in the console"): added and
marked done by the same commands as ``/incident followup …``, so the thread gets the same audit line
(saying it was done via the console); a due date is read by Slack's rules, and one refused is said
beside its field with nothing changed; an overdue follow-up is marked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, expect

from bot.local_slack import LocalSlack
from bot.runtime.child_environment import REPO
from bot.runtime.clock import MutableClock
from domain import events as ev
from domain.incident import ConsoleSource
from tests.builders import T0
from tests.console.action_support import act, audit_lines, opened, shown
from tests.console.support import console_page, scrolls_sideways, sign_in_browser, signed_in_client, start_console_bot
from tests.e2e.card_support import declare, timeline
from tests.e2e.harness import BOB, CAROL, BotUnderTest

# T0 is 2026-11-23 03:00 UTC.
SCREENSHOTS = REPO / "test-artifacts"
QUEUE_DEPTH = {"text": "Alert on queue depth", "owner": BOB, "due_date": "2026-11-30"}


@pytest.fixture
async def bot(slack: LocalSlack, database_url: str, workspace: str) -> AsyncIterator[BotUnderTest]:
    """The console bot on a clock that stands at T0, so due dates mean the same whenever the test runs."""
    started = await start_console_bot(slack, database_url, workspace, clock=MutableClock(T0))
    yield started
    await started.stop()


def clock_of(bot: BotUnderTest) -> MutableClock:
    assert isinstance(bot.clock, MutableClock)
    return bot.clock


async def test_a_followup_added_and_done_in_the_console_is_said_in_the_thread_as_if_done_in_slack(
    bot: BotUnderTest,
) -> None:
    card = await declare(bot)
    client = await signed_in_client(bot, CAROL)

    added = await act(client, "followup", QUEUE_DEPTH)

    assert (added.status, added.location) == (303, "/incidents/INC-1"), shown(added.text, "action-refusal")
    (followup,) = (await bot.incident(1)).followups
    assert (followup.number, followup.text, followup.owner, followup.created_by) == (1, QUEUE_DEPTH["text"], BOB, CAROL)
    assert followup.due is not None
    assert followup.due.day.isoformat() == "2026-11-30"
    page = (await client.get("/incidents/INC-1")).text
    assert shown(page, "action-confirmation") == "Follow-up added to INC-1."
    assert shown(page, "followup-1", "tr") == (
        "#1 Alert on queue depth Added by Carol Chen, 2026-11-23 03:00:00 UTC Bob Baker 2026-11-30 Open Done"
    )

    done = await act(client, "followup-done", {"number": "1"})

    assert (done.status, done.location) == (303, "/incidents/INC-1"), shown(done.text, "action-refusal")
    (followup,) = (await bot.incident(1)).followups
    assert (followup.done_by, followup.done_at) == (CAROL, T0)
    page = (await client.get("/incidents/INC-1")).text
    assert shown(page, "followup-1", "tr") == (
        "#1 Alert on queue depth Added by Carol Chen, 2026-11-23 03:00:00 UTC "
        "Done, marked by Carol Chen, 2026-11-23 03:00:00 UTC Bob Baker 2026-11-30 Done"
    )
    assert 'id="followup-done-1-form"' not in page, "a done follow-up has no Done button"
    events = [event for event in await timeline(bot) if isinstance(event, ev.FollowUpAdded | ev.FollowUpDone)]
    assert [(type(e), e.actor, e.source) for e in events] == [
        (ev.FollowUpAdded, CAROL, ConsoleSource()),
        (ev.FollowUpDone, CAROL, ConsoleSource()),
    ]
    await bot.settle()
    assert audit_lines(bot, card)[-2:] == [
        f"<@{CAROL}> added follow-up #1 (owner <@{BOB}>, due 2026-11-30) via the console: Alert on queue depth",
        f"<@{CAROL}> marked follow-up #1 done via the console: Alert on queue depth",
    ]
    assert bot.slack.ephemerals() == [], "nothing is said to the console's user in Slack"


async def test_a_duration_is_due_that_long_from_now_and_the_owner_defaults_to_whoever_adds_it(
    bot: BotUnderTest,
) -> None:
    await declare(bot)
    client = await signed_in_client(bot, CAROL)
    form = (await client.get("/incidents/INC-1")).text.split('id="followup-form"', 1)[1]
    assert f'<option value="{CAROL}" selected>' in form, "the owner picked at first is whoever adds it"

    added = await act(client, "followup", {"text": "Runbook for the failover", "owner": CAROL, "due_in": "36h"})

    assert added.status == 303, shown(added.text, "action-refusal")
    (followup,) = (await bot.incident(1)).followups
    assert followup.owner == CAROL
    assert followup.due is not None
    assert (followup.due.at, followup.due.whole_day) == (T0.replace(day=24, hour=15), False)
    page = (await client.get("/incidents/INC-1")).text
    assert "2026-11-24 15:00:00 UTC" in (shown(page, "followup-1", "tr") or "")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"due_date": "2026-11-01"}, "due_date", "2026-11-01 is in the past (today is 2026-11-23 in UTC)"),
        ({"due_date": "2026-02-30"}, "due_date", "“2026-02-30” is not a day on the calendar"),
        ({"due_in": "soon"}, "due_in", "“soon” is not a due date: give a date like 2026-12-20 or a duration like 3d"),
        ({"due_in": "900d"}, "due_in", "A follow-up can be due at most two years ahead."),
        ({"due_date": "2026-11-30", "due_in": "3d"}, "due_in", "Give a day or a duration, not both."),
        ({"owner": "U0MALLORY"}, "owner", "Pick who owns the follow-up from this workspace's people."),
        ({"text": "  "}, "text", "The follow-up cannot be empty."),
    ],
)
async def test_an_invalid_followup_is_refused_beside_its_field_and_changes_nothing(
    bot: BotUnderTest, fields: dict[str, str], field: str, message: str
) -> None:
    card = await declare(bot)
    client = await signed_in_client(bot, CAROL)
    await bot.settle()
    history, lines = await timeline(bot), audit_lines(bot, card)
    sent = {"text": "Alert on queue depth", "owner": BOB, **fields}

    refused = await act(client, "followup", sent)

    assert refused.status == 400
    assert (shown(refused.text, f"followup-{field}-error") or "").startswith(message), refused.text[:300]
    assert f'aria-describedby="followup-{field}-error"' in refused.text
    if field.startswith("due"):
        assert f'value="{fields[field]}"' in refused.text, "what was typed is kept"
    assert (await bot.incident(1)).followups == ()
    assert await timeline(bot) == history
    await bot.settle()
    assert audit_lines(bot, card) == lines


async def test_done_twice_is_answered_not_refused_and_changes_nothing_more(bot: BotUnderTest) -> None:
    card = await declare(bot)
    client = await signed_in_client(bot, CAROL)
    assert (await act(client, "followup", QUEUE_DEPTH)).status == 303
    seen = await opened(client)
    # The incident moves on in Slack while the page is open: marking a follow-up done still holds.
    assert (await bot.slash("note INC-1 failing over", user=BOB)).status == 200
    assert (await act(client, "followup-done", {"number": "1"}, version=seen)).status == 303
    await bot.settle()
    history, lines = await timeline(bot), audit_lines(bot, card)

    resent = await act(client, "followup-done", {"number": "1"}, version=seen)
    again = await act(client, "followup-done", {"number": "1"})

    assert (resent.status, resent.location) == (again.status, again.location) == (303, "/incidents/INC-1")
    page = (await client.get("/incidents/INC-1")).text
    assert shown(page, "action-confirmation") == "Follow-up #1 of INC-1 is already done; nothing changed."
    assert await timeline(bot) == history
    await bot.settle()
    assert audit_lines(bot, card) == lines
    (followup,) = (await bot.incident(1)).followups
    assert followup.done_by == CAROL


async def test_an_unknown_followup_number_is_refused_with_the_numbers_there_are(bot: BotUnderTest) -> None:
    await declare(bot)
    client = await signed_in_client(bot, CAROL)
    assert (await act(client, "followup", QUEUE_DEPTH)).status == 303

    refused = await act(client, "followup-done", {"number": "7"})

    assert refused.status == 409
    assert shown(refused.text, "action-refusal") == "INC-1 has no follow-up #7; its follow-ups are #1."
    assert not (await bot.incident(1)).followups[0].is_done


async def test_a_followup_added_from_a_page_shown_before_a_change_is_refused_with_what_changed(
    bot: BotUnderTest,
) -> None:
    await declare(bot)
    client = await signed_in_client(bot, CAROL)
    seen = await opened(client)
    assert (await bot.slash("followup INC-1 Alert on queue depth", user=BOB)).status == 200

    refused = await act(client, "followup", QUEUE_DEPTH, version=seen)

    assert refused.status == 409
    assert (shown(refused.text, "action-refusal") or "").startswith("INC-1 changed since you opened this page")
    assert [followup.created_by for followup in (await bot.incident(1)).followups] == [BOB]


async def test_a_done_form_naming_no_number_is_refused_beside_the_list(bot: BotUnderTest) -> None:
    await declare(bot)
    client = await signed_in_client(bot, CAROL)
    assert (await act(client, "followup", QUEUE_DEPTH)).status == 303

    refused = await act(client, "followup-done", {"number": "first"})

    assert refused.status == 400
    assert shown(refused.text, "followup-done-number-error") == "“first” is not a follow-up number."
    assert not (await bot.incident(1)).followups[0].is_done


async def test_a_followup_form_without_its_csrf_token_is_refused_and_changes_nothing(bot: BotUnderTest) -> None:
    await declare(bot)
    client = await signed_in_client(bot, CAROL)
    version = await opened(client)
    history = await timeline(bot)

    refused = await client.post_without_token("/incidents/INC-1/followup", {"version": str(version), **QUEUE_DEPTH})

    assert refused.status == 403
    assert (await bot.incident(1)).followups == ()
    assert await timeline(bot) == history


async def test_the_section_marks_overdue_followups_and_counts_them(bot: BotUnderTest) -> None:
    await declare(bot)
    client = await signed_in_client(bot, CAROL)
    for fields in (
        {"text": "Alert on queue depth", "owner": BOB, "due_in": "36h"},
        {"text": "Runbook for the failover", "owner": CAROL, "due_in": "36h"},
        {"text": "Load test the fallback", "owner": BOB},
    ):
        assert (await act(client, "followup", fields)).status == 303
    assert (await act(client, "followup-done", {"number": "2"})).status == 303
    page = (await client.get("/incidents/INC-1")).text
    assert 'id="followup-1-overdue"' not in page

    clock_of(bot).advance(days=2)
    page = (await client.get("/incidents/INC-1")).text

    assert shown(page, "followup-1-overdue") == "overdue"
    assert 'id="followup-2-overdue"' not in page, "a done follow-up is never overdue"
    assert 'id="followup-3-overdue"' not in page, "nor one without a due date"
    assert shown(page, "followups-count") == "(3: 2 open, 1 overdue)"


async def test_adding_a_followup_and_marking_it_done_in_chromium_at_800_px(bot: BotUnderTest, browser: Browser) -> None:
    card = await declare(bot)
    async with console_page(browser, width=800) as page:
        await sign_in_browser(page, bot, CAROL, next_path="/incidents/INC-1")
        await page.locator("#followup-text").fill("Alert on queue depth")
        await page.locator("#followup-owner").select_option(BOB)
        await page.locator("#followup-due_in").fill("someday")
        await page.locator("#followup-form button").click()
        await expect(page.locator("#followup-due_in-error")).to_contain_text("“someday” is not a due date")
        await page.locator("#followup-due_in").fill("")
        await page.locator("#followup-due_date").fill("2026-11-30")
        await page.locator("#followup-form button").click()
        await expect(page.locator("#action-confirmation")).to_have_text("Follow-up added to INC-1.")
        await page.locator("#followup-text").fill("Runbook for the failover")
        await page.locator("#followup-due_in").fill("36h")
        await page.locator("#followup-form button").click()
        await expect(page.locator("#followup-2")).to_contain_text("2026-11-24 15:00:00 UTC")
        await page.locator("#followup-done-1-form button").click()
        await expect(page.locator("#followup-1")).to_contain_text("Done, marked by Carol Chen")
        clock_of(bot).advance(days=2)
        await page.reload()

        await expect(page.locator("#followup-2-overdue")).to_have_text("overdue")
        assert not await scrolls_sideways(page), "the section fits 800 px"
        SCREENSHOTS.mkdir(exist_ok=True)
        await page.locator("#followups").screenshot(path=str(SCREENSHOTS / "console-followups-800.png"))
        await page.set_viewport_size({"width": 375, "height": 800})
        assert not await scrolls_sideways(page), "nor on a phone"
    await bot.settle()
    first, second, done = audit_lines(bot, card)[-3:]
    assert first == (
        f"<@{CAROL}> added follow-up #1 (owner <@{BOB}>, due 2026-11-30) via the console: Alert on queue depth"
    )
    assert second.endswith("|2026-11-24 15:00 UTC>) via the console: Runbook for the failover"), second
    assert done == f"<@{CAROL}> marked follow-up #1 done via the console: Alert on queue depth"
