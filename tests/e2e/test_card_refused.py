"""A card Slack refuses for good (issue 13, item 5): ``/incident declare`` in a private channel the
bot was never invited to. The declarer is told through the slash command's response_url (which
reaches them where the bot cannot post), the timeline records the refusal, nothing is left
retrying, and once the bot is invited ``repost`` (or any later command) posts the card and the
thread works again."""

from __future__ import annotations

import pytest

from bot.delivery import outbox_messages as kinds
from bot.local_slack import LocalSlack, Message
from domain import events as ev
from domain.lifecycle import Status
from tests.builders import card_field
from tests.e2e.card_support import thread_replies, timeline
from tests.e2e.harness import ALICE, BOB, BotUnderTest
from tests.e2e.test_delivery_faults import card_posts, outbox_rows
from tests.reliability.support import figures
from tests.waiting import poll

PRIVATE = "C0PRIV"


def never_invited(slack: LocalSlack, channel: str = PRIVATE, error: str = "not_in_channel") -> None:
    """Every call about ``channel`` is refused with ``error`` until the faults are cleared."""
    slack.error("*", error, times=None, channel=channel)


async def told(slack: LocalSlack, count: int) -> list[str]:
    """The first ``count`` answers posted to response_urls (the bot's only use of them is a refused
    card's notice: acks travel in the HTTP response)."""

    async def answers() -> list[str] | None:
        posts = slack.response_url_posts()
        return [str(p.body["text"]) for p in posts] if len(posts) >= count else None

    found: list[str] = await poll(answers, 5.0, f"{count} answer(s) through a response_url")
    return found


async def in_thread(slack: LocalSlack, card: Message, text: str) -> bool:
    return any(text in message.text for message in thread_replies(slack, card))


def types(events: list[ev.Event]) -> list[str]:
    return [event.type for event in events]


