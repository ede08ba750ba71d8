"""Two replicas of ``python -m bot`` on one Postgres database and one Slack, one of them killed
(SPEC §7: several replicas, all coordination through Postgres; nothing lost when the bot dies).

Incidents are declared and noted through both replicas while Slack is failing, so every card and
audit line is still in the outbox; one replica is SIGKILLed. The survivor delivers all of it, and
nothing twice: each card is posted once, each audit line appears once.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.local_slack import Call, LocalSlack
from bot.local_slack.payloads import mention
from storage.database import create_engine, database_config
from storage.schema import incident_events, incidents, outbox
from tests.e2e.bot_process import BotProcess
from tests.e2e.harness import ALICE, CHANNEL
from tests.reliability.support import figures
from tests.waiting import poll

pytestmark = pytest.mark.slow

# The dispatcher's default lease: a row claimed by a process that dies is retried after it.
LEASE_SECONDS = 60
# How long a row waits between attempts while Slack fails early on is far shorter than the lease.
BETWEEN_ATTEMPTS_MAX = 30.0


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_config(database_url))
    yield engine
    await engine.dispose()


async def say(replica: BotProcess, slack: LocalSlack, text: str, *, thread_ts: str | None = None) -> str:
    """``@firebreak <text>`` delivered to ``replica``; the mentioning message's ts."""
    envelope, message = mention(
        slack.state, team_id=slack.state.team_id, user=ALICE, channel=CHANNEL, text=text, thread_ts=thread_ts
    )
    status, _ = await replica.post_signed(json.dumps(envelope))
    assert status == 200, replica.output()
    return message.ts


async def outbox_rows(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(select(outbox).order_by(outbox.c.id))).mappings())


async def incident_count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(incidents))).scalar_one())


async def commands_recorded(engine: AsyncEngine) -> int:
    """Declarations and notes in the timeline: one event each."""
    async with engine.connect() as connection:
        query = select(func.count()).where(incident_events.c.type.in_(["declared", "note_added"]))
        return int((await connection.execute(query)).scalar_one())


def pending(rows: list[Any]) -> list[Any]:
    return [row for row in rows if row["delivered_at"] is None and row["failed_at"] is None]


def seconds_until(row: Any) -> float:
    return float((row["next_attempt_at"] - datetime.now(UTC)).total_seconds())


def posted(slack: LocalSlack) -> list[Call]:
    return [call for call in slack.calls_to("chat.postMessage") if call.ok]


def cards_of(slack: LocalSlack, number: int) -> list[Call]:
    return [c for c in posted(slack) if c.args.get("blocks") and f"INC-{number} ·" in str(c.args.get("text"))]


def audit_lines(slack: LocalSlack) -> list[str]:
    """Every line of every thread message Slack accepted (audit lines may be merged into one)."""
    return [line for c in posted(slack) if c.args.get("thread_ts") for line in str(c.args["text"]).splitlines()]


