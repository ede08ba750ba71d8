"""Which incidents changed reaches whoever watches once the change commits — on SQLite in the process,
on Postgres on every replica through the trigger's NOTIFY — and never for a change rolled back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import CommandRunner
from domain.commands import AddNote, ChangeSeverity
from domain.errors import DomainError
from domain.severity import Severity
from storage.change_feed import Changed, ChangeHub, PostgresListener, hub_of
from storage.database import create_engine, database_config
from storage.unit_of_work import UnitOfWork
from tests.builders import at
from tests.storage.helpers import declare

# Only a wait for something that is expected to arrive; a notice that must not come is checked
# after a later one has (notices arrive in commit order).
ARRIVAL_SECONDS = 5.0


async def next_notice(queue: asyncio.Queue[Changed | None]) -> Changed:
    notice = await asyncio.wait_for(queue.get(), timeout=ARRIVAL_SECONDS)
    assert notice is not None, "the hub closed"
    return notice


async def ids_until(queue: asyncio.Queue[Changed | None], wanted: int) -> set[int]:
    """Every incident id heard until ``wanted`` is (notices of one commit may come apart)."""
    heard: set[int] = set()
    while wanted not in heard:
        heard |= (await next_notice(queue)).incident_ids
    return heard


@pytest.fixture
async def listening(postgres_engine: AsyncEngine) -> AsyncIterator[PostgresListener]:
    listener = PostgresListener(postgres_engine)
    listener.start()
    await asyncio.wait_for(listener.listening.wait(), ARRIVAL_SECONDS)
    yield listener
    await listener.stop()


@pytest.fixture
def watched(request: pytest.FixtureRequest, engine: AsyncEngine) -> AsyncEngine:
    """``engine``, with someone listening for its changes the way the bot does on that database."""
    if engine.dialect.name == "postgresql":
        request.getfixturevalue("listening")
    return engine


async def test_each_committed_change_names_its_incident(watched: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(watched)
    with hub_of(watched).subscribe() as queue:
        first = await declare(runner, workspace)
        assert first.incident_id in await ids_until(queue, first.incident_id)
        second = await declare(runner, workspace)
        assert second.incident_id in await ids_until(queue, second.incident_id)
        await runner.execute(first.after.ref, AddNote(actor="U1", text="a note"), now=at(1))
        assert first.incident_id in await ids_until(queue, first.incident_id)
        async with UnitOfWork(watched) as uow:  # what the Slack sender does once the card is posted
            await uow.incidents.record_card(second.incident_id, "1700000000.000100")
        assert second.incident_id in await ids_until(queue, second.incident_id)


async def test_a_refused_or_rolled_back_change_says_nothing(watched: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(watched)
    declared = await declare(runner, workspace)
    other = await declare(runner, workspace)
    with hub_of(watched).subscribe() as queue:
        with pytest.raises(DomainError):  # already SEV2: refused, nothing written
            await runner.execute(declared.after.ref, ChangeSeverity(actor="U1", severity=Severity(2)), now=at(1))
        with pytest.raises(RuntimeError):
            await record_card_then_fail(watched, declared.incident_id)
        await runner.execute(other.after.ref, AddNote(actor="U1", text="a later change"), now=at(2))
        assert await ids_until(queue, other.incident_id) == {other.incident_id}


async def record_card_then_fail(engine: AsyncEngine, incident_id: int) -> None:
    async with UnitOfWork(engine) as uow:
        await uow.incidents.record_card(incident_id, "1700000000.000200")
        raise RuntimeError("the transaction fails after the write")


async def test_a_change_made_by_another_replica_is_heard(
    listening: PostgresListener, postgres_engine: AsyncEngine, postgres_url: str, workspace: str
) -> None:
    replica = create_engine(database_config(postgres_url))
    try:
        with hub_of(postgres_engine).subscribe() as queue:
            declared = await declare(CommandRunner(replica), workspace)
            assert declared.incident_id in await ids_until(queue, declared.incident_id)
    finally:
        await replica.dispose()


async def test_a_dropped_listening_connection_says_anything_may_have_changed_then_resumes(
    listening: PostgresListener, postgres_engine: AsyncEngine, workspace: str
) -> None:
    with hub_of(postgres_engine).subscribe() as queue:
        async with postgres_engine.connect() as connection:
            await connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'")
            )
        assert (await next_notice(queue)).anything
        declared = await declare(CommandRunner(postgres_engine), workspace)
        assert declared.incident_id in await ids_until(queue, declared.incident_id)


def test_a_watcher_that_reconnects_is_given_what_it_missed_or_told_to_look_again() -> None:
    hub = ChangeHub()
    hub.publish({1})
    seen = hub.seq
    hub.publish({2})
    hub.publish({3})
    with hub.subscribe(after=seen) as queue:
        assert [queue.get_nowait() for _ in range(queue.qsize())] == [
            Changed(2, frozenset({2})),
            Changed(3, frozenset({3})),
        ]
    with hub.subscribe(after=hub.seq) as queue:
        assert queue.empty()
    for number in range(2000):
        hub.publish({number})
    with hub.subscribe(after=seen) as queue:  # too long ago to be kept
        assert queue.qsize() == 1
        assert queue.get_nowait() == Changed(hub.seq, frozenset())


def test_a_watcher_too_far_behind_gets_one_notice_covering_everything() -> None:
    hub = ChangeHub()
    with hub.subscribe() as queue:
        for number in range(1000):
            hub.publish({number})
        first, *rest = [queue.get_nowait() for _ in range(queue.qsize())]
        assert first is not None
        assert first.anything
        assert [notice.seq for notice in rest if notice is not None] == list(range(first.seq + 1, hub.seq + 1))
        hub.close()
        assert queue.get_nowait() is None
