"""Direct messages as Slack has them (chat.postMessage to a user's id posts in the bot's conversation
with that user), and faults scripted for one channel only: a channel the bot was never invited to."""

from __future__ import annotations

from collections.abc import Awaitable

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local_slack import LocalSlack
from tests.fake_slack.conftest import CHANNEL

ALICE = "U0ALICE"
PRIVATE = "C0PRIV"


async def test_posting_to_a_user_posts_in_the_bots_conversation_with_them(
    slack: LocalSlack, client: AsyncWebClient
) -> None:
    response = await client.chat_postMessage(channel=ALICE, text="your card was refused")

    conversation = response["channel"]
    assert conversation.startswith("D"), "Slack answers with the conversation's own id"
    assert [m.text for m in slack.direct_messages(ALICE)] == ["your card was refused"]
    assert slack.messages(ALICE) == [], "not a channel named after the user"
    await client.chat_update(channel=conversation, ts=response["ts"], text="edited")
    assert [m.text for m in slack.direct_messages(ALICE)] == ["edited"]
    assert slack.direct_messages("U0BOB") == []


async def refusal(call: Awaitable[object]) -> str:
    """The error Slack answered ``call`` with."""
    with pytest.raises(SlackApiError) as refused:
        await call
    return str(refused.value.response["error"])


async def test_posting_to_an_unknown_user_finds_no_channel(client: AsyncWebClient) -> None:
    assert await refusal(client.chat_postMessage(channel="U0NOBODY", text="x")) == "channel_not_found"


async def test_a_fault_for_one_channel_leaves_the_others_alone(slack: LocalSlack, client: AsyncWebClient) -> None:
    slack.error("*", "not_in_channel", times=None, channel=PRIVATE)

    assert await refusal(client.chat_postMessage(channel=PRIVATE, text="card")) == "not_in_channel"
    assert await refusal(client.chat_postEphemeral(channel=PRIVATE, user=ALICE, text="psst")) == "not_in_channel"
    assert await refusal(client.chat_update(channel=PRIVATE, ts="1.2", text="edit")) == "not_in_channel"
    await client.chat_postMessage(channel=CHANNEL, text="elsewhere")
    await client.chat_postMessage(channel=ALICE, text="directly")
    await client.auth_test()
    assert slack.messages(PRIVATE) == []
    assert [f.channel for f in slack.faults.pending] == [PRIVATE], "still there for the next call"

    slack.clear_faults()  # the bot is invited

    await client.chat_postMessage(channel=PRIVATE, text="card")
    assert [m.text for m in slack.messages(PRIVATE)] == ["card"]
