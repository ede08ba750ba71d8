"""Delivery survives the bot dying: ``python -m bot`` killed after committing a declaration but
before Slack took the card delivers it, exactly once, when a new process starts; and SIGTERM is a
clean, prompt exit (SPEC §7, §8)."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.local_slack import LocalSlack
from bot.local_slack.payloads import mention
from storage.database import create_engine, database_config
from storage.schema import incidents, outbox
from tests.e2e.bot_process import BotProcess, bot_environment
from tests.e2e.harness import ALICE, CHANNEL
from tests.waiting import poll


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The test's own view of the bot's database."""
    engine = create_engine(database_config(database_url))
    yield engine
    await engine.dispose()


@pytest.fixture
async def spawn(slack: LocalSlack, database_url: str) -> AsyncIterator[Callable[[], BotProcess]]:
    """New ``python -m bot`` processes on the test's database and fake Slack; all killed at the end."""
    started: list[BotProcess] = []

    def new_process() -> BotProcess:
        process = BotProcess(bot_environment(slack.token, slack.base_url, database_url))
        started.append(process)
        return process

    yield new_process
    for process in started:
        await process.ensure_stopped()


def mention_envelope(slack: LocalSlack, text: str) -> str:
    envelope, _ = mention(slack.state, team_id=slack.state.team_id, user=ALICE, channel=CHANNEL, text=text)
    return json.dumps(envelope)


async def card_row(engine: AsyncEngine) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(select(outbox).where(outbox.c.kind == "slack.post_card"))).mappings().first()


async def card_ts(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return (await connection.execute(select(incidents.c.card_ts))).scalar_one_or_none()


def posted_cards(slack: LocalSlack) -> list[Any]:
    return [c for c in slack.calls_to("chat.postMessage") if c.ok and "header" in str(c.args.get("blocks"))]


async def test_a_card_committed_before_a_crash_is_posted_once_after_restart(
    slack: LocalSlack, engine: AsyncEngine, spawn: Callable[[], BotProcess]
) -> None:
    slack.fail("chat.postMessage", status=500, times=None)  # Slack is down for the first process
    first = spawn()
    await first.start()
    await first.wait_until_healthy()

    status, _ = await first.post_signed(mention_envelope(slack, "checkout is failing sev1"))
    assert status == 200, first.output()

    # Committed before the ack; the first process has tried Slack and is now waiting to retry
    # (not in the middle of a send, which would leave the row leased to the dead process).
    async def between_attempts() -> bool:
        row = await card_row(engine)
        if row is None or row["last_error"] is None:
            return False
        wait: float = (row["next_attempt_at"] - datetime.now(UTC)).total_seconds()
        return 0.25 < wait < 30

    await poll(between_attempts, timeout=10, what="a failed card attempt")
    assert await first.signal(signal.SIGKILL) == -signal.SIGKILL
    before_restart = await card_row(engine)
    assert before_restart["delivered_at"] is None
    assert before_restart["attempts"] >= 1
    assert posted_cards(slack) == []

    slack.clear_faults()  # Slack is back
    second = spawn()
    await second.start()
    await second.wait_until_healthy()

    ts = await poll(lambda: card_ts(engine), timeout=10, what="the card, posted by the second process")
    await asyncio.sleep(1.5)  # a sweep or more: nothing goes out twice
    [posted] = posted_cards(slack)
    assert posted.response["ts"] == ts
    cards = [m for m in slack.messages(CHANNEL) if m.blocks]
    assert len(cards) == 1, slack.summary()
    row = await card_row(engine)
    assert row["delivered_at"] is not None
    assert row["attempts"] == before_restart["attempts"] + 1
    assert await second.signal(signal.SIGTERM) == 0, second.output()


async def test_sigterm_exits_promptly_and_cleanly(slack: LocalSlack, spawn: Callable[[], BotProcess]) -> None:
    bot = spawn()
    await bot.start()
    await bot.wait_until_healthy()
    status, _ = await bot.post_signed(mention_envelope(slack, "search is down sev2"))
    assert status == 200
    await slack.wait_for(posted_cards, timeout=5, what="the card")

    started = time.monotonic()
    code = await bot.signal(signal.SIGTERM, timeout=10)

    assert code == 0, bot.output()
    assert time.monotonic() - started < 10
    assert any(entry["message"] == "Firebreak stopped" for entry in bot.json_logs()), bot.output()
    assert not any("Traceback" in line for line in bot.stderr), bot.output()


async def test_sigterm_while_slack_hangs_still_exits_within_ten_seconds(
    slack: LocalSlack, engine: AsyncEngine, spawn: Callable[[], BotProcess]
) -> None:
    """A delivery in flight (Slack not answering) must not hold the shutdown past 10 s; what was
    not delivered stays in the outbox for the next start."""
    slack.hang("chat.postMessage", seconds=60, times=None)
    bot = spawn()
    await bot.start()
    await bot.wait_until_healthy()
    status, _ = await bot.post_signed(mention_envelope(slack, "payments are slow sev2"))
    assert status == 200

    async def in_flight() -> bool:
        row = await card_row(engine)
        return row is not None and row["attempts"] >= 1 and row["delivered_at"] is None

    await poll(in_flight, timeout=5, what="the card send to start")
    started = time.monotonic()
    code = await bot.signal(signal.SIGTERM, timeout=12)

    elapsed = time.monotonic() - started
    assert elapsed < 10, f"took {elapsed:.1f}s to stop\n{bot.output()}"
    assert code == 0, bot.output()
    row = await card_row(engine)
    assert (row["delivered_at"], row["failed_at"]) == (None, None), "left for the next start"
