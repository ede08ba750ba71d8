"""Group commit when a whole batch fails: a conflict or a deadlock re-runs each command alone, once;
an unreachable database answers every command at once — on Postgres and SQLite where both can.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import Change, CommandRunner, Duplicate
from bot.runtime.child_environment import free_port
from domain.incident import IncidentRef
from storage.database import create_engine, database_config
from storage.stored import OutboxMessage
from storage.unit_of_work import UnitOfWork
from tests.builders import at
from tests.storage.group_commit_support import (
    HeldLock,
    change_of,
    consistent_timeline,
    counting_transactions,
    declare_many,
    lock_row,
    note,
    notes_in,
    observing,
    postgres_only,
    queue_behind,
    take_next_seq,
    timeline,
    together,
    waited_for,
)
from tests.storage.helpers import card_effect, count_rows, declare, replayed

# --- the whole batch fails ---------------------------------------------------------------------


async def test_a_batch_failing_on_a_conflict_is_rerun_command_by_command(engine: AsyncEngine, workspace: str) -> None:
    """The seq one command is about to take is already taken: the batch's events insert violates the
    unique (incident_id, seq) key. Re-run alone, the others commit and only the guilty command gets
    the IntegrityError."""
    runner = CommandRunner(engine)
    first, guilty, last = await declare_many(runner, workspace, 3)
    await take_next_seq(engine, guilty)

    with counting_transactions(engine) as transactions:
        results = await together(
            runner.execute(first.after.ref, note("a"), now=at(1), idempotency_key="ie:a", effects=card_effect),
            runner.execute(guilty.after.ref, note("b"), now=at(1), idempotency_key="ie:b", effects=card_effect),
            runner.execute(last.after.ref, note("c"), now=at(1), idempotency_key="ie:c", effects=card_effect),
        )

    assert [type(result) for result in results] == [Change, IntegrityError, Change]
    # The batch, then each command alone, once; the batch and the guilty command rolled back.
    assert (transactions.begun, transactions.committed) == (4, 2)
    assert notes_in(await consistent_timeline(engine, first)) == ["a"]
    assert notes_in(await consistent_timeline(engine, last)) == ["c"]
    assert await count_rows(engine, first.incident_id, "ie:a") == {"events": 2, "outbox": 1, "keys": 1}
    # Of the guilty command nothing is written: the rogue event is all there is.
    assert await count_rows(engine, guilty.incident_id, "ie:b") == {"events": 2, "outbox": 0, "keys": 0}
    assert notes_in(await timeline(engine, guilty.incident_id)) == ["sneaked"]
    assert (await replayed(engine, guilty.after.ref))[0] == guilty.after


async def test_a_command_whose_caller_left_is_not_rerun(engine: AsyncEngine, workspace: str) -> None:
    """A batch fails on a conflict after one of its callers has gone: the re-run skips that command,
    so what nobody is waiting for is never applied."""
    runner = CommandRunner(engine)
    first, guilty, abandoned = await declare_many(runner, workspace, 3)
    await take_next_seq(engine, guilty)

    async with HeldLock(engine, first.incident_id) as held:
        with counting_transactions(engine) as transactions:
            staying, failing, leaving = await queue_behind(
                runner.execute(first.after.ref, note("a"), now=at(1), idempotency_key="left:a"),
                runner.execute(guilty.after.ref, note("b"), now=at(1), idempotency_key="left:b"),
                runner.execute(abandoned.after.ref, note("gone"), now=at(1), idempotency_key="left:c"),
            )
            await held.reached()
            leaving.cancel()
            await held.release()
            results = await together(staying, failing, leaving)
            # The same request again, submitted once the others are answered: it queues behind
            # whatever the re-run still has to do, so it sees that done.
            retried = await runner.execute(
                abandoned.after.ref, note("back"), now=at(2), idempotency_key="left:c", effects=card_effect
            )

    assert [type(result) for result in results] == [Change, IntegrityError, asyncio.CancelledError]
    # The batch, then the two commands whose callers are still waiting, alone; then the retry.
    assert (transactions.begun, transactions.committed) == (4, 2)
    assert notes_in(await timeline(engine, first.incident_id)) == ["a"]
    # The abandoned command left no key and no event: the retry applies, at the next seq.
    assert [item.seq for item in change_of(retried).events] == [2]
    assert notes_in(await consistent_timeline(engine, abandoned)) == ["back"]


class RivalClaim:
    """Another transaction (another replica, a ``record`` with the same key) claims ``key`` before
    the batch reads which keys are taken, and commits once the batch has accepted the command: the
    batch cannot see the claim, and its own insert of the key conflicts with it."""

    def __init__(self, engine: AsyncEngine, key: str) -> None:
        self._engine, self._key = engine, key
        self.decisions = 0
        self._decided = asyncio.Event()
        self._transaction = AsyncExitStack()
        self._committed: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RivalClaim:
        rival = await self._transaction.enter_async_context(UnitOfWork(self._engine))
        assert await rival.requests.claim(self._key, at(1))
        self._committed = asyncio.ensure_future(self._commit_once_decided())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """The rival has committed, even if the batch never got as far as deciding."""
        self._decided.set()
        assert self._committed is not None
        await self._committed

    def effects(self, change: Change) -> Sequence[OutboxMessage]:
        """Called once the batch has read the taken keys and accepted the command: the rival commits
        now, and the batch's insert of the key fails (at once, or as soon as the rival commits)."""
        self.decisions += 1
        self._decided.set()
        return card_effect(change)

    async def _commit_once_decided(self) -> None:
        await self._decided.wait()
        await self._transaction.aclose()


