"""``python -m bot`` in Socket Mode (SLACK_APP_TOKEN set), against the local Slack's Socket Mode:
the bot opens its connection with the app-level token, and every kind of request arrives as an
envelope on the socket. Each is stored once and acked with its ``envelope_id``; an event whose ack
was lost with its connection is sent again on the next one, and one whose ack came too late is sent
again on the same one: either is applied once."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.local_slack import LocalSlack, Message, View
from bot.local_slack.payloads import click, form_fields, mention, slash_form, view_submission
from bot.local_slack.socket_mode import EVENTS_API, INTERACTIVE, SLASH_COMMANDS, Envelope
from bot.views import action_ids as ids
from storage.database import create_engine, database_config
from storage.schema import incident_events, incidents
from tests.builders import controls
from tests.e2e.bot_process import BotProcess, bot_environment
from tests.e2e.harness import ALICE, BOB, CHANNEL


@pytest.fixture
async def socket_bot(slack: LocalSlack, database_url: str) -> AsyncIterator[BotProcess]:
    assert slack.app_token is not None
    process = BotProcess(bot_environment(slack.token, slack.base_url, database_url, SLACK_APP_TOKEN=slack.app_token))
    async with process.running():
        await slack.wait_for(lambda s: s.socket_mode.connected, 15, what="the bot's Socket Mode connection")
        yield process
        assert await process.signal(signal.SIGTERM) == 0, process.output()


async def stored_events(database_url: str) -> dict[int, list[str]]:
    """Each incident's number and the types of its stored events, in order."""
    engine = create_engine(database_config(database_url))
    query = (
        select(incidents.c.number, incident_events.c.type)
        .join(incident_events, incident_events.c.incident_id == incidents.c.id)
        .order_by(incidents.c.number, incident_events.c.seq)
    )
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
    finally:
        await engine.dispose()
    events: dict[int, list[str]] = {}
    for number, kind in rows:
        events.setdefault(number, []).append(kind)
    return events


def cards(slack: LocalSlack) -> list[Message]:
    """The incident cards in the channel: the bot's messages with controls."""
    return [m for m in slack.messages(CHANNEL) if m.user == slack.state.bot_user_id and controls(m)]


def card_posts(slack: LocalSlack) -> int:
    """How many cards the bot posted (an edit is not a post)."""
    return sum(1 for c in slack.calls_to("chat.postMessage") if c.ok and "(declared)" in str(c.args.get("text")))


async def acked(envelope: Envelope) -> dict[str, Any]:
    ack = await envelope.ack(timeout=10)
    assert ack["envelope_id"] == envelope.envelope_id
    return ack


async def send_mention(slack: LocalSlack) -> tuple[Envelope, dict[str, Any]]:
    """``@firebreak checkout is failing sev2`` as an events_api envelope; and its payload."""
    payload, _ = mention(slack.state, user=ALICE, channel=CHANNEL, text="checkout is failing sev2")
    return await slack.socket_mode.send(EVENTS_API, payload), payload


def slash(slack: LocalSlack, user: str, text: str) -> dict[str, str]:
    """``/incident <text>`` as a slash_commands envelope's payload."""
    return form_fields(slash_form(slack.state, user, CHANNEL, text, response_url=slack.response_url(f"slash-{user}")))


async def declared_once(slack: LocalSlack, database_url: str) -> None:
    """INC-1 and nothing else is stored, declared once, and its card posted once."""
    await slack.wait_for(cards, what="INC-1's card")
    assert await stored_events(database_url) == {1: ["declared"]}
    assert card_posts(slack) == 1


def declare_values(view: View, title: str) -> dict[str, Any]:
    [block] = [b for b in view.payload["blocks"] if b["block_id"] == ids.DECLARE_SEVERITY_BLOCK]
    [sev2] = [o for o in block["element"]["options"] if o["value"] == "SEV2"]
    return {
        ids.DECLARE_TITLE_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": title}},
        ids.DECLARE_SEVERITY_BLOCK: {ids.INPUT: {"type": "static_select", "selected_option": sev2}},
        ids.DECLARE_DESCRIPTION_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": None}},
        ids.DECLARE_SERVICE_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": None}},
    }


async def test_the_bot_connects_with_the_app_token(socket_bot: BotProcess, slack: LocalSlack) -> None:
    [opened] = slack.calls_to("apps.connections.open")
    assert opened.ok
    assert opened.response["url"].startswith("ws://")
    assert slack.socket_mode.connections_opened == 1
    assert "connected to Slack in Socket Mode" in [e["message"] for e in socket_bot.json_logs()]


