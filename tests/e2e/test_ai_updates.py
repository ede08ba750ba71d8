"""AI stakeholder updates end to end (SPEC §6): the bot with an Anthropic key, the Messages API
mocked at the HTTP layer (httpx2 + respx), the fake Slack and the real Postgres. The `update` verb
and the card's button answer at once; the AI draft follows in the thread, ready to post."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.local_slack import LocalSlack
from bot.runtime.clock import MutableClock
from bot.views import action_ids as ids
from tests.bot.ai import GOOD_ANSWER, MODEL, api_error, incident_data
from tests.builders import T0
from tests.e2e.ai_support import STAKEHOLDERS, FakeClaude, assert_ai_draft, last_draft, only_draft, published
from tests.e2e.card_support import declare, post_update_messages, published_updates
from tests.e2e.harness import BOB, CAROL, BotUnderTest
from tests.e2e.verb_support import block_texts, declare_by_mention


@pytest.fixture
def claude(httpx2_mock: Any) -> FakeClaude:
    return FakeClaude(httpx2_mock)


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(T0)


@pytest.fixture
async def ai_bot(
    slack: LocalSlack, database_url: str, workspace: str, clock: MutableClock, claude: FakeClaude
) -> AsyncIterator[BotUnderTest]:
    started = await BotUnderTest(
        slack, database_url, workspace, clock=clock, anthropic_api_key="sk-ant-test", stakeholder_channel=STAKEHOLDERS
    ).start()
    yield started
    await started.stop()


async def test_update_by_slash_acks_at_once_and_the_ai_draft_follows(
    ai_bot: BotUnderTest, slack: LocalSlack, claude: FakeClaude
) -> None:
    card = await declare(ai_bot, "declare Checkout is failing sev2")
    await ai_bot.slash("note card payments time out at the gateway", user=BOB)
    await ai_bot.settle()
    claude.delay = 1.0

    response = await ai_bot.slash("update INC-1", user=BOB)
    assert response.status == 200
    assert response.json()["text"].startswith("Drafting a stakeholder update for INC-1")
    assert claude.answered == 0, "Slack got its ack before the AI answered"
    assert post_update_messages(slack, card) == []

    await ai_bot.settle()
    draft = only_draft(slack, card)
    assert draft.thread_ts == card.ts, "in the incident's thread"
    assert_ai_draft(draft)

    seq, drafted = await last_draft(ai_bot)
    assert drafted.ai_written is True
    assert drafted.model == MODEL
    assert drafted.based_on == tuple(range(1, seq)), "the declaration and the note it was written from"
    assert drafted.actor == BOB
    assert len(claude.asked) == 1
    timeline = incident_data(claude.user_text())["timeline"]
    assert len(timeline) == len(drafted.based_on)
    assert timeline[-1]["detail"] == "note from the team: card payments time out at the gateway"


async def test_update_by_mention_acks_at_once_and_the_ai_draft_follows(
    ai_bot: BotUnderTest, slack: LocalSlack, claude: FakeClaude
) -> None:
    home = await declare_by_mention(ai_bot, "search is slow sev3")
    card = await ai_bot.card(1)
    claude.delay = 1.0

    response, _ = await ai_bot.mention("update", user=BOB, thread_ts=home.thread_ts)
    assert response.status == 200
    assert claude.answered == 0, "Slack got its 200 before the AI answered"
    assert post_update_messages(slack, card) == []

    await ai_bot.settle()
    assert_ai_draft(only_draft(slack, card))
    _, drafted = await last_draft(ai_bot)
    assert (drafted.ai_written, drafted.model, drafted.actor) == (True, MODEL, BOB)


async def test_update_by_mention_tells_its_author_a_draft_is_coming(
    ai_bot: BotUnderTest, slack: LocalSlack, claude: FakeClaude
) -> None:
    """The draft may take the AI's whole timeout and nothing else shows in the thread until then:
    the author is told it is on its way, as a slash command's author is in the ack."""
    home = await declare_by_mention(ai_bot, "search is slow sev3")
    await ai_bot.mention("update", user=BOB, thread_ts=home.thread_ts)
    await ai_bot.settle()
    told = [(e.text, e.thread_ts) for e in slack.ephemerals(BOB)]
    assert any(text.startswith("Drafting a stakeholder update for INC-1") for text, _ in told), told
    assert {thread for _, thread in told} == {home.thread_ts}
    assert len(claude.asked) == 1


