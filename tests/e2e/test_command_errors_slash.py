"""Refused ``/incident`` commands (SPEC §3): the ack itself carries a specific, ephemeral error
with the right usage, and nothing else happens — no change to the incident or its timeline, no
outbox row, no Slack call."""

from __future__ import annotations

import pytest

from bot.local_slack import LocalSlack
from tests.e2e.harness import BOB, BotUnderTest
from tests.e2e.verb_support import Watch, declare_by_mention, declare_by_slash

# (commands run first, the refused command, words its error must contain)
REFUSALS: list[tuple[list[str], str, list[str]]] = [
    ([], "bogus stuff", ["I don't know the command “bogus”", "the commands are declare, ack, sev,", "`/incident ack"]),
    ([], "snoze 5m", ["Did you mean `snooze`?"]),
    ([], "ack INC-99", ["INC-99 doesn't exist in this workspace", "`/incident list`"]),
    ([], "resolve #99 fixed", ["INC-99 doesn't exist in this workspace"]),
    ([], "ack INC-0", ["“INC-0” is not an incident number"]),
    ([], "sev INC-1 7", ["“7” is not a severity", "SEV1 (critical)", "`/incident sev [INC-42]"]),
    ([], "sev 7", ["“7” is not a severity"]),
    ([], "sev INC-1", ["Which severity?", "`/incident sev 2`"]),
    ([], "sev", ["Which severity?"]),
    ([], "note INC-1", ["What should the note say?", "`/incident note"]),
    ([], "note", ["What should the note say?"]),
    ([], "assign INC-1", ["Who should lead?", "`me`"]),
    ([], "assign 1 @bob", ["“@bob” is not a Slack mention"]),
    ([], "assign INC-1 <#C0GENERAL|general>", ["“&lt;#C0GENERAL|general&gt;” is not a Slack mention"]),
    ([], "assign INC-1 <!channel>", ["not a group or channel"]),
    ([], "status INC-1", ["Which status?"]),
    ([], "snooze 1 forever", ["“forever” is not a duration"]),
    ([], "ack INC-1 now", ["`ack` takes no arguments besides the incident"]),
    ([], "status INC-1 closed", ["can't move from declared to closed", "allowed next: investigating, identified"]),
    ([], "close INC-1", ["INC-1 is still declared", "resolve it before closing it"]),
    (["ack INC-1"], "ack INC-1", ["INC-1 is already acknowledged"]),
    (["resolve INC-1"], "status INC-1 identified", ["INC-1 is resolved", "reopen or close"]),
    (["resolve INC-1"], "assign INC-1 me", ["INC-1 is resolved", "reopen or close"]),
    (["resolve INC-1", "close INC-1"], "reopen INC-1", ["INC-1 is closed; nothing more can change"]),
    (["resolve INC-1", "close INC-1"], "update INC-1", ["INC-1 is closed"]),
]


@pytest.mark.parametrize(("setup", "text", "words"), REFUSALS, ids=[r[1] + "/" + ",".join(r[0]) for r in REFUSALS])
async def test_a_refused_slash_command_explains_itself_in_the_ack(
    bot: BotUnderTest, slack: LocalSlack, setup: list[str], text: str, words: list[str]
) -> None:
    home = await declare_by_slash(bot)
    for earlier in setup:
        assert not (await bot.slash(earlier, user=BOB)).json()["text"].startswith("⚠️")
    watch = await Watch.start(bot, slack, home)

    error = await watch.refused_in_ack(await bot.slash(text, user=BOB))

    for expected in words:
        assert expected in error, f"{expected!r} not in {error!r}"


@pytest.mark.parametrize("text", ["ack", "sev 1", "note db failover done", "update", "show", "timeline"])
async def test_without_a_reference_several_open_incidents_are_listed(
    bot: BotUnderTest, slack: LocalSlack, text: str
) -> None:
    home = await declare_by_mention(bot)
    await declare_by_slash(bot, "declare search is slow", number=2)
    watch = await Watch.start(bot, slack, home)
    second = await bot.incident(2)

    error = await watch.refused_in_ack(await bot.slash(text, user=BOB))

    assert "This channel has 2 open incidents (INC-1, INC-2): say which one" in error
    assert await bot.incident(2) == second


@pytest.mark.parametrize("text", ["ack", "resolve fixed", "show", "update"])
async def test_without_a_reference_a_channel_with_no_open_incident_is_refused(
    bot: BotUnderTest, slack: LocalSlack, text: str
) -> None:
    home = await declare_by_mention(bot)
    watch = await Watch.start(bot, slack, home)

    error = await watch.refused_in_ack(await bot.slash(text, user=BOB, channel="C0QUIET"))

    assert "There is no open incident in this channel" in error
    assert "`INC-42`" in error, "it says how to name one"