async def test_a_mention_a_slash_command_a_click_and_a_submission_are_each_stored_once_and_acked(
    socket_bot: BotProcess, slack: LocalSlack, database_url: str
) -> None:
    hub = slack.socket_mode

    mentioned, _ = await send_mention(slack)
    assert await acked(mentioned) == {"envelope_id": mentioned.envelope_id}, "an event's ack carries nothing"
    [card] = await slack.wait_for(cards, what="INC-1's card")

    declared = await acked(await hub.send(SLASH_COMMANDS, slash(slack, BOB, "declare sev3 Search is slow")))
    assert "Declared INC-2 (SEV3)" in declared["payload"]["text"], "the reply travels in the ack"
    await slack.wait_for(lambda s: len(cards(s)) == 2, what="INC-2's card")

    clicked = await hub.send(INTERACTIVE, click(slack.state, BOB, card, ids.ACK, response_url=slack.response_url("c")))
    assert await acked(clicked) == {"envelope_id": clicked.envelope_id}
    await slack.wait_for(lambda s: s.calls_to("chat.update"), what="INC-1's card edited after the ack")

    opening = await hub.send(SLASH_COMMANDS, slash(slack, ALICE, ""))
    assert await acked(opening) == {"envelope_id": opening.envelope_id}, "the modal is the answer"
    [view] = await slack.wait_for(lambda s: s.views(), what="the declare modal")
    untitled = view_submission(
        slack.state, ALICE, slack.state.view_dict(view), declare_values(view, ""), view_id=view.id
    )
    refused = await acked(await hub.send(INTERACTIVE, untitled))
    assert refused["payload"]["response_action"] == "errors", "the modal's answer travels in the ack"
    assert list(refused["payload"]["errors"]) == [ids.DECLARE_TITLE_BLOCK]
    submission = view_submission(
        slack.state, ALICE, slack.state.view_dict(view), declare_values(view, "Payments slow"), view_id=view.id
    )
    submitted = await hub.send(INTERACTIVE, submission)
    assert submitted.accepts_response_payload
    assert await acked(submitted) == {"envelope_id": submitted.envelope_id}, "an empty ack closes the modal"
    await slack.wait_for(lambda s: len(cards(s)) == 3, what="INC-3's card")

    events = await stored_events(database_url)
    assert {number: types[0] for number, types in events.items()} == dict.fromkeys((1, 2, 3), "declared")
    assert Counter(events[1])["acknowledged"] == 1
    assert [Counter(types)["declared"] for types in events.values()] == [1, 1, 1]
    assert card_posts(slack) == 3
    assert [e.attempts for e in (mentioned, clicked, opening, submitted)] == [1, 1, 1, 1]


async def test_an_event_whose_ack_was_lost_is_sent_again_on_the_new_connection_and_applied_once(
    socket_bot: BotProcess, slack: LocalSlack, database_url: str
) -> None:
    slack.socket_mode.lose_next_acks(1)

    envelope, payload = await send_mention(slack)

    ack = await acked(envelope)
    assert envelope.attempts == 2, "sent again after the connection with its first ack broke"
    assert envelope.message() == {
        "envelope_id": envelope.envelope_id,
        "type": EVENTS_API,
        "payload": payload,
        "accepts_response_payload": False,
        "retry_attempt": 1,
        "retry_reason": "timeout",
    }
    assert ack == {"envelope_id": envelope.envelope_id}
    assert slack.socket_mode.connections_opened == 2, "the bot opened a new connection"
    assert len(slack.calls_to("apps.connections.open")) == 2
    await declared_once(slack, database_url)


async def test_a_mention_acked_past_the_deadline_is_sent_again_on_its_connection_and_applied_once(
    socket_bot: BotProcess, slack: LocalSlack, database_url: str
) -> None:
    slack.socket_mode.ack_seconds = 1.0  # Slack's is 3 s
    slack.socket_mode.delay_next_acks(1)

    envelope, _ = await send_mention(slack)

    assert await acked(envelope) == {"envelope_id": envelope.envelope_id}
    assert envelope.attempts == 2, "sent again when its ack was not back in time"
    assert (envelope.message()["retry_attempt"], envelope.message()["retry_reason"]) == (1, "timeout")
    assert slack.socket_mode.connections_opened == 1, "on the same, live, connection"
    await slack.wait_for(
        lambda s: len([m for m in s.socket_mode.received if m.get("envelope_id") == envelope.envelope_id]) == 2,
        what="the bot's ack of the second delivery too",
    )
    await declared_once(slack, database_url)


async def test_a_disconnect_loses_nothing_not_yet_acked(
    socket_bot: BotProcess, slack: LocalSlack, database_url: str
) -> None:
    envelope, _ = await send_mention(slack)
    await slack.socket_mode.disconnect(lose_acks=True)  # before its ack could come back

    assert await acked(envelope) == {"envelope_id": envelope.envelope_id}
    # The SDK reconnects for the disconnect message and again for the cut socket: the envelope may
    # be on the way over a connection that is closed in turn, and is then sent on the next one.
    assert envelope.attempts >= 2
    assert envelope.message()["retry_attempt"] == envelope.attempts - 1
    assert slack.socket_mode.connections_opened >= 2
    await declared_once(slack, database_url)


async def test_after_a_refresh_request_the_bot_serves_on_its_new_connection(
    socket_bot: BotProcess, slack: LocalSlack, database_url: str
) -> None:
    await slack.socket_mode.disconnect()  # refresh_requested: the old socket stays open until the bot leaves it
    await slack.wait_for(lambda s: s.socket_mode.connections_opened == 2 and s.socket_mode.connected == 1)

    envelope, _ = await send_mention(slack)
    assert await acked(envelope) == {"envelope_id": envelope.envelope_id}
    assert envelope.attempts == 1
    await declared_once(slack, database_url)
