"""The timeline from Slack (SPEC §10), end to end: signed events in Slack's own shapes over HTTP, the
local Slack serving ``conversations.replies``. A 📌 or a pin puts a message of the incident's thread
on its timeline once, with its own author, time (date and all) and text; unpinning, editing and
deleting it are new events; pins elsewhere are let be; a message Slack cannot give yet is pinned
once Slack can."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.local_slack import LocalSlack, Message
from bot.local_slack.message_events import (
    message_changed_event,
    message_deleted_event,
    message_event,
    pin_event,
    reaction_event,
)
from domain import events as ev
from domain.pinned import PinnedBy
from tests.e2e.card_support import of_type, timeline
from tests.e2e.harness import ALICE, BOB, CAROL, CHANNEL, BotUnderTest
from tests.e2e.verb_support import Home, Watch, declare_by_mention
from tests.waiting import poll

DAVE = "U0DAVE"
PUSHPIN = "pushpin"
_PIN_EVENTS = (
    ev.MessagePinned,
    ev.PinnedMessageFetched,
    ev.MessageUnpinned,
    ev.PinnedMessageEdited,
    ev.PinnedMessageDeleted,
)


def slack_ts(when: datetime) -> str:
    return f"{int(when.timestamp())}.000200"


async def reply(bot: BotUnderTest, home: Home, user: str, text: str, *, ts: str | None = None) -> Message:
    """``user`` replies in the incident's thread; Slack tells the app, as it tells it every message."""
    message = bot.slack.state.post_user_message(home.channel, user, text, thread_ts=home.thread_ts, ts=ts)
    assert (await bot.send_event(message_event(message))).status == 200
    return message


async def send(bot: BotUnderTest, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0) -> None:
    response = await bot.send_event(event, event_id=event_id, retry=retry or None)
    assert response.status == 200, response.text


async def pin_events(bot: BotUnderTest, number: int = 1) -> list[ev.Event]:
    return [event for event in await timeline(bot, number) if isinstance(event, _PIN_EVENTS)]


async def pinned_with_text(bot: BotUnderTest) -> list[ev.Event]:
    """The pin events once one carries the message's text (waits for the fetch job)."""

    async def known() -> list[ev.Event] | None:
        events = await pin_events(bot)
        texts = [e for e in events if isinstance(e, ev.PinnedMessageFetched | ev.MessagePinned) and e.text]
        return events if texts else None

    await poll(known, 15.0, "the pinned message's text on the timeline")
    await bot.settle()
    return await pin_events(bot)


