"""What the page does arrives at ``/slack/events`` as a signed Slack request of the right shape,
and the app's answers come back to the page (replies, modals, inline errors)."""

from __future__ import annotations

import json

from slack_sdk.signature import SignatureVerifier

from tests.playground.server_support import (
    ALICE,
    BOB,
    CARD_BLOCKS,
    INCIDENTS,
    MODAL,
    Server,
    bot_client,
    state,
)


async def test_a_mention_reaches_the_app_as_a_signed_app_mention_event(server: Server) -> None:
    status, reply = await server.post(
        "/playground/message", channel=INCIDENTS, text="@firebreak db is down & slow @bob"
    )

    assert (status, reply["ok"]) == (200, True)
    event = server.app.payload()
    assert event["type"] == "event_callback"
    assert event["event"] == {
        "type": "app_mention",
        "user": ALICE,
        "text": "<@U0FIREBOT> db is down &amp; slow <@U0BOB>",
        "ts": reply["ts"],
        "channel": INCIDENTS,
        "event_ts": reply["ts"],
    }
    message = server.slack.message(INCIDENTS, reply["ts"])
    assert message is not None
    assert message.user == ALICE


async def test_a_message_without_a_mention_is_only_posted(server: Server) -> None:
    status, _ = await server.post("/playground/message", channel=INCIDENTS, text="hello team")
    assert status == 200
    assert server.app.received == []
    assert [m.text for m in server.slack.messages(INCIDENTS)] == ["hello team"]


async def test_a_slash_command_is_a_signed_form_and_its_ack_an_ephemeral(server: Server) -> None:
    server.app.answer = {"response_type": "ephemeral", "text": "Usage: /incident …"}

    status, _ = await server.post("/playground/slash", channel=INCIDENTS, text="help")

    assert status == 200
    form = server.app.payload()
    assert (form["command"], form["text"]) == ("/incident", "help")
    assert (form["user_id"], form["channel_id"]) == (ALICE, INCIDENTS)
    assert [(e.user, e.text) for e in server.slack.ephemerals()] == [(ALICE, "Usage: /incident …")]
    # A later reply through its response_url is an ephemeral for the same person.
    async with server.http.post(form["response_url"], json={"text": "later"}) as response:
        assert response.status == 200
    assert [e.text for e in server.slack.ephemerals(ALICE)] == ["Usage: /incident …", "later"]
    async with server.http.get(f"{server.url}/playground/state", params={"user": BOB}) as response:
        assert (await response.json())["ephemerals"] == []


async def test_a_slash_command_names_people_as_slack_does_with_escaping_on(server: Server) -> None:
    status, _ = await server.post("/playground/slash", channel=INCIDENTS, text="assign INC-2 @carol")
    await server.post("/playground/slash", channel=INCIDENTS, text="note a < b & @nobody @here")

    assert status == 200
    assert server.app.payload(0)["text"] == "assign INC-2 <@U0CAROL|carol>"
    assert server.app.payload(1)["text"] == "note a &lt; b &amp; @nobody <!here>"


async def test_clicks_carry_the_element_from_the_message(server: Server) -> None:
    card = await bot_client(server).chat_postMessage(channel=INCIDENTS, text="card", blocks=CARD_BLOCKS)
    click = {"channel": INCIDENTS, "message_ts": card["ts"], "block_id": "incident.actions:T0FIREBRK:1:v1"}

    await server.post("/playground/click", **click, action_id="incident.severity", choice="T0FIREBRK:1:SEV1")
    await server.post("/playground/click", **click, action_id="incident.commander", choice=BOB)
    await server.post("/playground/click", **click, action_id="incident.ack")

    severity, commander, ack = (server.app.payload(i) for i in range(3))
    assert severity["type"] == "block_actions"
    assert severity["container"]["message_ts"] == card["ts"]
    assert severity["actions"][0]["selected_option"]["value"] == "T0FIREBRK:1:SEV1"
    assert commander["actions"][0]["selected_user"] == BOB
    assert ack["actions"][0]["value"] == "v"
    assert ack["message"]["blocks"] == CARD_BLOCKS
    status, refused = await server.post("/playground/click", **click, action_id="incident.severity", choice="nope")
    assert (status, refused["error"]) == (400, "invalid_option")


async def test_a_modal_opens_for_whoever_clicked_and_submits_with_inline_errors(server: Server) -> None:
    card = await bot_client(server).chat_postMessage(channel=INCIDENTS, text="card", blocks=CARD_BLOCKS)
    click = {"channel": INCIDENTS, "message_ts": card["ts"], "block_id": "incident.actions:T0FIREBRK:1:v1"}
    await server.post("/playground/click", **click, action_id="incident.ack")
    opened = await bot_client(server).views_open(trigger_id=server.app.payload()["trigger_id"], view=MODAL)
    view_id = opened["view"]["id"]
    assert (await state(server, ALICE))["modal"]["id"] == view_id
    assert (await state(server, BOB))["modal"] is None

    server.app.answer = {"response_action": "errors", "errors": {"resolve.summary": "Too long"}}
    status, reply = await server.post("/playground/submit", view_id=view_id, values={"resolve.summary": "x" * 10})
    assert (status, reply["closed"], reply["errors"]) == (200, False, {"resolve.summary": "Too long"})

    server.app.answer = None
    status, reply = await server.post("/playground/submit", view_id=view_id, values={"resolve.summary": "fixed"})
    assert (status, reply["closed"]) == (200, True)
    submission = server.app.payload()
    assert submission["type"] == "view_submission"
    assert submission["view"]["state"]["values"] == {
        "resolve.summary": {"value": {"type": "plain_text_input", "value": "fixed"}}
    }
    assert (await state(server, ALICE))["modal"] is None


async def test_closing_a_modal_tells_the_app_only_if_it_asked(server: Server) -> None:
    card = await bot_client(server).chat_postMessage(channel=INCIDENTS, text="card", blocks=CARD_BLOCKS)
    click = {"channel": INCIDENTS, "message_ts": card["ts"], "block_id": "incident.actions:T0FIREBRK:1:v1"}
    for notify in (False, True):
        await server.post("/playground/click", **click, action_id="incident.ack")
        trigger = server.app.payload()["trigger_id"]
        opened = await bot_client(server).views_open(trigger_id=trigger, view=MODAL | {"notify_on_close": notify})
        before = len(server.app.received)

        status, _ = await server.post("/playground/close", view_id=opened["view"]["id"])

        assert status == 200
        assert (await state(server, ALICE))["modal"] is None
        assert len(server.app.received) == before + notify
    assert server.app.payload()["type"] == "view_closed"


async def test_only_json_is_taken_and_a_refusal_by_the_app_is_reported(server: Server) -> None:
    text_body = json.dumps({"user": ALICE, "channel": INCIDENTS, "text": "@firebreak hi"})
    async with server.http.post(f"{server.url}/playground/message", data=text_body) as response:
        assert response.status == 415
    assert server.slack.messages(INCIDENTS) == []

    server.app.verifier = SignatureVerifier("not-the-secret-the-playground-signs-with")
    status, reply = await server.post("/playground/message", channel=INCIDENTS, text="@firebreak hi")
    assert status == 200
    assert (reply["ok"], reply["error"]) == (False, "the bot answered HTTP 401")