async def test_the_surviving_replica_delivers_everything_once(
    slack: LocalSlack, engine: AsyncEngine, spawn: Callable[[], Awaitable[BotProcess]]
) -> None:
    slack.fail("chat.postMessage", status=500, times=None)  # Slack is down: everything stays pending
    first, second = await spawn(), await spawn()
    replicas = {"A": first, "B": second}

    # Each replica declares three incidents and notes each of them twice, through the other too.
    homes: list[str] = []
    for name, replica in replicas.items():
        for index in range(3):
            homes.append(await say(replica, slack, f"{name} outage {index} sev2"))
    notes: list[str] = []
    for number in range(1, len(homes) + 1):
        for name, replica in replicas.items():
            note = f"note-{number}-{name}"
            # Named from the channel, not typed in the thread (which a reaction would answer), so
            # each note is one audit line to count.
            await say(replica, slack, f"note INC-{number} {note}")
            notes.append(note)
    sent = len(homes) + len(notes)
    assert await incident_count(engine) == len(homes)

    # Every incident's card has been tried and failed; no row is leased to a send in flight.
    async def between_attempts() -> bool:
        rows = pending(await outbox_rows(engine))
        cards = [r for r in rows if r["kind"] == "slack.post_card"]
        tried = len(cards) == len(homes) and all(r["attempts"] >= 1 and r["last_error"] for r in cards)
        return tried and all(seconds_until(r) < BETWEEN_ATTEMPTS_MAX for r in rows)

    await poll(between_attempts, timeout=20, what="every card to have failed once, none in flight")
    assert await first.signal(signal.SIGKILL) == -signal.SIGKILL
    killed_at = time.monotonic()
    leased = [r for r in pending(await outbox_rows(engine)) if seconds_until(r) > BETWEEN_ATTEMPTS_MAX]
    pending_at_kill = len(pending(await outbox_rows(engine)))
    assert pending_at_kill >= len(homes) + len(notes)
    assert posted(slack) == []

    slack.clear_faults()  # Slack is back; only the survivor is left to deliver

    async def drained() -> bool:
        return not pending(await outbox_rows(engine))

    await poll(drained, timeout=LEASE_SECONDS + 30 if leased else 30, what="the survivor to drain the outbox")
    drained_in = time.monotonic() - killed_at
    await asyncio.sleep(1.5)  # a sweep or more: nothing else goes out

    rows = await outbox_rows(engine)
    lines = audit_lines(slack)
    card_posts = {number: len(cards_of(slack, number)) for number in range(1, len(homes) + 1)}
    line_posts = {note: sum(line.endswith(f" {note}") for line in lines) for note in notes}
    duplicates = sum(n - 1 for n in [*card_posts.values(), *line_posts.values()] if n > 1)
    figures(
        "two_replicas_one_killed",
        replicas=2,
        commands_sent=sent,
        commands_applied=await commands_recorded(engine),
        rows_pending_at_kill=pending_at_kill,
        rows_leased_by_killed_replica=len(leased),
        deliveries_attempted=sum(r["attempts"] for r in rows),
        deliveries_succeeded=sum(1 for r in rows if r["delivered_at"] is not None),
        deliveries_failed=sum(1 for r in rows if r["failed_at"] is not None),
        cards_posted=sum(card_posts.values()),
        audit_lines_posted=sum(line_posts.values()),
        duplicates=duplicates,
        drained_after_kill_s=round(drained_in, 1),
    )
    assert await commands_recorded(engine) == sent
    assert card_posts == dict.fromkeys(card_posts, 1), slack.summary()
    assert line_posts == dict.fromkeys(notes, 1), slack.summary()
    assert all(r["failed_at"] is None for r in rows)
    assert await second.signal(signal.SIGTERM) == 0, second.output()


async def test_a_send_cut_off_by_the_kill_is_taken_over_after_its_lease(
    slack: LocalSlack, engine: AsyncEngine, spawn: Callable[[], Awaitable[BotProcess]]
) -> None:
    """The harder case: the killed replica was in the middle of sending (Slack had not answered).
    Its row stays leased to it; the survivor takes it over once the lease (60 s) runs out."""
    slack.hang("chat.postMessage", seconds=LEASE_SECONDS * 3, times=1)  # never answers the first post
    first = await spawn()
    await say(first, slack, "checkout is failing sev1")

    async def in_flight() -> bool:
        rows = await outbox_rows(engine)
        return bool(rows) and rows[0]["attempts"] >= 1 and seconds_until(rows[0]) > BETWEEN_ATTEMPTS_MAX

    await poll(in_flight, timeout=10, what="the card send to be in flight")
    second = await spawn()
    assert await first.signal(signal.SIGKILL) == -signal.SIGKILL
    killed_at = time.monotonic()
    lease_left = seconds_until((await outbox_rows(engine))[0])

    async def card_posted() -> bool:
        return bool(cards_of(slack, 1))

    await poll(card_posted, timeout=LEASE_SECONDS + 30, what="the card, posted by the survivor")
    taken_over_in = time.monotonic() - killed_at
    await asyncio.sleep(1.5)
    [row] = [r for r in await outbox_rows(engine) if r["kind"] == "slack.post_card"]
    figures(
        "replica_killed_mid_send",
        lease_s=LEASE_SECONDS,
        lease_left_at_kill_s=round(lease_left, 1),
        card_posted_after_kill_s=round(taken_over_in, 1),
        cards_posted=len(cards_of(slack, 1)),
        attempts=row["attempts"],
    )
    assert len(cards_of(slack, 1)) == 1
    assert row["delivered_at"] is not None
    assert taken_over_in >= lease_left - 2, "not before the lease ran out"
    assert await second.signal(signal.SIGTERM) == 0, second.output()
