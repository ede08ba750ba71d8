"""Starting ``python -m bot`` (SPEC §8): without any Slack credentials, the playground; refusing to
start with half of them, in one paragraph and without a traceback; /healthz; and logs that are
JSON, one object a line, with no secrets in them."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.composition import web_application
from bot.local_slack import LocalSlack
from bot.local_slack.payloads import mention
from bot.receivers.slack.endpoint import ENGINE, HEALTH_TIMEOUT_SECONDS, add_routes
from bot.runtime.child_environment import clean_environment, free_port
from bot.runtime.config_file import FirebreakConfig
from bot.runtime.logs import JsonFormatter
from bot.runtime.settings import ConfigError, Settings
from domain.alerts import AlertRouting
from storage.database import create_engine, database_config
from storage.scratch_databases import fresh_postgres_database
from tests.e2e.bot_process import BotProcess
from tests.e2e.harness import ALICE, CHANNEL, SIGNING_SECRET

# Shaped like a real bot token, so a leak is a leak (and so redaction by pattern is exercised).
BOT_TOKEN = "xoxb-2718281828-3141592653-FireBreakTestTokenZ9"


# ---------------------------------------------------------------------- starting, or refusing to
def paragraph(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one paragraph, got:\n{text}"
    return lines[0]


async def test_without_slack_credentials_it_starts_in_playground_mode_and_says_so(tmp_path: Path) -> None:
    port = free_port()
    bot = BotProcess(clean_environment(PORT=str(port), DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'play.db'}"))
    async with bot.running():
        status, page = await bot.get("/")
        assert status == 200
        assert "Firebreak playground" in page
        assert await bot.signal(signal.SIGTERM) == 0

    kept = f"{tmp_path / 'play.db'} and {tmp_path / 'play.db.slack.json'}"
    banner = (
        f"Playground mode: no Slack credentials — open http://localhost:{port}/ · "
        f"incidents and messages are kept in {kept} (Reset on the page starts afresh)"
    )
    assert paragraph("\n".join(bot.stderr)) == banner
    assert banner in [entry["message"] for entry in bot.json_logs()]


@pytest.mark.parametrize(
    ("present", "missing"),
    [({"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_SIGNING_SECRET"), ({"SLACK_SIGNING_SECRET": "s3cr3t"}, "SLACK_BOT_TOKEN")],
)
async def test_with_one_credential_missing_it_names_that_one(present: dict[str, str], missing: str) -> None:
    bot = BotProcess(clean_environment(PORT=str(free_port()), **present))

    assert await bot.run_to_exit(timeout=15) == 2

    message = paragraph("\n".join(bot.stderr))
    assert f"{missing} is not set" in message
    assert "Traceback" not in message
    assert BOT_TOKEN not in message
    assert "s3cr3t" not in message


async def test_an_invalid_port_is_refused_in_one_paragraph() -> None:
    bot = BotProcess(clean_environment(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET="s3cr3t", PORT="http"))
    assert await bot.run_to_exit(timeout=15) == 2
    message = paragraph("\n".join(bot.stderr))
    assert "PORT" in message
    assert "Traceback" not in message


async def test_an_unreachable_database_is_one_line_on_stderr_and_json_on_stdout() -> None:
    bot = BotProcess(
        clean_environment(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            DATABASE_URL="postgresql://firebreak:db-password-42@127.0.0.1:1/firebreak",
            PORT=str(free_port()),
        )
    )

    code = await bot.run_to_exit(timeout=20)

    assert code == 1
    message = paragraph("\n".join(bot.stderr))
    assert "could not start" in message
    assert "Traceback" not in message
    entries = bot.json_logs()
    assert entries[-1]["level"] == "CRITICAL"
    everything = "\n".join(bot.stdout + bot.stderr)
    assert BOT_TOKEN not in everything
    assert "db-password-42" not in everything


# ---------------------------------------------------------------------- a running bot
@pytest.fixture(scope="module")
async def bot_database() -> AsyncIterator[str]:
    """An empty database of its own: the bot migrates it on start, and its dispatcher never sees
    another test's outbox."""
    async with fresh_postgres_database("firebreak_startup") as url:
        yield url


@pytest.fixture
async def slack() -> AsyncIterator[LocalSlack]:
    async with LocalSlack(token=BOT_TOKEN) as fake:
        yield fake


@pytest.fixture
async def running_bot(slack: LocalSlack, bot_database: str) -> AsyncIterator[BotProcess]:
    bot = BotProcess(
        clean_environment(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.base_url,
            DATABASE_URL=bot_database,
            PORT=str(free_port()),
            LOG_LEVEL="DEBUG",  # the most talkative setting is the one most likely to leak
        )
    )
    async with bot.running():
        yield bot


async def test_healthz_answers_200_when_the_database_does(running_bot: BotProcess) -> None:
    status, body = await running_bot.get("/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok"}
    assert await running_bot.signal(signal.SIGTERM) == 0


