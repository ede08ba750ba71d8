"""Declaring incidents: by mention on the message's thread, in an existing thread, by slash
command at the channel's top level, and through the declare modal."""

from __future__ import annotations

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from domain.lifecycle import Status
from domain.severity import Severity
from tests.builders import controls
from tests.e2e.harness import ALICE, BOB, CHANNEL, BotUnderTest

OPEN_CONTROLS = [ids.ACK, ids.SEVERITY, ids.STATUS, ids.COMMANDER, ids.STAKEHOLDER_UPDATE, ids.RESOLVE]


async def test_mention_declares_on_the_message_thread_with_the_card(bot: BotUnderTest, slack: LocalSlack) -> None:
    response, message = await bot.mention("checkout is failing for EU customers sev1")
    assert response.status == 200

    incident = await bot.incident(1)
    assert (incident.title, incident.severity, incident.status) == (
        "checkout is failing for EU customers",
        Severity.SEV1,
        Status.DECLARED,
    )
    assert incident.reporter == ALICE
    card = await bot.card(1)
    assert card.thread_ts == message.ts, "the card is a reply in the mentioning message's thread"
    assert card.blocks is not None
    assert card.blocks[0]["type"] == "header"
    assert "INC-1 · checkout is failing for EU customers" in card.blocks[0]["text"]["text"]
    assert controls(card) == OPEN_CONTROLS
    await bot.settle()
    assert [c.method for c in slack.calls if c.method != "auth.test"] == ["chat.postMessage"]


async def test_mention_in_an_existing_thread_makes_that_thread_the_incident(bot: BotUnderTest) -> None:
    root = bot.slack.state.post_user_message(CHANNEL, BOB, "is anyone else seeing 502s?")
    response, _ = await bot.mention("502s from the API gateway", thread_ts=root.ts)
    assert response.status == 200
    card = await bot.card(1)
    assert card.thread_ts == root.ts
    assert (await bot.stored(1)).home_ts == root.ts


async def test_slash_declare_posts_the_card_at_the_top_level(bot: BotUnderTest, slack: LocalSlack) -> None:
    response = await bot.slash("declare Payments API latency p2")
    assert response.status == 200
    assert "Declared INC-1 (SEV2)" in response.json()["text"]
    card = await bot.card(1)
    assert card.thread_ts is None, "top-level card"
    stored = await bot.stored(1)
    assert stored.home_ts == card.ts, "the card's own thread is the incident's thread"
    assert stored.incident.severity is Severity.SEV2
