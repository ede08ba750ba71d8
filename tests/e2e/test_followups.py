"""Follow-ups over HTTP (SPEC §10): ``followup``, ``followups`` and ``followup done`` by
``/incident`` and by ``@firebreak`` in the incident's thread, as the local Slack receives them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.local_slack import LocalSlack
from bot.runtime.clock import MutableClock
from tests.builders import T0
from tests.e2e.harness import ALICE, BOB, BotUnderTest
from tests.e2e.verb_support import Home, Watch, declare_by_mention

# T0 is 2026-11-23 03:00 UTC.
ADDED_LINE = "<@U0ALICE> added follow-up #1 (owner <@U0BOB>, due 2026-11-30): Alert on queue depth"


@pytest.fixture
async def bot(slack: LocalSlack, database_url: str, workspace: str) -> AsyncIterator[BotUnderTest]:
    """The bot on a clock that stands at T0, so due dates mean the same whenever the test runs."""
    started = await BotUnderTest(slack, database_url, workspace, clock=MutableClock(T0)).start()
    yield started
    await started.stop()


async def resolved(bot: BotUnderTest) -> Home:
    home = await declare_by_mention(bot)
    assert (await bot.slash("resolve INC-1 rolled back", user=BOB)).status == 200
    await bot.settle()
    return home


async def test_slash_followup_on_a_resolved_incident_is_numbered_and_said_in_its_thread(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    home = await resolved(bot)
    watch = await Watch.start(bot, slack, home)

    response = await bot.slash("followup INC-1 Alert on queue depth <@U0BOB|bob> due 2026-11-30", user=ALICE)

    assert response.status == 200
    assert response.json() == {"text": ADDED_LINE, "response_type": "ephemeral"}
    incident, _ = await watch.changed(ADDED_LINE, card_edited=False)  # the card does not show follow-ups
    (followup,) = incident.followups
    assert (followup.number, followup.owner, followup.created_by) == (1, BOB, ALICE)
    assert followup.due is not None
    assert followup.due.day.isoformat() == "2026-11-30"


async def test_mention_followup_in_the_thread_is_owned_by_its_author_and_numbered_next(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    home = await resolved(bot)
    await bot.slash("followup INC-1 Alert on queue depth <@U0BOB> due 2026-11-30")
    watch = await Watch.start(bot, slack, home)

    await bot.mention("followup Runbook for the failover", user=BOB, thread_ts=home.thread_ts)

    incident, _ = await watch.changed("<@U0BOB> added follow-up #2: Runbook for the failover", card_edited=False)
    assert [(f.number, f.owner) for f in incident.followups] == [(1, BOB), (2, BOB)]
    assert watch.ephemerals() == []  # the thread line says it all


async def test_a_closed_incident_takes_follow_ups(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await resolved(bot)
    assert (await bot.slash("close INC-1")).status == 200
    watch = await Watch.start(bot, slack, home)

    response = await bot.slash("followup INC-1 Capacity review due 2w")

    assert response.json()["text"].startswith("<@U0ALICE> added follow-up #1 (due <!date^")
    incident, _ = await watch.changed(response.json()["text"], card_edited=False)
    assert incident.followups[0].text == "Capacity review"


async def test_followups_lists_owner_due_date_done_and_overdue_to_the_asker_only(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    home = await resolved(bot)
    await bot.slash("followup INC-1 Alert on queue depth <@U0BOB> due 2026-11-30")
    await bot.slash("followup INC-1 Runbook for the failover")
    await bot.slash("followup INC-1 done 2", user=BOB)
    watch = await Watch.start(bot, slack, home)

    body = await watch.replied_in_ack(await bot.slash("followups INC-1", user=BOB))
    lines = body["text"].splitlines()
    assert lines[0] == "*Follow-ups of INC-1* · checkout is failing — 2 (1 open, 0 overdue)"
    assert lines[1] == "`#1` Alert on queue depth — <@U0BOB> · due 2026-11-30"
    assert lines[2].startswith("`#2` Runbook for the failover — <@U0ALICE> · ✅ done <!date^")
    assert lines[2].endswith(" by <@U0BOB>")
    assert lines[3] == "Mark one done: `/incident followup INC-1 done 1`. Days end at midnight UTC."

    await bot.mention("followups", user=BOB, thread_ts=home.thread_ts)
    reply = await watch.replied_in_thread(BOB)
    assert reply.text == body["text"]


async def test_done_marks_it_once_and_done_again_is_an_answer_not_an_error(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    home = await resolved(bot)
    await bot.slash("followup INC-1 Alert on queue depth")
    watch = await Watch.start(bot, slack, home)

    await bot.mention("followup done 1", user=BOB, thread_ts=home.thread_ts)

    incident, _ = await watch.changed("<@U0BOB> marked follow-up #1 done: Alert on queue depth", card_edited=False)
    assert incident.followups[0].done_by == BOB

    again = await Watch.start(bot, slack, home)
    await bot.mention("followup done 1", user=ALICE, thread_ts=home.thread_ts)
    reply = await again.replied_in_thread(ALICE)
    assert reply.text == "Follow-up #1 of INC-1 is already done; nothing changed."

    by_slash = await Watch.start(bot, slack, home)
    body = await by_slash.replied_in_ack(await bot.slash("followup INC-1 done 1"))
    assert body["text"] == "Follow-up #1 of INC-1 is already done; nothing changed."


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("followup INC-1 done 9", "INC-1 has no follow-up #9; its follow-ups are #1."),
        ("followup INC-1 Fix it due 2026-11-22", "2026-11-22 is in the past (today is 2026-11-23 in UTC)"),
        ("followup INC-1 Fix it due someday", "“someday” is not a due date: give a date like 2026-12-20"),
        ("followup INC-1 Fix it @bob", "“@bob” is not a person's Slack mention"),
        ("followup INC-1 done", "Which follow-up is done? Give its number"),
    ],
)
async def test_bad_followups_are_refused_clearly_and_change_nothing(
    bot: BotUnderTest, slack: LocalSlack, text: str, words: str
) -> None:
    home = await resolved(bot)
    await bot.slash("followup INC-1 Alert on queue depth")
    watch = await Watch.start(bot, slack, home)

    refusal = await watch.refused_in_ack(await bot.slash(text))

    assert words in refusal


async def test_help_shows_the_follow_up_verbs(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    watch = await Watch.start(bot, slack, home)
    text = str((await watch.replied_in_ack(await bot.slash("help")))["text"])
    assert "`/incident followup [INC-42] &lt;text&gt; [@owner] [due &lt;date | duration&gt;] | done &lt;n&gt;`" in text
    assert "`/incident followups [INC-42]` — the incident's follow-ups, with owners and due dates" in text


async def test_after_a_resolve_the_channels_commands_find_the_resolved_incident(bot: BotUnderTest) -> None:
    """Follow-ups, the list of them, the report, show and the timeline are asked for after the
    resolve: without a number, the channel's only resolved incident is the one meant."""
    await resolved(bot)

    added = await bot.slash("followup Alert on queue depth", user=ALICE)
    listed = await bot.slash("followups", user=BOB)
    shown = await bot.slash("show", user=BOB)

    assert added.json()["text"].startswith("<@U0ALICE> added follow-up #1"), added.text
    assert "Alert on queue depth" in listed.json()["text"]
    assert "INC-1" in shown.json()["text"]
    assert [f.text for f in (await bot.incident(1)).followups] == ["Alert on queue depth"]


async def test_an_open_incident_is_still_the_one_meant_when_there_is_one(bot: BotUnderTest) -> None:
    await resolved(bot)
    await bot.slash("declare search is slow sev3", user=BOB)

    added = await bot.slash("followup Check the search index", user=ALICE)

    assert added.json()["text"].startswith("<@U0ALICE> added follow-up #1"), added.text
    assert [f.text for f in (await bot.incident(2)).followups] == ["Check the search index"]
    assert (await bot.incident(1)).followups == ()