async def test_post_this_update_publishes_the_ai_draft_and_restarts_the_clock(
    ai_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock
) -> None:
    card = await declare(ai_bot, "declare Checkout is failing sev2")
    await ai_bot.slash("update INC-1", user=BOB)
    await ai_bot.settle()
    draft = only_draft(slack, card)
    _, drafted = await last_draft(ai_bot)

    clock.set(T0 + timedelta(minutes=10))
    assert (await ai_bot.click(draft, ids.POST_UPDATE, user=CAROL)).status == 200
    await ai_bot.settle()

    [posted] = await published(ai_bot)
    assert (posted.model, posted.actor, posted.text) == (MODEL, CAROL, drafted.text)
    [in_thread] = published_updates(slack, card)
    assert in_thread.thread_ts == card.ts
    assert GOOD_ANSWER["impact"] in block_texts(in_thread.blocks)
    [in_channel] = slack.messages(STAKEHOLDERS)
    assert not in_channel.is_reply
    assert "Stakeholder update · INC-1" in block_texts(in_channel.blocks)
    assert GOOD_ANSWER["impact"] in block_texts(in_channel.blocks)

    incident = await ai_bot.incident(1)
    assert incident.last_update_at == T0 + timedelta(minutes=10)
    assert incident.clocks.update_due_at == T0 + timedelta(minutes=70), "SEV2: the next update an hour on"


async def test_the_cards_stakeholder_update_button_drafts_with_the_ai(
    ai_bot: BotUnderTest, slack: LocalSlack, claude: FakeClaude, clock: MutableClock
) -> None:
    card = await declare(ai_bot, "declare Login errors sev1")
    assert (await ai_bot.click(card, ids.STAKEHOLDER_UPDATE, user=BOB)).status == 200
    await ai_bot.settle()
    draft = only_draft(slack, card)
    assert_ai_draft(draft)
    assert len(claude.asked) == 1

    clock.set(T0 + timedelta(minutes=3))
    await ai_bot.click(draft, ids.POST_UPDATE, user=BOB)
    await ai_bot.settle()
    [posted] = await published(ai_bot)
    assert posted.model == MODEL
    assert len(published_updates(slack, card)) == 1
    assert len(slack.messages(STAKEHOLDERS)) == 1
    assert (await ai_bot.incident(1)).clocks.update_due_at == T0 + timedelta(minutes=33), "SEV1: every 30 min"


async def test_when_the_api_fails_the_template_draft_still_appears(
    ai_bot: BotUnderTest, slack: LocalSlack, claude: FakeClaude
) -> None:
    claude.status, claude.body = 500, api_error("api_error", "Internal server error")
    card = await declare(ai_bot, "declare Checkout is failing sev2")
    await ai_bot.slash("note rolled back deploy 1234", user=BOB)
    await ai_bot.slash("update INC-1", user=BOB)
    await ai_bot.settle(within=10)

    draft = only_draft(slack, card)
    shown = block_texts(draft.blocks)
    assert "Template update, not AI-written" in shown
    assert "AI draft" not in shown
    assert "rolled back deploy 1234" in shown, "the template says what the facts say"
    seq, drafted = await last_draft(ai_bot)
    assert (drafted.ai_written, drafted.model) == (False, None)
    assert drafted.based_on == tuple(range(1, seq))
    assert 1 <= len(claude.asked) <= 2, "one quick retry at most"

    await ai_bot.click(draft, ids.POST_UPDATE, user=BOB)
    await ai_bot.settle()
    [posted] = await published(ai_bot)
    assert posted.model is None, "a template update names no model"