ONE_WRITER = "SQLite admits one writer at a time: no other transaction can claim a key during a batch"


async def test_a_key_claimed_concurrently_fails_the_batch_and_alone_is_a_duplicate(
    engine: AsyncEngine, workspace: str
) -> None:
    postgres_only(engine, ONE_WRITER)
    runner = CommandRunner(engine)
    first, guilty, last = await declare_many(runner, workspace, 3)

    async with RivalClaim(engine, "race:b") as rival:
        with counting_transactions(engine) as transactions:
            results = await together(
                runner.execute(first.after.ref, note("a"), now=at(1), idempotency_key="race:a", effects=card_effect),
                runner.execute(guilty.after.ref, note("b"), now=at(1), idempotency_key="race:b", effects=rival.effects),
                runner.execute(last.after.ref, note("c"), now=at(1), idempotency_key="race:c", effects=card_effect),
            )

    # The batch's record of the keys hit the rival's: IntegrityError, so each was run alone, and
    # alone the guilty command found its key taken before deciding anything.
    assert [type(result) for result in results] == [Change, Duplicate, Change]
    assert results[1] == Duplicate("race:b")
    assert rival.decisions == 1
    assert notes_in(await consistent_timeline(engine, first)) == ["a"]
    assert notes_in(await consistent_timeline(engine, last)) == ["c"]
    assert notes_in(await consistent_timeline(engine, guilty)) == []
    # The batch, then each command alone; committed: the rival, then each alone (the duplicate's
    # transaction commits nothing).
    assert (transactions.begun, transactions.committed) == (4, 4)


async def test_a_key_claimed_concurrently_is_a_duplicate_for_a_command_alone(
    engine: AsyncEngine, workspace: str
) -> None:
    """A batch of one is re-run too: the answer to a key race does not depend on company."""
    postgres_only(engine, ONE_WRITER)
    runner = CommandRunner(engine)
    guilty = await declare(runner, workspace)

    async with RivalClaim(engine, "race:alone") as rival:
        with counting_transactions(engine) as transactions:
            result = await runner.execute(
                guilty.after.ref, note("b"), now=at(1), idempotency_key="race:alone", effects=rival.effects
            )

    assert result == Duplicate("race:alone")
    assert rival.decisions == 1
    assert (transactions.begun, transactions.committed) == (2, 2)
    assert notes_in(await consistent_timeline(engine, guilty)) == []


