"""A quiet thread (SPEC §2): what the thread and the read verbs say is what people need, once —
a note typed elsewhere is posted, an update's promise is the SLA clock's, the timeline says what
each update said and to the second, and ``show`` shows no internals."""

from __future__ import annotations

import re

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from bot.views.formatting import slack_date
from tests.e2e.harness import BOB, BotUnderTest
from tests.e2e.verb_support import Watch, block_texts, declare_by_mention


async def test_a_note_named_from_outside_the_thread_is_posted_in_it(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    watch = await Watch.start(bot, slack, home)

    await bot.mention("note INC-1 db failover done", user=BOB)  # at the channel's top level

    await watch.changed(f"<@{BOB}> added a note: db failover done", card_edited=False)
    assert watch.calls("reactions.add") == [], "nobody in the thread saw it typed"


async def test_a_published_draft_promises_the_next_update_the_sla_clock_keeps(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    home = await declare_by_mention(bot, "checkout is failing sev1")
    drafting = await Watch.start(bot, slack, home)
    await bot.slash("update INC-1", user=BOB)
    await bot.settle()
    draft = drafting.posted()
    assert "*Next update:*" in block_texts(draft.blocks), "the template guesses a time"
    publishing = await Watch.start(bot, slack, home)

    assert (await bot.click(draft, ids.POST_UPDATE, user=BOB)).status == 200
    await bot.settle()

    incident = await bot.incident(1)
    assert incident.clocks.update_due_at is not None
    [published] = [call for call in publishing.thread_posts() if call.args.get("blocks")]
    shown = block_texts(published.args["blocks"])
    assert shown.count("Next update") == 1, shown
    assert f"*Next update:* by {slack_date(incident.clocks.update_due_at)}" in shown


async def test_the_timeline_says_what_each_update_said_to_the_second(bot: BotUnderTest, slack: LocalSlack) -> None:
    await declare_by_mention(bot)
    await bot.slash("update INC-1 Payments are degraded.", user=BOB)
    await bot.slash("update INC-1 Payments are back.", user=BOB)
    await bot.settle()

    timeline = (await bot.slash("timeline INC-1", user=BOB)).json()["text"]

    updates = [line for line in timeline.splitlines() if "posted a stakeholder update" in line]
    assert len(updates) == 2
    assert updates[0].endswith("): Payments are degraded.")
    assert updates[1].endswith("): Payments are back.")
    stamps = re.findall(r"\^\{date_short_pretty\} \{time_secs\}\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC>", timeline)
    assert len(stamps) == len(timeline.splitlines()) - 1, timeline


async def test_show_shows_no_internals(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)

    body = (await bot.slash("show INC-1", user=BOB)).json()

    shown = block_texts(body["blocks"])
    assert f"Thread in <#{home.channel}>" in shown
    assert "version" not in shown
