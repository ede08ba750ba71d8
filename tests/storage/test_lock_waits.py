"""Waiting for what another transaction holds, on Postgres (SQLite has no row locks): a command
waits at most the session's lock_timeout and is then told that its incident is busy, with nothing
changed; the commands that shared its batch go through, and so do declarations' waits for their
workspace's counter, however many queue for it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import CommandRunner
from storage.database import PING_AFTER_IDLE_SECONDS, SESSION_BOUNDS, create_engine, database_config, unbounded
from storage.lock_waits import Busy
from storage.schema import workspace_counters
from tests.builders import at
from tests.storage.group_commit_support import (
    WAIT_SECONDS,
    HeldLock,
    consistent_timeline,
    declare_many,
    note,
    notes_in,
    together,
)
from tests.storage.helpers import card_effect, count_rows, declare, declare_command


async def test_a_command_on_a_locked_incident_is_refused_and_its_batch_applies(
    postgres_engine: AsyncEngine, workspace: str
) -> None:
    runner = CommandRunner(postgres_engine)
    locked, free = await declare_many(runner, workspace, 2)

    async with HeldLock(postgres_engine, locked.incident_id), asyncio.timeout(WAIT_SECONDS):
        results = await together(
            runner.execute(locked.after.ref, note("a"), now=at(1), idempotency_key="busy:a", effects=card_effect),
            runner.execute(free.after.ref, note("b"), now=at(1), idempotency_key="busy:b", effects=card_effect),
        )

    refused = results[0]
    assert isinstance(refused, Busy), results
    assert refused.message.startswith(f"{locked.after.ref} is being changed by another request")
    assert notes_in(await consistent_timeline(postgres_engine, free)) == ["b"]
    assert await count_rows(postgres_engine, locked.incident_id, "busy:a") == {"events": 1, "outbox": 0, "keys": 0}


async def test_declarations_waiting_for_a_locked_counter_are_all_refused_in_time(
    postgres_engine: AsyncEngine, workspace: str
) -> None:
    """Another replica's declaration holds the workspace's counter and does not finish: the
    declarations queued here behind one another are each refused, none waits on forever, and none
    takes a number."""
    runner = CommandRunner(postgres_engine)
    await declare(runner, workspace)
    hold_counter = update(workspace_counters).where(workspace_counters.c.workspace_id == workspace)
    async with postgres_engine.connect() as other, other.begin():
        await other.execute(hold_counter.values(last_number=workspace_counters.c.last_number))
        async with asyncio.timeout(WAIT_SECONDS):
            results = await together(
                *(runner.declare(workspace, declare_command(f"queued {n}"), now=at(1)) for n in range(4))
            )

    assert [type(result) for result in results] == [Busy] * 4, results
    assert (await declare(runner, workspace)).after.ref.number == 2


async def test_postgres_sessions_carry_the_bounds_and_migrations_do_not(postgres_engine: AsyncEngine) -> None:
    shown = "SELECT current_setting('lock_timeout'), current_setting('idle_in_transaction_session_timeout')"
    async with postgres_engine.connect() as connection:
        assert tuple((await connection.execute(text(shown))).one()) == (
            SESSION_BOUNDS["lock_timeout"],
            SESSION_BOUNDS["idle_in_transaction_session_timeout"],
        )
    async with unbounded(postgres_engine) as migrating, migrating.connect() as connection:
        assert tuple((await connection.execute(text(shown))).one()) == ("0", "0")


async def test_settings_given_for_one_engine_add_to_the_bounds(postgres_url: str) -> None:
    engine = create_engine(
        database_config(postgres_url), connect_args={"server_settings": {"deadlock_timeout": "300ms"}}
    )
    shown = "SELECT current_setting('lock_timeout'), current_setting('deadlock_timeout')"
    try:
        async with engine.connect() as connection:
            assert tuple((await connection.execute(text(shown))).one()) == (SESSION_BOUNDS["lock_timeout"], "300ms")
    finally:
        await engine.dispose()


async def test_a_live_connection_that_sat_idle_is_pinged_and_kept(postgres_url: str) -> None:
    """The idle ping must tell a live connection from a dead one: one that failed every ping would
    reconnect after each quiet second, and re-prepare every statement on its next use."""
    engine = create_engine(database_config(postgres_url), pool_size=1, max_overflow=0)
    backend = text("SELECT pg_backend_pid()")
    try:
        async with engine.connect() as connection:
            first = (await connection.execute(backend)).scalar_one()
        await asyncio.sleep(PING_AFTER_IDLE_SECONDS * 1.5)
        async with engine.connect() as connection:
            assert (await connection.execute(backend)).scalar_one() == first
    finally:
        await engine.dispose()