async def test_a_batch_that_deadlocks_is_rerun_command_by_command(
    engine: AsyncEngine, workspace: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Another transaction locks the second incident, the batch locks the first and waits for the
    second, then the other transaction asks for the first: a deadlock, which Postgres breaks by
    failing one of the two with sqlstate 40P01. The runner's sessions detect it well before the other
    transaction's, so it is the batch that fails; each of its commands then runs alone, and applies."""
    postgres_only(
        engine, "SQLite has no row locks: its transactions take the write lock one at a time and never deadlock"
    )
    # Short enough for a quick test, long enough for the other transaction to close the cycle
    # before the batch's session looks for one.
    quick = create_engine(
        database_config(engine.url.render_as_string(hide_password=False)),
        connect_args={"server_settings": {"deadlock_timeout": "300ms"}},
    )
    try:
        runner = CommandRunner(quick)
        first, second = await declare_many(runner, workspace, 2)
        assert first.incident_id < second.incident_id  # the batch locks in id order

        with counting_transactions(quick) as transactions, caplog.at_level(logging.WARNING, "bot.handler.group_commit"):
            async with engine.connect() as other, other.begin():
                await other.execute(text("SET LOCAL deadlock_timeout = '10s'"))
                await other.execute(lock_row(second.incident_id))
                batch = asyncio.ensure_future(
                    together(
                        runner.execute(first.after.ref, note("a"), now=at(1), idempotency_key="deadlock:a"),
                        runner.execute(second.after.ref, note("b"), now=at(1), idempotency_key="deadlock:b"),
                    )
                )
                await waited_for(other)
                # Returns once Postgres has failed the batch, which releases the first incident.
                await other.execute(lock_row(first.incident_id))
            results = await batch
    finally:
        await quick.dispose()

    [failed] = [record for record in caplog.records if record.name == "bot.handler.group_commit"]
    error = failed.args[1] if isinstance(failed.args, tuple) else None
    assert isinstance(error, DBAPIError)
    assert getattr(error.orig, "sqlstate", None) == "40P01"
    assert [type(result) for result in results] == [Change, Change]
    assert (transactions.begun, transactions.committed) == (3, 2)
    assert notes_in(await timeline(engine, first.incident_id)) == ["a"]
    assert notes_in(await timeline(engine, second.incident_id)) == ["b"]


@asynccontextmanager
async def unreachable(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine of ``engine``'s kind whose database cannot be reached: a Postgres port nothing
    listens on, or an SQLite file in a directory that does not exist."""
    if engine.dialect.name == "postgresql":
        config = database_config(f"postgresql://postgres@127.0.0.1:{free_port()}/firebreak")
    else:
        config = database_config(None, str(tmp_path / "missing" / "firebreak.db"))
    down = create_engine(config)
    try:
        yield down
    finally:
        await down.dispose()


async def test_a_failure_outside_the_data_fails_the_whole_batch_at_once(
    engine: AsyncEngine, workspace: str, tmp_path: Path
) -> None:
    async with unreachable(engine, tmp_path) as down:
        runner = CommandRunner(down)
        with observing(down, "do_connect") as attempts:
            results = await together(
                *(
                    runner.execute(
                        IncidentRef(workspace, number), note("lost"), now=at(1), idempotency_key=f"down:{number}"
                    )
                    for number in range(1, 6)
                )
            )
            # Every command is answered with the very same error, from one attempt to connect: the
            # batch was not re-run command by command.
            assert isinstance(results[0], ConnectionRefusedError | OperationalError)
            assert all(result is results[0] for result in results)
            assert attempts.count == 1

            # The runner is not wedged by the failure: the next command is tried afresh.
            with pytest.raises(type(results[0])) as again:
                await runner.execute(IncidentRef(workspace, 1), note("later"), now=at(2))
            assert again.value is not results[0]
            assert attempts.count == 2
