"""``python -m bot`` with the console on from its environment, as an operator runs it: Slack requests
still declare with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set (Bolt reads them from the real
environment), and at LOG_LEVEL=DEBUG a sign-in leaves no secret of its own in the logs."""

from __future__ import annotations

import json
import signal
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.local_slack import LocalSlack, SlackState
from bot.local_slack.payloads import mention
from bot.runtime.child_environment import free_port
from tests.console.support import CLIENT_ID, CLIENT_SECRET, SESSION_SECRET, ConsoleClient
from tests.e2e.bot_process import BotProcess, bot_environment
from tests.e2e.harness import ALICE, CHANNEL

pytestmark = pytest.mark.slow


@pytest.fixture
async def slack(workspace: str) -> AsyncIterator[LocalSlack]:
    async with LocalSlack("xoxb-process-test-token", state=SlackState(team_id=workspace)) as fake:
        fake.sign_in.register(CLIENT_ID, CLIENT_SECRET)
        yield fake


async def test_sign_in_and_slack_requests_with_the_console_on_in_the_environment(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    port = free_port()
    env = bot_environment(
        slack.token,
        slack.base_url,
        database_url,
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_OAUTH_URL=slack.authorize_url,
        SESSION_SECRET=SESSION_SECRET,
        CONSOLE_URL=f"http://127.0.0.1:{port}",
    ) | {"PORT": str(port), "LOG_LEVEL": "DEBUG"}
    bot = BotProcess(env)
    async with bot.running():
        envelope, _ = mention(slack.state, team_id=workspace, user=ALICE, channel=CHANNEL, text="checkout is down sev2")
        status, body = await bot.post_signed(json.dumps(envelope))
        assert status == 200, body
        await slack.wait_for(lambda s: [m for m in s.messages(CHANNEL) if m.blocks], what="INC-1's card")

        client = ConsoleClient(bot)
        callback = await client.choose(await client.start_sign_in(), ALICE)
        assert (await client.finish_sign_in(callback)).status == 302
        who = (await client.get("/auth/session")).json()
        assert (who["user_id"], who["team_id"]) == (ALICE, workspace)
        cookie = next(c.value for c in client.cookies if c.key == "firebreak_console")
        await client.close()
        assert await bot.signal(signal.SIGTERM) == 0, bot.output()

    [exchange] = [call for call in slack.calls if call.method == "openid.connect.token"]
    secrets = {
        "client secret": CLIENT_SECRET,
        "session secret": SESSION_SECRET,
        "session cookie": cookie,
        "csrf token": who["csrf_token"],
        "code": parse_qs(urlsplit(callback).query)["code"][0],
        "user token": exchange.response["access_token"],
        "id_token": exchange.response["id_token"],
    }
    output = "\n".join(bot.stdout + bot.stderr)
    assert [name for name, secret in secrets.items() if secret in output] == []
    assert any(entry["message"] == "console sign-in" for entry in bot.json_logs())
