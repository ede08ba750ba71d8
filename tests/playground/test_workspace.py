"""Typed text as Slack stores it; the local Slack's response_url replies and its call log."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.local_slack import LocalSlack, ResponseTarget, SlackError, SlackState
from bot.local_slack.responses import apply_response
from bot.playground.workspace import slack_text

USERS = SlackState().users


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("@firebreak checkout is down sev2", "<@U0FIREBOT> checkout is down sev2"),
        ("@firebreak assign @Bob.", "<@U0FIREBOT> assign <@U0BOB>."),
        ("ping @here and @nobody", "ping <!here> and @nobody"),
        ("mail bob@example.com", "mail bob@example.com"),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        ("<@U0ALICE> typed by hand", "&lt;@U0ALICE&gt; typed by hand"),
    ],
)
def test_typed_text_is_stored_the_way_slack_stores_it(typed: str, stored: str) -> None:
    assert slack_text(typed, USERS) == stored


def test_response_url_replies_act_like_slack() -> None:
    state = SlackState()
    card = state.post_message("C1", text="card")
    target = ResponseTarget("C1", "U0ALICE", thread_ts=card.ts, message_ts=card.ts)

    apply_response(state, target, {"text": "only you"})
    apply_response(state, target, {"text": "everyone", "response_type": "in_channel"})
    apply_response(state, target, {"text": "card v2", "replace_original": True})

    assert [(e.user, e.text, e.thread_ts) for e in state.ephemerals] == [("U0ALICE", "only you", card.ts)]
    assert [m.text for m in state.messages("C1", card.ts)] == ["everyone"]
    edited = state.find_message("C1", card.ts)
    assert edited is not None
    assert edited.text == "card v2"
    with pytest.raises(SlackError, match="no_text"):
        apply_response(state, target, {})


async def test_a_long_running_local_slack_keeps_only_its_latest_calls() -> None:
    async with LocalSlack("xoxb-local", keep_calls=2) as slack:
        client = AsyncWebClient(token="xoxb-local", base_url=slack.base_url)
        for text in ("one", "two", "three"):
            await client.chat_postMessage(channel="C1", text=text)
        assert [call.args["text"] for call in slack.calls] == ["two", "three"]
        assert [m.text for m in slack.messages("C1")] == ["one", "two", "three"]
