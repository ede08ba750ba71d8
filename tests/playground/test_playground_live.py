"""The playground's own surface: the local Slack Web API under /local-slack/, the page, and every
change to the local Slack pushed on the event stream."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from tests.playground.server_support import ALICE, INCIDENTS, Server, bot_client, events, state


async def test_the_local_slack_web_api_is_served_under_local_slack(server: Server) -> None:
    assert server.settings.slack_api_url == f"{server.url}/local-slack/api/"
    auth = await bot_client(server).auth_test()
    assert auth["user_id"] == "U0FIREBOT"
    wrong = AsyncWebClient(token="xoxb-not-the-playground", base_url=server.settings.slack_api_url)
    with pytest.raises(Exception, match="invalid_auth"):
        await wrong.auth_test()


async def test_posts_and_edits_are_pushed_on_the_event_stream(server: Server) -> None:
    client = bot_client(server)

    async def post_then_edit() -> None:
        posted = await client.chat_postMessage(channel=INCIDENTS, text="SEV2")
        await client.chat_update(channel=INCIDENTS, ts=posted["ts"], text="SEV1")

    seen = await events(server, 2, post_then_edit)

    assert [event["what"] for event in seen] == ["chat.postMessage", "chat.update"]
    assert seen[0]["version"] < seen[1]["version"]


async def test_the_page_and_bad_requests(server: Server) -> None:
    async with server.http.get(f"{server.url}/") as response:
        assert response.status == 200
        assert "Firebreak playground" in await response.text()
    async with server.http.get(f"{server.url}/playground/static/app.js") as response:
        assert response.status == 200
    status, reply = await server.post("/playground/message", channel="C0NOWHERE", text="hi")
    assert (status, reply["error"]) == (400, "unknown channel")
    status, reply = await server.post("/playground/message", user="U0MALLORY", channel=INCIDENTS, text="hi")
    assert status == 400


async def test_the_transport_choice_refuses_what_it_cannot_do(server: Server) -> None:
    status, reply = await server.post("/playground/transport", transport="carrier-pigeon")
    assert (status, reply["error"]) == (400, "transport must be 'http' or 'socket_mode'")
    # This server has no bot to connect in Socket Mode (the stand-in answers HTTP only).
    status, reply = await server.post("/playground/transport", transport="socket_mode")
    assert (status, reply["error"]) == (400, "Socket Mode is not offered here: no bot to connect")
    assert (await state(server, ALICE))["transport"] == {
        "chosen": "http",
        "available": False,
        "connected": False,
        "acked": 0,
    }
    status, reply = await server.post("/playground/transport", transport="http")
    assert (status, reply["chosen"]) == (200, "http")
