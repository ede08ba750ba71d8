"""reactions.add in the local Slack, driven by the real slack_sdk AsyncWebClient: how the bot says
a note typed in the thread is recorded (SPEC §2 "A quiet thread")."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local_slack import LocalSlack
from tests.fake_slack.conftest import CHANNEL


async def test_reactions_add_as_slack_does(slack: LocalSlack, client: AsyncWebClient) -> None:
    ts = (await client.chat_postMessage(channel=CHANNEL, text="note typed by a person"))["ts"]
    assert (await client.reactions_add(channel=CHANNEL, timestamp=ts, name="memo"))["ok"] is True
    message = slack.message(CHANNEL, ts)
    assert message is not None
    assert message.reactions == {"memo": ["U0FIREBOT"]}
    shown = (await client.chat_update(channel=CHANNEL, ts=ts, text="edited"))["message"]
    assert shown["reactions"] == [{"name": "memo", "users": ["U0FIREBOT"], "count": 1}]
    for args, error in [
        ({"timestamp": ts, "name": "memo"}, "already_reacted"),
        ({"timestamp": "1.1", "name": "memo"}, "message_not_found"),
        ({"timestamp": ts, "name": ":memo:"}, "invalid_name"),
    ]:
        with pytest.raises(SlackApiError) as err:
            await client.reactions_add(channel=CHANNEL, **args)
        assert err.value.response["error"] == error
    assert message.reactions == {"memo": ["U0FIREBOT"]}
