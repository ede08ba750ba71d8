"""The postmortem draft and the catch-up end to end (SPEC §10): the bot with an Anthropic key (the
Messages API intercepted with httpx2 + respx), the local Slack and the real Postgres. Both are asked
for and acknowledged at once; the draft follows in the thread, each sentence citing the timeline,
for a person to review; the catch-up reaches only whoever asked."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from domain import events as ev
from domain.postmortem import PostmortemField
from tests.bot.ai import incident_data, message, tool_use
from tests.builders import controls
from tests.e2e.ai_support import FakeClaude, history
from tests.e2e.card_support import declare, thread_replies
from tests.e2e.harness import BOB, CAROL, BotUnderTest
from tests.e2e.verb_support import block_texts, declare_by_mention

SUMMARY = "Card payments time out at the gateway; the cause is not known yet."
CATCH_UP = {
    "summary": SUMMARY,
    "next_steps": ["Check the gateway's error rate <!here>", "Roll back deploy 1234 if it correlates"],
}


@pytest.fixture
async def ai_bot(
    slack: LocalSlack, database_url: str, workspace: str, claude: FakeClaude
) -> AsyncIterator[BotUnderTest]:
    """The bot with a key: the ``claude`` fixture answers for the Messages API."""
    started = await BotUnderTest(slack, database_url, workspace, anthropic_api_key="sk-ant-test").start()
    yield started
    await started.stop()


def said(sentence: str, *cites: int) -> dict[str, Any]:
    return {"sentence": sentence, "cites": list(cites)}


async def test_catch_up_by_slash_reaches_only_its_asker(
    ai_bot: BotUnderTest, slack: LocalSlack, claude: FakeClaude
) -> None:
    card = await declare(ai_bot, "declare Checkout is failing sev2")
    await ai_bot.slash("note INC-1 card payments time out at the gateway", user=BOB)
    await ai_bot.settle()
    claude.body = message(tool_use(CATCH_UP, name="catch_up"))

    ack = await ai_bot.slash("catchup INC-1", user=CAROL)
    await ai_bot.settle()

    assert ack.json()["text"] == "Catching you up on INC-1; only you will see it."
    [told] = [post for post in slack.response_url_posts() if "Catch-up" in str(post.body.get("text"))]
    assert told.body["response_type"] == "ephemeral"
    text = str(told.body["text"])
    assert text.startswith("*Catch-up on INC-1* · _AI summary (claude-haiku-4-5), grounded in the timeline_")
    assert SUMMARY in text
    assert "• Check the gateway's error rate\n• Roll back deploy 1234 if it correlates" in text, "no ping"
    assert not any("Catch-up" in (reply.text or "") for reply in thread_replies(slack, card)), "nobody else sees it"
    [asked] = claude.asked
    assert asked["tool_choice"] == {"type": "tool", "name": "catch_up"}
    notes = [e["detail"] for e in incident_data(claude.user_text())["timeline"] if e["event"] == "note_added"]
    assert notes == ["note from the team: card payments time out at the gateway"]


async def test_catch_up_in_the_thread_without_ai_is_the_template_for_its_asker(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    bot = await BotUnderTest(slack, database_url, workspace).start()
    try:
        home = await declare_by_mention(bot, "search &amp; autocomplete are slow sev3")
        await bot.slash("note INC-1 restarted the search pods.\nLatency is back to normal.")
        await bot.mention("catchup", user=CAROL, thread_ts=home.thread_ts)
        await bot.settle()
    finally:
        await bot.stop()
    told = [e for e in slack.ephemerals(CAROL) if e.text.startswith("*Catch-up on INC-1*")]
    assert [e.thread_ts for e in told] == [home.thread_ts]
    assert "_From the incident's facts (not AI)_" in told[0].text
    assert "search &amp; autocomplete are slow · SEV3 · declared." in told[0].text, "escaped once, as Slack shows it"
    assert "• Acknowledge it (`ack`)" in told[0].text
    [noted] = [line for line in told[0].text.splitlines() if "restarted the search pods" in line]
    assert re.fullmatch(
        r"• \d\d:\d\d:\d\d note from the team: restarted the search pods\. Latency is back to normal\.", noted
    )
    assert not slack.ephemerals(BOB)


async def test_postmortem_draft_keeps_only_cited_sentences_for_review(
    ai_bot: BotUnderTest, slack: LocalSlack, claude: FakeClaude
) -> None:
    card = await declare(ai_bot, "declare Checkout is failing sev2")
    await ai_bot.slash("note INC-1 deploy 1234 made the gateway time out", user=BOB)  # 2
    await ai_bot.slash("resolve INC-1 rolled back deploy 1234", user=BOB)  # 3 (status) and 4
    await ai_bot.settle()
    answer: dict[str, list[dict[str, Any]]] = {field.value: [] for field in PostmortemField}
    answer["summary"] = [
        said("Deploy 1234 made the payment gateway time out.", 2),
        said("Forty thousand customers were affected."),
        said("The database also failed.", 77),
    ]
    answer["corrective_actions"] = [said("The deploy was rolled back.", 2, 4)]
    claude.body = message(tool_use(answer, name="postmortem_draft"))

    ack = await ai_bot.slash("postmortem INC-1 draft", user=BOB)
    await ai_bot.settle()

    assert ack.json()["text"].startswith("Drafting the postmortem of INC-1 from its timeline")
    [drafted] = [event for _, event in await history(ai_bot) if isinstance(event, ev.PostmortemDrafted)]
    assert (drafted.ai_written, drafted.model, drafted.dropped, drafted.actor) == (True, "claude-haiku-4-5", 2, BOB)
    [shown] = [m for m in thread_replies(slack, card) if "Postmortem draft for INC-1" in block_texts(m.blocks)]
    texts = block_texts(shown.blocks)
    assert "Deploy 1234 made the payment gateway time out. [#2]" in texts
    assert "The deploy was rolled back. [#2][#4]" in texts
    assert "Forty thousand" not in texts
    assert "database" not in texts
    assert "2 sentences without a valid citation left out." in texts
    assert controls(shown) == [ids.POSTMORTEM], "Review and save opens the postmortem form"
    assert (await ai_bot.incident(1)).postmortem.is_empty, "a draft is not the postmortem until a person saves it"


async def test_no_postmortem_draft_while_open_and_the_template_when_the_ai_answers_wrong(
    ai_bot: BotUnderTest, slack: LocalSlack, claude: FakeClaude
) -> None:
    card = await declare(ai_bot, "declare Checkout is failing sev2")

    refused = await ai_bot.slash("postmortem INC-1 draft", user=BOB)
    await ai_bot.settle()

    assert "INC-1 is still declared: its postmortem is written once it is resolved." in refused.json()["text"]
    assert claude.asked == []
    await ai_bot.slash("resolve INC-1 rolled back", user=BOB)
    await ai_bot.slash("postmortem INC-1 draft", user=BOB)  # the model answers with the wrong tool
    await ai_bot.settle()
    assert len(claude.asked) == 1
    [drafted] = [event for _, event in await history(ai_bot) if isinstance(event, ev.PostmortemDrafted)]
    assert (drafted.ai_written, drafted.model) == (False, None)
    [shown] = [m for m in thread_replies(slack, card) if "Postmortem draft for INC-1" in block_texts(m.blocks)]
    assert "Template of the incident's facts, not AI-written" in block_texts(shown.blocks)
    assert "Resolved with: rolled back [#" in block_texts(shown.blocks)
