"""Update-due reminders with an AI configured (SPEC §5, §6): the reminder goes out at once with the
template draft, whatever the AI is doing; the AI draft follows in the thread when it is ready."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.local_slack import LocalSlack, Message
from bot.runtime.clock import MutableClock
from bot.views import action_ids as ids
from domain import events as ev
from tests.bot.ai import GOOD_ANSWER, MODEL
from tests.builders import T0, controls
from tests.e2e.ai_support import FakeClaude, ai_drafts
from tests.e2e.card_support import thread_replies
from tests.e2e.harness import BOB, BotUnderTest
from tests.e2e.verb_support import block_texts

UPDATE_DUE = T0 + timedelta(minutes=30)  # SEV1
# Slack's per-channel pacing may hold a message up to 2 s; the AI takes longer than that to answer.
PROMPTLY = 3.0
AI_DELAY = 4.0


@pytest.fixture
def claude(httpx2_mock: Any) -> FakeClaude:
    return FakeClaude(httpx2_mock, delay=AI_DELAY)


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(T0)


@pytest.fixture
async def ai_bot(
    slack: LocalSlack, database_url: str, workspace: str, clock: MutableClock, claude: FakeClaude
) -> AsyncIterator[BotUnderTest]:
    started = await BotUnderTest(slack, database_url, workspace, clock=clock, anthropic_api_key="sk-ant-test").start()
    yield started
    await started.stop()


async def acknowledged_sev1(bot: BotUnderTest) -> Message:
    response, _ = await bot.mention("login failures sev1")
    assert response.status == 200
    card = await bot.card(1)
    await bot.click(card, ids.ACK, user=BOB)
    await bot.slash("note rolled back the auth deploy", user=BOB)
    await bot.settle()
    return card


async def within(seconds: float, found: Callable[[], list[Message]]) -> list[Message]:
    """What ``found`` returns once it returns something, waiting at most ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not (result := found()):
        if asyncio.get_running_loop().time() > deadline:
            return []
        await asyncio.sleep(0.02)
    return result


def reminders(slack: LocalSlack, card: Message) -> list[Message]:
    return [m for m in thread_replies(slack, card) if "is due" in block_texts(m.blocks)]


async def test_the_reminder_goes_out_at_once_with_the_template_and_the_ai_draft_follows(
    ai_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock, claude: FakeClaude
) -> None:
    card = await acknowledged_sev1(ai_bot)
    clock.set(UPDATE_DUE)
    assert await ai_bot.tick() == 1

    [reminder] = await within(PROMPTLY, lambda: reminders(slack, card))
    assert claude.answered == 0, "the reminder did not wait for the AI"
    shown = block_texts(reminder.blocks)
    assert "A stakeholder update for INC-1 is due" in shown
    assert "Template update, not AI-written" in shown
    assert "rolled back the auth deploy" in shown
    assert controls(reminder) == [ids.POST_UPDATE, ids.SNOOZE]
    assert ai_drafts(slack, card) == []

    await ai_bot.settle()
    [ai_draft] = ai_drafts(slack, card)
    replies = thread_replies(slack, card)
    assert replies.index(ai_draft) > replies.index(reminder), "the AI draft follows the reminder"
    assert GOOD_ANSWER["impact"] in block_texts(ai_draft.blocks)
    assert len(claude.asked) == 1

    stored = await ai_bot.stored(1)
    events = [item.event for item in await ai_bot.firebreak.service.history(stored.id)]
    breach_at = next(i for i, e in enumerate(events) if isinstance(e, ev.SlaBreached))
    drafts = [e for e in events[breach_at:] if isinstance(e, ev.AiDraftCreated)]
    assert [(d.ai_written, d.model) for d in drafts] == [(False, None), (True, MODEL)]


async def test_posting_the_ai_draft_from_the_thread_restarts_the_update_clock(
    ai_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock, claude: FakeClaude
) -> None:
    claude.delay = 0.0
    card = await acknowledged_sev1(ai_bot)
    clock.set(UPDATE_DUE)
    await ai_bot.tick()
    await ai_bot.settle()
    [ai_draft] = ai_drafts(slack, card)

    clock.set(UPDATE_DUE + timedelta(minutes=2))
    assert (await ai_bot.click(ai_draft, ids.POST_UPDATE, user=BOB)).status == 200
    await ai_bot.settle()
    incident = await ai_bot.incident(1)
    assert incident.last_update_at == UPDATE_DUE + timedelta(minutes=2)
    assert incident.clocks.update_due_at == UPDATE_DUE + timedelta(minutes=32)
    clock.set(UPDATE_DUE + timedelta(minutes=31))
    assert await ai_bot.tick() == 0, "no reminder before the new due time"


async def test_a_reminder_is_not_held_up_by_a_draft_already_being_written(
    ai_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock, claude: FakeClaude
) -> None:
    card = await acknowledged_sev1(ai_bot)
    await ai_bot.slash("update INC-1", user=BOB)  # the AI takes its time over this one
    deadline = asyncio.get_running_loop().time() + PROMPTLY
    while not claude.asked:
        assert asyncio.get_running_loop().time() < deadline, "the draft job never asked the AI"
        await asyncio.sleep(0.02)

    clock.set(UPDATE_DUE)
    assert await ai_bot.tick() == 1
    found = await within(PROMPTLY, lambda: reminders(slack, card))
    answered_by_then = claude.answered
    await ai_bot.settle(within=3 * AI_DELAY)
    assert found, f"the reminder waited for the AI to finish another draft\n{slack.summary()}"
    assert answered_by_then == 0
    assert len(ai_drafts(slack, card)) == 2, "both AI drafts came in the end"
