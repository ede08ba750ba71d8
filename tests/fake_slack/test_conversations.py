"""conversations.list in the local Slack, driven by the real slack_sdk AsyncWebClient: the channels
the bot is in, for the console's channel picker (SPEC §9, declaring from the console)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local_slack import LocalSlack
from bot.local_slack.state import SlackState
from tests.fake_slack.conftest import CHANNEL


async def test_named_channels_then_those_with_messages_a_page_at_a_time(
    slack: LocalSlack, client: AsyncWebClient
) -> None:
    slack.state.add_channel("C0OPS", "ops")
    await client.chat_postMessage(channel=CHANNEL, text="posted here")
    await client.chat_postMessage(channel="U0ALICE", text="a direct message is no channel")

    first = await client.conversations_list(types="public_channel,private_channel", exclude_archived=True, limit=1)
    assert [(c["id"], c["name"], c["is_member"]) for c in first["channels"]] == [("C0OPS", "ops", True)]
    cursor = first["response_metadata"]["next_cursor"]
    second = await client.conversations_list(limit=1, cursor=cursor)
    assert [(c["id"], c["name"]) for c in second["channels"]] == [(CHANNEL, CHANNEL.lower())]
    assert second["response_metadata"]["next_cursor"] == ""


def test_channels_named_at_start_stay_after_a_clear_and_added_ones_go() -> None:
    state = SlackState(channel_names={"C0INCIDENTS": "incidents"})
    state.add_channel("C0OPS", "ops")
    state.clear()
    assert [(c["id"], c["name"]) for c in state.conversations()] == [("C0INCIDENTS", "incidents")]


async def test_a_bad_cursor_is_refused(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_list(cursor="not a cursor")
    assert refused.value.response["error"] == "invalid_cursor"
