"""The local Slack's Socket Mode, driven by a plain WebSocket client: who may open a connection,
``hello`` first, envelopes and their acks, one-use URLs, and what happens to an envelope whose
connection goes before its ack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local_slack import LocalSlack
from bot.local_slack.socket_mode import EVENTS_API, INTERACTIVE, SLASH_COMMANDS, NotAcked
from tests.fake_slack.conftest import TOKEN


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def socket_url(slack: LocalSlack) -> str:
    response = await AsyncWebClient(base_url=slack.base_url).apps_connections_open(app_token=str(slack.app_token))
    return str(response["url"])


async def receive(socket: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await socket.receive_json(timeout=5)
    assert isinstance(message, dict)
    return message


@pytest.mark.parametrize(("token", "error"), [(TOKEN, "not_allowed_token_type"), ("xapp-1-other", "invalid_auth")])
async def test_only_the_app_level_token_opens_a_connection(slack: LocalSlack, token: str, error: str) -> None:
    with pytest.raises(SlackApiError) as refused:
        await AsyncWebClient(base_url=slack.base_url).apps_connections_open(app_token=token)
    assert refused.value.response["error"] == error
    assert slack.socket_mode.connections_opened == 0


async def test_a_slack_without_an_app_token_opens_no_connection() -> None:
    async with LocalSlack(TOKEN) as slack:
        with pytest.raises(SlackApiError) as refused:
            await AsyncWebClient(base_url=slack.base_url).apps_connections_open(app_token="xapp-1-any")
    assert refused.value.response["error"] == "invalid_auth"


async def test_hello_first_then_envelopes_which_the_ack_answers(
    slack: LocalSlack, session: aiohttp.ClientSession
) -> None:
    url = await socket_url(slack)
    assert url.startswith("ws://127.0.0.1:")
    async with session.ws_connect(url) as socket:
        hello = await receive(socket)
        assert (hello["type"], hello["num_connections"], hello["connection_info"]) == (
            "hello",
            1,
            {"app_id": "A0FIREBRK"},
        )

        command = await slack.socket_mode.send(SLASH_COMMANDS, {"command": "/incident", "text": "list"})
        sent = await receive(socket)
        assert sent == {
            "envelope_id": command.envelope_id,
            "type": SLASH_COMMANDS,
            "payload": {"command": "/incident", "text": "list"},
            "accepts_response_payload": True,
        }
        await socket.send_json({"envelope_id": command.envelope_id, "payload": {"text": "No open incidents."}})
        assert await command.ack() == {"envelope_id": command.envelope_id, "payload": {"text": "No open incidents."}}

        event = await slack.socket_mode.send(EVENTS_API, {"type": "event_callback", "event_id": "Ev1"})
        assert await receive(socket) == {
            "envelope_id": event.envelope_id,
            "type": EVENTS_API,
            "payload": {"type": "event_callback", "event_id": "Ev1"},
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
        }


async def test_a_connection_url_serves_one_connection(slack: LocalSlack, session: aiohttp.ClientSession) -> None:
    url = await socket_url(slack)
    async with session.ws_connect(url) as socket:
        await receive(socket)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url)
    assert refused.value.status == 401
    assert slack.socket_mode.connections_opened == 1


async def test_an_envelope_sent_while_no_app_is_connected_goes_out_on_connection(
    slack: LocalSlack, session: aiohttp.ClientSession
) -> None:
    event = await slack.socket_mode.send(EVENTS_API, {"event_id": "Ev2"})
    async with session.ws_connect(await socket_url(slack)) as socket:
        assert (await receive(socket))["type"] == "hello"
        assert (await receive(socket))["envelope_id"] == event.envelope_id


async def test_an_unacked_event_is_sent_again_on_the_next_connection_and_an_interaction_fails(
    slack: LocalSlack, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(await socket_url(slack)) as first:
        await receive(first)
        event = await slack.socket_mode.send(EVENTS_API, {"event_id": "Ev3"})
        click = await slack.socket_mode.send(INTERACTIVE, {"type": "block_actions"})
        await receive(first)
        await receive(first)
        await slack.socket_mode.disconnect(lose_acks=True)
        assert (await receive(first)) == {
            "type": "disconnect",
            "reason": "refresh_requested",
            "debug_info": {"host": "local-slack"},
        }

    with pytest.raises(NotAcked):
        await click.ack()
    async with session.ws_connect(await socket_url(slack)) as second:
        await receive(second)
        again = await receive(second)
        assert (again["envelope_id"], again["retry_attempt"], again["retry_reason"]) == (
            event.envelope_id,
            1,
            "timeout",
        )
        await second.send_json({"envelope_id": event.envelope_id})
        assert await event.ack() == {"envelope_id": event.envelope_id}


async def test_a_lost_ack_counts_for_nothing_and_cuts_the_connection(
    slack: LocalSlack, session: aiohttp.ClientSession
) -> None:
    slack.socket_mode.lose_next_acks(1)
    async with session.ws_connect(await socket_url(slack)) as first:
        await receive(first)
        event = await slack.socket_mode.send(EVENTS_API, {"event_id": "Ev4"})
        await receive(first)
        await first.send_json({"envelope_id": event.envelope_id})
        closing = await first.receive(timeout=5)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert not event.answer.done()
    assert slack.socket_mode.received == []


async def test_an_event_not_acked_in_time_is_sent_again_on_its_connection_then_given_up(
    slack: LocalSlack, session: aiohttp.ClientSession
) -> None:
    slack.socket_mode.ack_seconds = 0.05
    async with session.ws_connect(await socket_url(slack)) as socket:
        await receive(socket)
        event = await slack.socket_mode.send(EVENTS_API, {"event_id": "Ev5"})
        command = await slack.socket_mode.send(SLASH_COMMANDS, {"command": "/incident"})
        sent = [await receive(socket) for _ in range(5)]
        with pytest.raises(NotAcked):
            await event.ack()

    assert [(m["envelope_id"], m.get("retry_attempt"), m.get("retry_reason")) for m in sent] == [
        (event.envelope_id, 0, ""),
        (command.envelope_id, None, None),
        (event.envelope_id, 1, "timeout"),
        (event.envelope_id, 2, "timeout"),
        (event.envelope_id, 3, "timeout"),
    ], "Slack sends an unacked event three more times; a slash command never again"
    assert slack.socket_mode.connections_opened == 1


async def test_a_late_ack_comes_after_the_event_was_sent_again_and_still_counts(
    slack: LocalSlack, session: aiohttp.ClientSession
) -> None:
    slack.socket_mode.ack_seconds = 0.05
    slack.socket_mode.delay_next_acks(1)
    async with session.ws_connect(await socket_url(slack)) as socket:
        await receive(socket)
        event = await slack.socket_mode.send(EVENTS_API, {"event_id": "Ev6"})
        assert (await receive(socket))["retry_attempt"] == 0
        await socket.send_json({"envelope_id": event.envelope_id, "attempt": 0})

        again = await receive(socket)
        assert (again["envelope_id"], again["retry_attempt"]) == (event.envelope_id, 1)
        assert await event.ack() == {"envelope_id": event.envelope_id, "attempt": 0}
        await socket.send_json({"envelope_id": event.envelope_id, "attempt": 1})
        await slack.wait_for(lambda s: len(s.socket_mode.received) == 2, what="the second ack")

    assert event.attempts == 2
