"""No token, secret or signature in the logs, even at LOG_LEVEL=DEBUG.

``python -m bot`` runs at DEBUG with distinctive credentials and serves a little of everything:
mentions, slash commands, a click, a drafted update whose AI call fails, forged and malformed
requests. Nothing it writes (stdout's JSON lines, stderr) contains the bot token, the signing
secret, the Anthropic key, a request's signature or a response_url; the same holds for the log
records of the bot run in-process, where no logger is capped.
"""

from __future__ import annotations

import json
import signal
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest

from bot.local_slack import LocalSlack
from bot.local_slack.payloads import FORM_TYPE, JSON_TYPE, click, interaction_form, mention, slash_form
from bot.local_slack.signing import signature_headers
from bot.runtime.child_environment import clean_environment, free_port
from bot.views import action_ids as ids
from tests.e2e.bot_process import BotProcess
from tests.e2e.harness import ALICE, CHANNEL, BotUnderTest
from tests.reliability.support import CapturedLogs, figures

pytestmark = pytest.mark.slow

BOT_TOKEN = f"xoxb-{uuid.uuid4().hex[:12]}-firebreak-test-token"
SIGNING_SECRET = f"signing-secret-{uuid.uuid4().hex}"
ANTHROPIC_KEY = f"sk-ant-api03-{uuid.uuid4().hex}"
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens there: the AI is unavailable, drafts use the template


@pytest.fixture
async def token_slack() -> AsyncIterator[LocalSlack]:
    async with LocalSlack(token=BOT_TOKEN) as fake:
        yield fake


class Client:
    """Signs with the test's own secret and remembers every signature it sent."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.signatures: list[str] = []
        self.response_urls: list[str] = []

    async def post(self, body: str, content_type: str, *, secret: str = SIGNING_SECRET) -> int:
        headers = {"Content-Type": content_type, **signature_headers(secret, body)}
        self.signatures.append(headers["X-Slack-Signature"])
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.url}/slack/events", data=body.encode(), headers=headers) as response,
        ):
            await response.read()
            return response.status


async def exercise(client: Client, slack: LocalSlack, team: str) -> None:
    """A little of everything the bot logs about."""

    async def say(text: str, thread_ts: str | None = None) -> str:
        envelope, message = mention(
            slack.state, team_id=team, user=ALICE, channel=CHANNEL, text=text, thread_ts=thread_ts
        )
        assert await client.post(json.dumps(envelope), JSON_TYPE) == 200
        return message.ts

    async def slash(text: str) -> None:
        response_url = slack.response_url(f"secret-{uuid.uuid4().hex}")
        client.response_urls.append(response_url)
        form = slash_form(slack.state, ALICE, CHANNEL, text, response_url=response_url, team_id=team)
        assert await client.post(form, FORM_TYPE) == 200

    home = await say("checkout is failing sev1")
    await say("note looking at the load balancer", thread_ts=home)
    await say("update", thread_ts=home)  # an AI draft: the API is unreachable, so the template is used
    await slash("declare Payments are slow sev2")
    await slash("ack INC-2")
    await slash("frobnicate")
    await slack.wait_for(lambda s: [m for m in s.messages(CHANNEL) if m.blocks], what="a card")
    card = next(m for m in slack.messages(CHANNEL) if m.blocks)
    response_url = slack.response_url(f"secret-{uuid.uuid4().hex}")
    ack = click(slack.state, ALICE, card, ids.ACK, response_url=response_url, team_id=team)
    assert await client.post(interaction_form(ack), FORM_TYPE) == 200
    envelope, _ = mention(slack.state, team_id=team, user=ALICE, channel=CHANNEL, text="forged")
    assert await client.post(json.dumps(envelope), JSON_TYPE, secret="a-forgers-guess") == 401
    assert await client.post("{broken", JSON_TYPE) == 400


def secrets(client: Client) -> dict[str, str]:
    found = {"bot token": BOT_TOKEN, "signing secret": SIGNING_SECRET, "anthropic key": ANTHROPIC_KEY}
    found |= {f"signature {i}": sig.removeprefix("v0=") for i, sig in enumerate(client.signatures)}
    found |= {f"response_url {i}": url for i, url in enumerate(client.response_urls)}
    return found


async def test_python_m_bot_at_debug_logs_no_secret(token_slack: LocalSlack, database_url: str) -> None:
    env = clean_environment(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=token_slack.base_url,
        DATABASE_URL=database_url,
        ANTHROPIC_API_KEY=ANTHROPIC_KEY,
        ANTHROPIC_BASE_URL=UNREACHABLE,
        PORT=str(free_port()),
        LOG_LEVEL="DEBUG",
    )
    process = BotProcess(env)
    async with process.running():
        client = Client(process.url)
        await exercise(client, token_slack, token_slack.state.team_id)
        await token_slack.wait_for(
            lambda s: any("Draft stakeholder update" in str(c.args.get("text")) for c in s.calls),
            timeout=20,
            what="the drafted update",
        )
        assert await process.signal(signal.SIGTERM) == 0, process.output()

    output = "\n".join(process.stdout + process.stderr)
    leaked = [name for name, secret in secrets(client).items() if secret in output]
    debug_lines = sum('"level": "DEBUG"' in line for line in process.stdout)
    figures(
        "secrets_in_logs_subprocess",
        log_level="DEBUG",
        log_lines=len(process.stdout) + len(process.stderr),
        debug_lines=debug_lines,
        secrets_checked=len(secrets(client)),
        leaked=len(leaked),
        redactions=output.count("[redacted]"),
    )
    assert leaked == [], leaked
    assert debug_lines > 0, "the run did log at DEBUG"


async def test_the_bot_in_process_logs_no_secret(
    token_slack: LocalSlack, database_url: str, workspace: str, captured_logs: CapturedLogs
) -> None:
    bot = BotUnderTest(token_slack, database_url, workspace)
    bot.settings = replace(
        bot.settings,
        slack_signing_secret=SIGNING_SECRET,
        anthropic_api_key=ANTHROPIC_KEY,
        anthropic_base_url=UNREACHABLE,
    )
    await bot.start()
    try:
        client = Client(bot.url)
        await exercise(client, token_slack, workspace)
        await bot.settle(within=20)
    finally:
        await bot.stop()

    text = captured_logs.text()
    leaked = [name for name, secret in secrets(client).items() if secret in text]
    figures("secrets_in_logs_in_process", records=len(captured_logs.records), leaked=len(leaked))
    assert leaked == [], leaked