async def test_a_pushpin_pins_the_message_with_its_own_author_time_and_text(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    home = await declare_by_mention(bot)
    # Posted yesterday and an hour more: a day is never dropped (``.seconds`` of 25 h is 1 h).
    posted = datetime.now(UTC).replace(microsecond=200) - timedelta(days=1, hours=1)
    message = await reply(bot, home, BOB, "db primary failed over at 03:12", ts=slack_ts(posted))
    watch = await Watch.start(bot, slack, home)

    await send(bot, reaction_event(slack.state, CAROL, message, PUSHPIN))

    [pinned] = await pinned_with_text(bot)
    assert isinstance(pinned, ev.MessagePinned)
    assert (pinned.author, pinned.text, pinned.actor) == (BOB, "db primary failed over at 03:12", CAROL)
    assert pinned.posted_at == posted, "the message's own time, never the pin's"
    assert pinned.pinned_by is PinnedBy.REACTION
    [fetch] = watch.calls("conversations.replies")
    assert fetch.args["channel"] == home.channel
    assert fetch.args["ts"] == message.ts
    assert str(fetch.args["limit"]) == "1"
    assert str(fetch.args["inclusive"]).lower() in ("1", "true")
    assert watch.methods() == ["conversations.replies"], "a pin is seen in the thread already: no echo, no card edit"

    shown = (await bot.slash("timeline INC-1", user=BOB)).json()["text"]
    day = posted.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert f"<@{CAROL}> pinned 📌 a message by <@{BOB}> posted <!date^{int(posted.timestamp())}^" in shown
    assert f"|{day}>: db primary failed over at 03:12" in shown


async def test_a_message_is_pinned_once_whoever_pins_it_and_however_often(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    message = await reply(bot, home, BOB, "rolled back 4f2a")
    pinned = pin_event(slack.state, CAROL, message)

    await send(bot, pinned, event_id="EvPIN1")
    await send(bot, pinned, event_id="EvPIN1", retry=1)  # Slack's redelivery
    reacted = reaction_event(slack.state, ALICE, message, PUSHPIN)
    await send(bot, reacted, event_id="EvREACT1")
    await send(bot, reacted, event_id="EvREACT1", retry=1)
    await send(bot, reaction_event(slack.state, DAVE, message, PUSHPIN))
    await bot.settle()

    [entry] = await pin_events(bot)
    assert isinstance(entry, ev.MessagePinned)
    fetched = [call for call in slack.calls if call.method == "conversations.replies"]
    assert len(fetched) == 2, "each 📌 asks Slack for the message once, a redelivered one not again"
    assert (entry.author, entry.text, entry.actor, entry.pinned_by) == (BOB, "rolled back 4f2a", CAROL, PinnedBy.PIN)


async def test_unpinning_editing_and_deleting_are_new_events(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    kept = await reply(bot, home, BOB, "error rate 40%")
    taken_back = await reply(bot, home, CAROL, "maybe DNS?")
    await send(bot, pin_event(slack.state, ALICE, kept))
    await send(bot, pin_event(slack.state, ALICE, taken_back))
    not_pinned = await reply(bot, home, DAVE, "looking")

    edited = message_changed_event(slack.state, kept, "error rate 40% (EU only)")
    await send(bot, edited, event_id="EvEDIT1")
    await send(bot, edited, event_id="EvEDIT1", retry=1)
    await send(bot, message_changed_event(slack.state, not_pinned, "looking at the LB"))
    await send(bot, pin_event(slack.state, ALICE, taken_back, added=False))
    await send(bot, message_deleted_event(slack.state, kept))
    await bot.settle()

    events = await pin_events(bot)
    assert [type(e) for e in events] == [
        ev.MessagePinned,
        ev.MessagePinned,
        ev.PinnedMessageEdited,
        ev.MessageUnpinned,
        ev.PinnedMessageDeleted,
    ]
    _, _, edit, unpin, deletion = events
    assert isinstance(edit, ev.PinnedMessageEdited)
    assert (edit.ts, edit.text, edit.actor) == (
        kept.ts,
        "error rate 40% (EU only)",
        BOB,
    )
    assert isinstance(unpin, ev.MessageUnpinned)
    assert (unpin.ts, unpin.actor) == (taken_back.ts, ALICE)
    assert isinstance(deletion, ev.PinnedMessageDeleted)
    assert deletion.ts == kept.ts
    incident = await bot.incident(1)
    assert [(p.ts, p.on_timeline) for p in incident.pinned] == [(kept.ts, False), (taken_back.ts, False)]


async def test_a_removed_pushpin_takes_the_entry_off(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    message = await reply(bot, home, BOB, "cache warmed")
    await send(bot, reaction_event(slack.state, CAROL, message, PUSHPIN))
    await pinned_with_text(bot)

    await send(bot, reaction_event(slack.state, CAROL, message, PUSHPIN, added=False))
    await send(bot, reaction_event(slack.state, CAROL, message, "eyes"))  # any other emoji: nothing
    await bot.settle()

    assert [type(e) for e in await pin_events(bot)] == [ev.MessagePinned, ev.MessageUnpinned]


async def test_a_pin_outside_any_incident_thread_stores_nothing(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    elsewhere = slack.state.post_user_message(CHANNEL, BOB, "lunch?")
    other_thread = slack.state.post_user_message(CHANNEL, BOB, "deploy at 5", thread_ts=elsewhere.ts)
    watch = await Watch.start(bot, slack, home)

    await send(bot, pin_event(slack.state, CAROL, elsewhere))
    await send(bot, reaction_event(slack.state, CAROL, other_thread, PUSHPIN))
    await send(bot, message_changed_event(slack.state, elsewhere, "lunch at 1?"))
    await bot.settle()

    assert await watch.new_events() == []
    assert len(watch.calls("conversations.replies")) == 1, "a 📌 names no thread: Slack is asked which"
    assert watch.thread_posts() == []
    assert watch.card_edits() == []


async def test_a_message_slack_cannot_give_is_pinned_once_it_can(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    root = slack.message(home.channel, home.thread_ts)
    assert root is not None
    message = await reply(bot, home, BOB, "found it: expired cert")
    slack.fail("conversations.replies", status=500, times=4)

    # The thread's root: the incident is known, so the pin is on the timeline at once, text to come.
    await send(bot, reaction_event(slack.state, CAROL, root, PUSHPIN))
    [first] = await pin_events(bot)
    assert isinstance(first, ev.MessagePinned)
    assert first.text is None
    assert first.author == ALICE
    await send(bot, reaction_event(slack.state, CAROL, message, PUSHPIN))

    async def both_fetched() -> bool:
        events = await pin_events(bot)
        return len(of_type(events, ev.PinnedMessageFetched)) == 1 and len(of_type(events, ev.MessagePinned)) == 2

    await poll(both_fetched, 30.0, "both pinned messages' texts once Slack answers again")
    events = await pin_events(bot)
    [fetched] = of_type(events, ev.PinnedMessageFetched)
    assert isinstance(fetched, ev.PinnedMessageFetched)
    assert (fetched.ts, fetched.text) == (root.ts, root.text)
    [_, second] = of_type(events, ev.MessagePinned)
    assert isinstance(second, ev.MessagePinned)
    assert (second.ts, second.text) == (message.ts, "found it: expired cert")
    assert len([c for c in slack.calls if c.method == "conversations.replies" and not c.ok]) >= 4
