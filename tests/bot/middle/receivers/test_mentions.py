"""MentionReceiver, handed an ``app_mention`` as Bolt parses it: replies go through the outbox keyed by
the event; an event that could not be recorded is answered so that Slack sends it again."""

from __future__ import annotations

from typing import Any

import pytest

from bot.delivery import outbox_messages as out
from bot.receivers.slack.mentions import MentionReceiver, SlackShouldResend, strip_mentions
from bot.views.listings import RESENT_LATER_TEXT, UNAVAILABLE_TEXT
from domain.lifecycle import Status
from tests.bot.middle.support import ALICE, BOB, WORKSPACE, Wired
from tests.builders import CHANNEL

BOT = "U0FIREBOT"
HOME = "1700000000.000100"  # the incident's thread in these tests


def mentioned(
    text: str, *, ts: str = "1700000001.000100", thread_ts: str | None = None, event_id: str = "Ev001"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body and event Bolt hands the listener for ``@firebreak <text>`` typed by Bob."""
    event = {"type": "app_mention", "user": BOB, "text": f"<@{BOT}> {text}", "ts": ts, "channel": CHANNEL}
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return {"team_id": WORKSPACE, "event_id": event_id, "event": event}, event


async def receive(
    wired: Wired, body: dict[str, Any], event: dict[str, Any], *, bot: str | None = BOT, retry_num: int = 0
) -> None:
    context = {"team_id": WORKSPACE, "bot_user_id": bot}
    await MentionReceiver(wired.service, wired.verbs, wired.replies)(body, event, context, retry_num=retry_num)


async def replies_to_bob(wired: Wired) -> list[str]:
    return [row.payload["text"] for row in await wired.queued() if row.kind == out.EPHEMERAL]


async def test_a_mention_outside_an_incident_thread_declares_on_its_message_s_thread(wired: Wired) -> None:
    await receive(wired, *mentioned("Checkout is down sev2", ts=HOME))

    incident = await wired.incident(1)
    assert (incident.title, incident.reporter, incident.thread_ts) == ("Checkout is down", BOB, HOME)
    assert await wired.queued_kinds() == [out.POST_CARD]  # the card in the thread says it all


async def test_an_event_slack_delivers_twice_is_applied_once(wired: Wired) -> None:
    await receive(wired, *mentioned("Checkout is down", ts=HOME, event_id="EvSame"))
    await receive(wired, *mentioned("Checkout is down", ts=HOME, event_id="EvSame"))

    assert len(await wired.service.open_incidents(WORKSPACE)) == 1
    assert await replies_to_bob(wired) == []


async def test_a_verb_in_an_incident_thread_changes_that_incident(wired: Wired) -> None:
    await wired.declare(thread_ts=HOME)

    await receive(wired, *mentioned("ack", thread_ts=HOME))

    assert (await wired.incident(1)).status is Status.INVESTIGATING
    assert await replies_to_bob(wired) == []  # the audit line in the thread is the answer


async def test_a_read_verb_is_answered_to_its_author_alone_in_the_thread(wired: Wired) -> None:
    await wired.declare(thread_ts=HOME)

    await receive(wired, *mentioned("timeline", thread_ts=HOME))

    [reply] = [row for row in await wired.queued() if row.kind == out.EPHEMERAL]
    assert (reply.payload["user"], reply.payload["thread_ts"]) == (BOB, HOME)
    assert reply.payload["text"].startswith("*Timeline of INC-1*")


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        pytest.param("frobnicate", "⚠️ I don't know the command “frobnicate”", id="not-a-verb"),
        pytest.param("close", "⚠️ INC-1 is still declared; resolve it before closing it.", id="refused"),
    ],
)
async def test_a_mention_that_cannot_be_carried_out_is_explained_to_its_author(
    wired: Wired, text: str, refusal: str
) -> None:
    await wired.declare(thread_ts=HOME)

    await receive(wired, *mentioned(text, thread_ts=HOME))

    [reply] = await replies_to_bob(wired)
    assert reply.startswith(refusal)
    assert await wired.event_types(1) == ["declared"]


async def test_bots_and_message_edits_are_ignored(wired: Wired) -> None:
    body, event = mentioned("Checkout is down")

    await receive(wired, body, event | {"bot_id": "B0OTHER"})
    await receive(wired, body, event | {"subtype": "message_changed"})

    assert await wired.queued() == []


async def test_a_mention_before_the_bot_knows_who_it_is_is_left_for_slack_to_resend(wired: Wired) -> None:
    with pytest.raises(SlackShouldResend):
        await receive(wired, *mentioned("Checkout is down"), bot=None)

    assert await wired.queued() == []


@pytest.mark.parametrize(
    ("retry_num", "told"),
    [
        pytest.param(0, [RESENT_LATER_TEXT], id="first-delivery"),
        pytest.param(1, [], id="a-resend"),
        pytest.param(3, [UNAVAILABLE_TEXT], id="slack-s-last-try"),
    ],
)
async def test_with_the_database_down_slack_is_asked_to_resend_and_the_author_told_once(
    database_down: Wired, retry_num: int, told: list[str]
) -> None:
    with pytest.raises(SlackShouldResend):
        await receive(database_down, *mentioned("Checkout is down"), retry_num=retry_num)

    assert [call["text"] for call in database_down.slack.direct] == told
    assert all(call["user"] == BOB and call["channel"] == CHANNEL for call in database_down.slack.direct)


def test_the_command_is_the_text_without_the_bot_s_mentions() -> None:
    assert strip_mentions(f"<@{BOT}> ack <@{ALICE}> <@{BOT}|firebreak>", BOT) == f"ack <@{ALICE}>"
