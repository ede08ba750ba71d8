"""Refused mentions (SPEC §3): unknown verbs, unknown incidents, bad values, missing arguments and
invalid transitions each get their own ephemeral error, to the author, in the thread — and nothing
changes: not the incident, not its timeline, not the card, not the thread. Mentions from bots are
ignored altogether."""

from __future__ import annotations

import pytest

from bot.local_slack import LocalSlack
from tests.e2e.harness import BOB, CHANNEL, BotUnderTest
from tests.e2e.verb_support import Home, Watch, declare_by_mention, outbox_kinds

# (what the incident went through first, what Bob then types, words his error must contain)
REFUSALS: list[tuple[list[str], str, list[str]]] = [
    ([], "bogus stuff", ["I don't know the command “bogus”", "Usage:", "`@firebreak ack`"]),
    ([], "ackk", ["I don't know the command “ackk”", "Did you mean `ack`?"]),
    ([], "ack INC-99", ["INC-99 doesn't exist in this workspace"]),
    ([], "show #99", ["INC-99 doesn't exist in this workspace"]),
    ([], "sev 7", ["“7” is not a severity", "SEV1 (critical)", "`@firebreak sev"]),
    ([], "sev7", ["“sev7” is not a severity"]),
    ([], "sev <!here>", ["“&lt;!here&gt;” is not a severity"]),
    ([], "sev", ["Which severity?", "`@firebreak sev 2`"]),
    ([], "note", ["What should the note say?", "`@firebreak note"]),
    ([], "note   ", ["What should the note say?"]),
    ([], "assign", ["Who should lead?", "`me`"]),
    ([], "lead bob", ["“bob” is not a Slack mention"]),
    ([], "assign <@U0BOB> <@U0CAROL>", ["one commander"]),
    ([], "status", ["Which status?", "investigating, identified, monitoring, resolved, closed"]),
    ([], "status fixed", ["“fixed” is not a status"]),
    ([], "snooze", ["Snooze for how long?"]),
    ([], "snooze 5 parsecs", ["is not a duration"]),
    ([], "snooze 3d", ["You can snooze for at most 1 d"]),
    ([], "list everything", ["`list` takes only `all`"]),
    (
        [],
        "status closed",
        ["can't move from declared to closed", "allowed next: investigating, identified, monitoring"],
    ),
    ([], "close", ["INC-1 is still declared", "resolve it before closing it"]),
    ([], "reopen flaky", ["only a resolved incident can be reopened"]),
    (["ack"], "ack", ["INC-1 is already acknowledged"]),
    (["sev 2"], "sev p2", ["INC-1 is already SEV2"]),
    (["status monitoring"], "status identified", ["can't move from monitoring to identified", "investigating"]),
    (["resolve"], "status identified", ["INC-1 is resolved", "reopen or close"]),
    (["resolve"], "sev 1", ["INC-1 is resolved", "reopen or close"]),
    (["resolve", "close"], "reopen", ["INC-1 is closed; nothing more can change"]),
    (["resolve", "close"], "note too late", ["INC-1 is closed"]),
]


async def mention_in(bot: BotUnderTest, home: Home, text: str, user: str = BOB) -> None:
    response, _ = await bot.mention(text, user=user, channel=home.channel, thread_ts=home.thread_ts)
    assert response.status == 200


@pytest.mark.parametrize(("setup", "text", "words"), REFUSALS, ids=[r[1] + "/" + ",".join(r[0]) for r in REFUSALS])
async def test_a_refused_mention_explains_itself_and_changes_nothing(
    bot: BotUnderTest, slack: LocalSlack, setup: list[str], text: str, words: list[str]
) -> None:
    home = await declare_by_mention(bot)
    for earlier in setup:
        await mention_in(bot, home, earlier)
    watch = await Watch.start(bot, slack, home)

    await mention_in(bot, home, text)

    error = await watch.refused_in_thread(BOB)
    for expected in words:
        assert expected in error, f"{expected!r} not in {error!r}"


async def test_naming_another_incident_in_a_thread_is_refused(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    other = await declare_by_mention(bot, "search is slow", number=2)
    watch = await Watch.start(bot, slack, home)
    other_before = await bot.incident(2)

    await mention_in(bot, home, "ack INC-2")

    error = await watch.refused_in_thread(BOB)
    assert "This thread is INC-1, but you named INC-2" in error
    assert await bot.incident(2) == other_before
    assert other.card_ts != home.card_ts


async def test_a_verb_outside_any_thread_with_no_open_incident_is_refused(bot: BotUnderTest, slack: LocalSlack) -> None:
    response, _ = await bot.mention("ack", user=BOB, channel="C0QUIET")
    assert response.status == 200
    await bot.settle()

    [reply] = slack.ephemerals(BOB)
    assert (reply.channel, reply.thread_ts) == ("C0QUIET", None)
    assert "There is no open incident in this channel" in reply.text
    assert [c.method for c in slack.calls if c.method != "auth.test"] == ["chat.postEphemeral"]
    assert await outbox_kinds(bot) == ["slack.ephemeral"]


async def test_a_verb_outside_any_thread_with_several_open_incidents_asks_which(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    home = await declare_by_mention(bot)
    await declare_by_mention(bot, "search is slow", number=2)
    watch = await Watch.start(bot, slack, home)

    await bot.mention("ack", user=BOB, channel=CHANNEL)

    await watch.unchanged()
    [reply] = watch.ephemerals(BOB)
    assert "This channel has 2 open incidents (INC-1, INC-2)" in reply.text
    assert (await bot.incident(2)).acknowledged_at is None


@pytest.mark.parametrize("in_thread", [True, False])
async def test_mentions_from_bots_are_ignored(bot: BotUnderTest, slack: LocalSlack, in_thread: bool) -> None:
    home = await declare_by_mention(bot)
    watch = await Watch.start(bot, slack, home)
    text = "<@U0FIREBOT> sev 1" if in_thread else "<@U0FIREBOT> another outage sev1"
    message = slack.state.post_message(CHANNEL, text=text, thread_ts=home.thread_ts if in_thread else None)
    event = {
        "type": "app_mention",
        "user": "U0OTHERBOT",
        "bot_id": "B0OTHERBOT",
        "text": text,
        "ts": message.ts,
        "channel": CHANNEL,
    }
    if in_thread:
        event["thread_ts"] = home.thread_ts

    response = await bot.send_event(event)

    assert response.status == 200
    await watch.unchanged()
    assert await watch.new_outbox() == []
    assert watch.methods() == [], "not even an ephemeral: answering a bot could start a loop"
    with pytest.raises(AssertionError, match="INC-2 was not declared"):
        await bot.stored(2)
