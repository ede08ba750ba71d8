"""The verbs that only show something — ``list``, ``list all``, ``show``, ``timeline``, ``help`` —
answer only the person who asked and change nothing: an ephemeral in the thread for a mention,
the ack itself for ``/incident`` (SPEC §3)."""

from __future__ import annotations

import pytest

from bot.commands.grammar import Verb
from bot.local_slack import LocalSlack
from tests.e2e.harness import BOB, BotUnderTest
from tests.e2e.verb_support import Home, Watch, block_texts, declare_by_mention, declare_by_slash


async def two_incidents(bot: BotUnderTest, slack: LocalSlack) -> tuple[Home, Home]:
    """INC-1 open (declared by mention, with a note) and INC-2 resolved (declared by slash)."""
    first = await declare_by_mention(bot, "checkout is failing sev3")
    second = await declare_by_slash(bot, "declare payments API latency sev1", number=2)
    await bot.mention("note rolled back the deploy", user=BOB, thread_ts=first.thread_ts)
    assert (
        (await bot.slash("resolve INC-2 failed over to eu-west", user=BOB))
        .json()["text"]
        .endswith("resolved INC-2: failed over to eu-west")
    )
    await bot.settle()
    return first, second


# What each read verb answers with, as words that must (and must not) appear in the answer.
Expected = tuple[list[str], list[str]]
LIST_OPEN: Expected = (["*Open incidents* (1)", "*INC-1* · checkout is failing", "declared"], ["INC-2"])
LIST_ALL: Expected = (["*Recent incidents* (2)", "*INC-1* · checkout is failing", "*INC-2* · payments API latency"], [])
TIMELINE: Expected = (
    [
        "*Timeline of INC-1* · checkout is failing · 2 events",
        "<@U0ALICE> declared INC-1 (SEV3): checkout is failing",
        "<@U0BOB> added a note: rolled back the deploy",
    ],
    ["INC-2"],
)


def assert_words(text: str, expected: Expected) -> None:
    present, absent = expected
    for words in present:
        assert words in text, f"{words!r} not in {text!r}"
    for words in absent:
        assert words not in text, f"{words!r} in {text!r}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("list", LIST_OPEN), ("list open", LIST_OPEN), ("list all", LIST_ALL), ("timeline", TIMELINE)],
)
async def test_mention_read_verbs_answer_in_the_thread_only_to_the_asker(
    bot: BotUnderTest, slack: LocalSlack, text: str, expected: Expected
) -> None:
    home, _ = await two_incidents(bot, slack)
    watch = await Watch.start(bot, slack, home)

    await bot.mention(text, user=BOB, thread_ts=home.thread_ts)

    reply = await watch.replied_in_thread(BOB)
    assert_words(reply.text, expected)


async def test_mention_show_answers_with_the_incident_state(bot: BotUnderTest, slack: LocalSlack) -> None:
    home, _ = await two_incidents(bot, slack)
    watch = await Watch.start(bot, slack, home)

    await bot.mention("show", user=BOB, thread_ts=home.thread_ts)

    reply = await watch.replied_in_thread(BOB)
    assert reply.text == "SEV3 INC-1 · checkout is failing (declared)"
    shown = block_texts(reply.blocks)
    for words in ("🟡 SEV3 · INC-1 · checkout is failing", "*Severity*\nSEV3 · moderate", "*Status*\nDeclared"):
        assert words in shown
    assert "*Reporter*\n<@U0ALICE>" in shown
    assert "*Acknowledged:* not yet" in shown


def assert_placeholders_escaped(text: str, *placeholders: str) -> None:
    """Slack takes a bare ``<title>`` for a token and shows nothing: placeholders go as entities."""
    assert "<" not in text, text
    assert ">" not in text, text
    for placeholder in placeholders:
        assert f"&lt;{placeholder}&gt;" in text, placeholder


@pytest.mark.parametrize("typed", ["help", ""])
async def test_mention_help_lists_every_verb_as_a_mention(bot: BotUnderTest, slack: LocalSlack, typed: str) -> None:
    home = await declare_by_mention(bot)
    watch = await Watch.start(bot, slack, home)

    await bot.mention(typed, user=BOB, thread_ts=home.thread_ts)

    reply = await watch.replied_in_thread(BOB)
    for verb in Verb:
        assert f"`@firebreak {verb.value}" in reply.text
    assert "/incident" not in reply.text
    for alias in ("acknowledge", "severity", "lead", "commander", "new", "open"):
        assert f"`{alias}`" in reply.text
    assert_placeholders_escaped(reply.text, "command", "title", "1-4", "text")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("list", LIST_OPEN),
        ("list all", LIST_ALL),
        ("timeline INC-1", TIMELINE),
        ("timeline #1", TIMELINE),
        ("timeline 1", TIMELINE),
        ("timeline", TIMELINE),  # INC-1 is the channel's only open incident
    ],
)
async def test_slash_read_verbs_answer_in_the_ack(
    bot: BotUnderTest, slack: LocalSlack, text: str, expected: Expected
) -> None:
    home, _ = await two_incidents(bot, slack)
    watch = await Watch.start(bot, slack, home)

    body = await watch.replied_in_ack(await bot.slash(text, user=BOB))

    assert_words(body["text"], expected)


@pytest.mark.parametrize("text", ["show INC-2", "show 2", "show #2"])
async def test_slash_show_names_any_incident_even_a_resolved_one(
    bot: BotUnderTest, slack: LocalSlack, text: str
) -> None:
    home, _ = await two_incidents(bot, slack)
    watch = await Watch.start(bot, slack, home)

    body = await watch.replied_in_ack(await bot.slash(text, user=BOB))

    assert body["text"] == "SEV1 INC-2 · payments API latency (resolved)"
    shown = block_texts(body["blocks"])
    assert "*Status*\nResolved" in shown
    assert "failed over to eu-west" in shown


async def test_slash_show_without_a_reference_uses_the_only_open_incident(bot: BotUnderTest, slack: LocalSlack) -> None:
    home, _ = await two_incidents(bot, slack)
    watch = await Watch.start(bot, slack, home)

    body = await watch.replied_in_ack(await bot.slash("show", user=BOB))

    assert body["text"] == "SEV3 INC-1 · checkout is failing (declared)"


async def test_slash_help_lists_every_verb_as_a_slash_command(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    watch = await Watch.start(bot, slack, home)

    body = await watch.replied_in_ack(await bot.slash("help", user=BOB))

    for verb in Verb:
        assert f"`/incident {verb.value}" in body["text"]
    assert "`INC-42`, `#42` or `42`" in body["text"]
    assert_placeholders_escaped(body["text"], "command", "title", "1-4", "text")