async def test_a_refused_card_is_explained_recorded_and_posted_once_the_bot_is_invited(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    never_invited(slack)

    declared = await bot.slash("declare checkout is down sev1", channel=PRIVATE)
    assert declared.status == 200
    assert declared.json()["text"].startswith("Declared INC-1 (SEV1)")

    # The declarer hears which incident, where, what Slack said and what to do, in their channel.
    [notice] = await told(slack, 1)
    assert "*INC-1* · checkout is down" in notice
    assert "<#C0PRIV>" in notice
    assert "Slack said `not_in_channel`" in notice
    assert "`/invite @firebreak` in <#C0PRIV>, then run `/incident repost INC-1`" in notice
    [post] = slack.response_url_posts()
    assert post.body["response_type"] == "ephemeral"
    [refused] = [e for e in await timeline(bot, 1) if isinstance(e, ev.CardPostFailed)]
    assert (refused.error, refused.channel_id, refused.actor) == ("not_in_channel", PRIVATE, "system")
    assert (await bot.incident(1)).card_refused == "not_in_channel"

    # A command meanwhile is recorded and tries the card again, which Slack refuses again: its
    # author is told too, and its audit line, with no thread to go to, is settled, not retried.
    noted = await bot.slash("note INC-1 rolled back the deploy", user=BOB, channel=PRIVATE)
    assert noted.json()["text"] == "<@U0BOB> added a note: rolled back the deploy"
    [_, second] = await told(slack, 2)
    assert "Slack said `not_in_channel`" in second
    await bot.settle()
    [line] = await outbox_rows(bot, kinds.THREAD_MESSAGE)
    assert line.failed_at is not None
    assert "no thread" in (line.last_error or "")
    assert line.attempts == 1
    assert all(row.delivered_at or row.failed_at for row in await outbox_rows(bot)), "nothing left retrying"
    assert [c.error for c in card_posts(slack)] == ["not_in_channel", "not_in_channel"], "tried once each"

    slack.clear_faults()  # /invite @firebreak
    reposted = await bot.slash("repost INC-1", channel=PRIVATE)
    assert reposted.json()["text"] == "Posting INC-1's card in <#C0PRIV> again."
    card = await bot.card(1)
    assert (card.channel, card.thread_ts) == (PRIVATE, None), "at the top level, like any slash-declared card"
    assert (await bot.stored(1)).home_ts == card.ts, "and its own thread is the incident's"

    await bot.slash("note INC-1 error rate back to normal", user=BOB, channel=PRIVATE)
    await poll(
        lambda: in_thread(slack, card, "error rate back to normal"), 5.0, "the note's audit line in the card's thread"
    )
    await bot.settle()
    assert types(await timeline(bot, 1)) == [
        "declared",
        "card_post_failed",
        "card_repost_requested",
        "note_added",
        "card_post_failed",
        "card_repost_requested",
        "note_added",
    ]
    assert (await bot.incident(1)).card_refused is None
    assert [c.error for c in card_posts(slack)] == ["not_in_channel", "not_in_channel", None]
    rows = await outbox_rows(bot)
    figures(
        "card_refused_for_good",
        slack_refusals=len([c for c in slack.calls if c.error == "not_in_channel"]),
        people_told=len(slack.response_url_posts()),
        rows_failed=len([r for r in rows if r.failed_at]),
        rows_retried=len([r for r in rows if r.attempts > 1]),
        rows_pending=len([r for r in rows if not (r.delivered_at or r.failed_at)]),
        cards_posted_after_invite=len([c for c in card_posts(slack) if c.ok]),
        timeline=types(await timeline(bot, 1)),
    )


async def test_the_next_command_after_the_invite_posts_the_card_by_itself(bot: BotUnderTest, slack: LocalSlack) -> None:
    never_invited(slack)
    await bot.slash("declare payments are slow sev2", channel=PRIVATE)
    await told(slack, 1)

    slack.clear_faults()
    acked = await bot.slash("ack INC-1", user=BOB, channel=PRIVATE)
    assert acked.json()["text"] == "<@U0BOB> acknowledged INC-1 (status → investigating)"

    card = await bot.card(1)
    assert card_field(card, "Status") == "Investigating", "posted as the incident is now"
    await poll(lambda: in_thread(slack, card, "acknowledged INC-1"), 5.0, "the ack's line in the new thread")
    await bot.settle()
    assert (await bot.incident(1)).status is Status.INVESTIGATING
    assert len(slack.response_url_posts()) == 1, "only the declaration's refusal was told"


async def test_repost_of_a_card_already_in_slack_points_to_it_and_changes_nothing(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    await bot.slash("declare search is down sev3")
    card = await bot.card(1)
    await bot.settle()
    before = await timeline(bot, 1)

    answer = await bot.slash("repost INC-1", user=BOB)

    text = answer.json()["text"]
    assert text.startswith("INC-1's card is already in <#C0INCIDENT> (posted <!date^1700000000^")
    assert text.endswith("so there is nothing to post again.")
    await bot.settle()
    assert await timeline(bot, 1) == before
    assert len(card_posts(slack)) == 1
    assert slack.message(card.channel, card.ts) == card


async def test_repost_while_the_card_is_on_its_way_changes_nothing(bot: BotUnderTest, slack: LocalSlack) -> None:
    fault = slack.hang("chat.postMessage", seconds=2.0, process=True)  # Slack takes its time with the card
    await bot.slash("declare queue backlog sev3")

    async def under_way() -> bool:
        return fault.remaining == 0

    await poll(under_way, 5.0, "the card post under way")

    answer = await bot.slash("repost INC-1", user=BOB)

    assert answer.json()["text"] == "⚠️ Slack has not refused INC-1's card, so there is nothing to post again."
    await bot.card(1, within=5.0)
    await bot.settle(within=5.0)
    assert types(await timeline(bot, 1)) == ["declared"]
    assert len(card_posts(slack)) == 1


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("repost INC-7", "INC-7 doesn't exist in this workspace"),
        ("repost INC-1 now", "`repost` takes no arguments besides the incident"),
    ],
)
async def test_repost_refusals_name_what_is_wrong(
    bot: BotUnderTest, slack: LocalSlack, text: str, complaint: str
) -> None:
    await bot.slash("declare login errors sev2")
    await bot.card(1)

    answer = await bot.slash(text, user=ALICE)

    assert complaint in answer.json()["text"]
    await bot.settle()
    assert types(await timeline(bot, 1)) == ["declared"]