async def test_logs_are_json_lines_without_secrets(running_bot: BotProcess, slack: LocalSlack) -> None:
    envelope, _ = mention(
        slack.state, team_id=slack.state.team_id, user=ALICE, channel=CHANNEL, text="checkout is failing sev1"
    )
    status, _ = await running_bot.post_signed(json.dumps(envelope))
    assert status == 200
    await slack.wait_for(lambda s: [c for c in s.calls_to("chat.postMessage") if c.ok], timeout=5)
    assert await running_bot.signal(signal.SIGTERM) == 0

    entries = running_bot.json_logs()  # every line parses, or this raises
    assert entries, "the bot logged nothing"
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys(), entry
    messages = [entry["message"] for entry in entries]
    assert "Firebreak is up" in messages
    assert "delivered" in messages
    assert "Firebreak stopped" in messages
    delivered = next(entry for entry in entries if entry["message"] == "delivered")
    assert delivered["kind"] == "slack.post_card"
    assert delivered["incident_id"] == 1
    everything = "\n".join(running_bot.stdout + running_bot.stderr)
    assert BOT_TOKEN not in everything
    assert SIGNING_SECRET not in everything
    assert BOT_TOKEN.split("-", 1)[1] not in everything, "not even the token without its prefix"


# ---------------------------------------------------------------------- /healthz in process
async def serve_health(engine: AsyncEngine) -> tuple[web.AppRunner, str]:
    app = web.Application()
    add_routes(app)
    app[ENGINE] = engine
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def get_health(engine: AsyncEngine) -> tuple[int, Any, float]:
    runner, url = await serve_health(engine)
    started = time.monotonic()
    try:
        async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as response:
            return response.status, await response.json(), time.monotonic() - started
    finally:
        await runner.cleanup()


async def test_healthz_is_200_when_the_database_answers(postgres_engine: AsyncEngine) -> None:
    status, body, _ = await get_health(postgres_engine)
    assert (status, body) == (200, {"status": "ok", "database": "ok"})


async def test_healthz_is_503_when_the_database_does_not_answer() -> None:
    dead = create_engine(database_config("postgresql://postgres@127.0.0.1:1/nowhere"))
    try:
        status, body, took = await get_health(dead)
    finally:
        await dead.dispose()
    assert (status, body) == (503, {"status": "unavailable", "database": "unreachable"})
    assert took < HEALTH_TIMEOUT_SECONDS + 1


async def test_healthz_is_503_not_a_hang_when_the_database_stalls() -> None:
    """A database that accepts the connection and then says nothing: the check gives up in time."""
    stalled: list[asyncio.StreamWriter] = []

    async def accept_and_stall(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stalled.append(writer)

    server = await asyncio.start_server(accept_and_stall, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = create_engine(database_config(f"postgresql://postgres@127.0.0.1:{port}/stalled"), pool_pre_ping=False)
    try:
        status, body, took = await get_health(engine)
    finally:
        for writer in stalled:
            writer.close()
        server.close()
        await engine.dispose()
    assert (status, body["status"]) == (503, "unavailable")
    assert took < HEALTH_TIMEOUT_SECONDS + 1


# ---------------------------------------------------------------------- redaction, in process
def test_the_json_formatter_redacts_tokens_wherever_they_appear() -> None:
    formatter = JsonFormatter()
    try:
        raise RuntimeError(f"Slack said no to {BOT_TOKEN}")
    except RuntimeError:
        record = logging.LogRecord("bot.test", logging.ERROR, __file__, 1, "token %s", (BOT_TOKEN,), sys.exc_info())
    record.__dict__["token"] = BOT_TOKEN
    record.__dict__["headers"] = {"Authorization": f"Bearer {BOT_TOKEN}"}
    record.__dict__["app_token"] = "xapp-1-A0FIRE-123-abcdef"
    record.__dict__["ai_key"] = "sk-ant-api03-abcDEF_123-xyz"

    line = formatter.format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["logger"] == "bot.test"
    for secret in (BOT_TOKEN, "xapp-1-A0FIRE-123-abcdef", "sk-ant-api03-abcDEF_123-xyz"):
        assert secret not in line
    assert "[redacted]" in entry["message"]
    assert "[redacted]" in entry["exception"]


def test_alerts_switched_on_without_a_channel_for_unrouted_alerts_is_refused_at_start() -> None:
    settings = Settings(slack_bot_token="xoxb-t", slack_signing_secret="s", alerts_token="a-token")
    with pytest.raises(ConfigError, match=r"ALERTS_TOKEN is set, but \[alerts\] channel is not"):
        web_application(settings, config=FirebreakConfig())
    assert web_application(settings, config=FirebreakConfig(alerts=AlertRouting(channel="C0ALERTS"))) is not None
