"""What ``python -m bot`` logs while nothing happens: only what an operator needs to read. No line
per scheduler tick, no Bolt warning on every start, and no advice about replicas in the playground
(it holds for a deployment only)."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

import pytest

from bot.local_slack import LocalSlack
from bot.runtime.child_environment import clean_environment, free_port
from storage.database import create_engine, database_config
from storage.scratch_databases import fresh_postgres_database
from tests.e2e.bot_process import BotProcess
from tests.e2e.harness import SIGNING_SECRET
from tests.waiting import poll

# Several one-second ticks: before the fix, each logged two APScheduler lines.
IDLE_SECONDS = 3.5
REPLICAS_ADVICE = "run several replicas only on Postgres"
IDENTITY_LEARNED = "learned the bot's identity from Slack"


def _lines(entries: list[dict[str, Any]]) -> str:
    return "\n".join(f"{e['level']} {e['logger']} {e['message']}" for e in entries)


async def test_an_idle_bot_logs_no_routine_ticks_and_no_warning(slack: LocalSlack, tmp_path: Path) -> None:
    config = tmp_path / "firebreak.toml"
    config.write_text('[scheduler]\ntick = "1s"\n')
    async with fresh_postgres_database("firebreak_quiet") as url:
        bot = BotProcess(
            clean_environment(
                SLACK_BOT_TOKEN=slack.token,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=slack.base_url,
                DATABASE_URL=url,
                FIREBREAK_CONFIG=str(config),
                PORT=str(free_port()),
                LOG_LEVEL="INFO",
            )
        )
        async with bot.running():
            await asyncio.sleep(IDLE_SECONDS)
            assert await bot.signal(signal.SIGTERM) == 0

    entries = bot.json_logs()
    assert [e for e in entries if e["logger"].startswith("apscheduler")] == [], _lines(entries)
    scheduler = [e["message"] for e in entries if e["logger"] == "bot.sla.scheduler"]
    assert scheduler == ["SLA scheduler started"], _lines(entries)
    # Bolt's "As you gave `client` as well, `token` will be unused" was one of these, on every start.
    assert [e for e in entries if e["level"] == "WARNING"] == [], _lines(entries)
    assert not any("will be unused" in line for line in bot.stdout + bot.stderr)


async def test_the_playground_starts_quietly_and_gives_no_advice_about_replicas(tmp_path: Path) -> None:
    bot = BotProcess(clean_environment(PORT=str(free_port()), DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"))
    async with bot.running():

        async def identity_learned() -> bool:
            return IDENTITY_LEARNED in [e["message"] for e in bot.json_logs()]

        await poll(identity_learned, 5, "the bot to learn who it is")
        assert await bot.signal(signal.SIGTERM) == 0

    entries = bot.json_logs()
    assert "Firebreak is up" in [e["message"] for e in entries]
    assert not any(REPLICAS_ADVICE in line for line in bot.stdout + bot.stderr), _lines(entries)
    # The local Slack is this same server: the bot asks it who it is once it listens, so the first
    # question is answered (it used to fail twice, with a warning each, and hold startup 3 s).
    [learned] = [e for e in entries if e["message"] == IDENTITY_LEARNED]
    assert learned["attempts"] == 1, _lines(entries)
    assert [e for e in entries if e["level"] == "WARNING"] == [], _lines(entries)
    assert [e for e in entries if e["logger"] == "mail.log"] == [], "the playground's mail server is quiet"


async def test_a_deployment_on_sqlite_is_told_replicas_need_postgres(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="storage.database")
    deployed = create_engine(database_config(None, str(tmp_path / "deployed.db")))
    playground = create_engine(database_config(None, str(tmp_path / "playground.db"), deployment=False))
    await deployed.dispose()
    await playground.dispose()

    advice = [r for r in caplog.records if REPLICAS_ADVICE in r.getMessage()]
    assert len(advice) == 1
    assert "deployed.db" in advice[0].getMessage()
