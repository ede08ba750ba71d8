"""conversations.replies and what people do to messages in the local Slack (SPEC §10's timeline from
Slack): the message itself by its ts, root or reply; pins and reactions once each; a person's
message shaped as Slack shapes one (no bot in it)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local_slack import LocalSlack, SlackError
from bot.local_slack.message_events import message_deleted_event, pin_event, reaction_event
from tests.fake_slack.conftest import CHANNEL


async def test_one_message_by_its_ts_whether_it_roots_its_thread_or_replies_in_it(
    slack: LocalSlack, client: AsyncWebClient
) -> None:
    root = slack.state.post_user_message(CHANNEL, "U0ALICE", "checkout is down")
    first = slack.state.post_user_message(CHANNEL, "U0BOB", "looking", thread_ts=root.ts)
    second = slack.state.post_user_message(CHANNEL, "U0CAROL", "rolled back", thread_ts=root.ts)

    whole = await client.conversations_replies(channel=CHANNEL, ts=first.ts)
    assert [m["ts"] for m in whole["messages"]] == [root.ts, first.ts, second.ts]
    one = await client.conversations_replies(
        channel=CHANNEL, ts=second.ts, oldest=second.ts, latest=second.ts, inclusive=True, limit=1
    )
    [message] = one["messages"]
    assert (message["ts"], message["user"], message["text"], message["thread_ts"]) == (
        second.ts,
        "U0CAROL",
        "rolled back",
        root.ts,
    )
    assert "bot_id" not in message
    assert "subtype" not in message
    exclusive = await client.conversations_replies(channel=CHANNEL, ts=second.ts, oldest=second.ts, latest=second.ts)
    assert exclusive["messages"] == []


async def test_a_message_that_is_not_there_is_no_thread(slack: LocalSlack, client: AsyncWebClient) -> None:
    gone = slack.state.post_user_message(CHANNEL, "U0ALICE", "oops")
    message_deleted_event(slack.state, gone)
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_replies(channel=CHANNEL, ts=gone.ts, limit=1)
    assert refused.value.response["error"] == "thread_not_found"


def test_a_pin_and_a_reaction_are_once_each(slack: LocalSlack) -> None:
    message = slack.state.post_user_message(CHANNEL, "U0BOB", "failover done")
    added = pin_event(slack.state, "U0ALICE", message)
    assert added["item"]["message"]["pinned_to"] == [CHANNEL]
    with pytest.raises(SlackError, match="already_pinned"):
        pin_event(slack.state, "U0CAROL", message)
    removed = pin_event(slack.state, "U0ALICE", message, added=False)
    assert (removed["type"], removed["has_pins"]) == ("pin_removed", False)

    reaction_event(slack.state, "U0ALICE", message, "pushpin")
    with pytest.raises(SlackError, match="already_reacted"):
        reaction_event(slack.state, "U0ALICE", message, "pushpin")
    reaction_event(slack.state, "U0ALICE", message, "pushpin", added=False)
    assert message.reactions == {}
