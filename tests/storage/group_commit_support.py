"""What the group-commit tests share: counted transactions and statements, a lock held by another
transaction to keep a batch in flight, and builders and readers of incidents.

Commands submitted at once (``asyncio.gather``) queue while the first transaction is in flight and
run as one batch. To hold a batch in flight, another transaction holds what the batch waits for (see
:class:`HeldLock`). Where a test depends on batching, counted transactions prove it happened, and
counted BEGINs prove whether a failed batch was re-run command by command.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from sqlalchemy import Select, event, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from bot.handler.runner import Change, CommandRunner, Duplicate
from domain.commands import AddNote
from domain.events import NoteAdded
from storage.idempotency import ProcessedRequests
from storage.incident_lookup import Candidates, Finder, Lookup
from storage.schema import incidents, outbox
from storage.stored import OutboxMessage, RecordedEvent, StoredIncident
from storage.unit_of_work import UnitOfWork
from tests.builders import T0, at
from tests.storage.helpers import declare, declare_command, replayed

Outcome = Change | Duplicate | BaseException

# How long a test waits for something it has set in motion before failing instead of hanging.
WAIT_SECONDS = 5


# --- instruments -------------------------------------------------------------------------------


@dataclass
class Fired:
    """The arguments of each time an engine event fired."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.calls)


@contextmanager
def observing(engine: AsyncEngine, name: str) -> Iterator[Fired]:
    """Records each ``name`` event (``commit``, ``do_connect``, ...) ``engine`` fires while the block runs."""
    fired = Fired()

    def listener(*args: Any) -> None:
        fired.calls.append(args)

    event.listen(engine.sync_engine, name, listener)
    try:
        yield fired
    finally:
        event.remove(engine.sync_engine, name, listener)


@dataclass(frozen=True)
class Transactions:
    _begun: Fired
    _committed: Fired

    @property
    def begun(self) -> int:
        return self._begun.count

    @property
    def committed(self) -> int:
        return self._committed.count


@contextmanager
def counting_transactions(engine: AsyncEngine) -> Iterator[Transactions]:
    """Counts the transactions begun and committed on ``engine`` while the block runs: a batch that
    is re-run command by command begins one more for each command it runs again."""
    with observing(engine, "begin") as begun, observing(engine, "commit") as committed:
        yield Transactions(begun, committed)


@contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[Fired]:
    with observing(engine, "before_cursor_execute") as statements:
        yield statements


_READS_INCIDENTS = re.compile(r"\s*SELECT\b.*?\bFROM incidents\b", re.DOTALL)


def incident_reads(statements: Fired) -> int:
    """How many of the statements read the incidents table."""
    return sum(1 for call in statements.calls if _READS_INCIDENTS.match(call[2]))


async def together(*pending: Awaitable[Change | Duplicate]) -> list[Outcome]:
    """Each answer, a result or the exception raised, in submission order. Submitted at once, the
    commands all queue before the first batch starts."""
    return list(await asyncio.gather(*pending, return_exceptions=True))


async def queue_behind(*pending: Awaitable[Change | Duplicate]) -> list[asyncio.Future[Change | Duplicate]]:
    """Submit, and return once every command is waiting in the queue (submitting appends to the
    queue before the first await, so one turn of the loop is enough)."""
    tasks: list[asyncio.Future[Change | Duplicate]] = [asyncio.ensure_future(job) for job in pending]
    await asyncio.sleep(0)
    return tasks


def lock_row(incident_id: int) -> Select[tuple[object, ...]]:
    return select(incidents.c.id).where(incidents.c.id == incident_id).with_for_update()


async def waited_for(holder: AsyncConnection) -> None:
    """Until another session waits for a lock ``holder``'s transaction holds. Postgres says whom a
    session waits for only when asked, so this asks, on ``holder`` itself (pg_locks is read live,
    not from a snapshot), every few milliseconds, for a bounded time."""
    waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))")
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            if (await holder.execute(waiting)).scalar_one():
                return
            await asyncio.sleep(0.005)


class HeldLock:
    """Another transaction in the way of a batch that reads ``incident_id``, until released.

    On Postgres it holds the incident's row lock (``SELECT … FOR UPDATE``), so the batch waits in
    its candidates read. SQLite has no row locks: there the other transaction's ``BEGIN IMMEDIATE``
    holds the database's write lock, so every batch waits in its own BEGIN. Released by rolling
    back, it commits nothing, unless told to commit what it wrote meanwhile.
    """

    def __init__(self, engine: AsyncEngine, incident_id: int) -> None:
        self._engine = engine
        self._incident_id = incident_id
        self._reached = asyncio.Event()
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None

    async def __aenter__(self) -> HeldLock:
        self._connection = await self._engine.connect()
        self._transaction = await self._connection.begin()
        if self._engine.dialect.name == "postgresql":
            await self._connection.execute(lock_row(self._incident_id))
        event.listen(self._engine.sync_engine, "before_cursor_execute", self._on_statement)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.release()

    def _on_statement(self, connection: Connection, *_args: object) -> None:
        assert self._connection is not None
        if connection is not self._connection.sync_connection:
            self._reached.set()

    async def reached(self) -> None:
        """Until a batch has issued its first statement, which is the one that waits for this lock
        (its candidates read; on SQLite, its BEGIN). From then on, whatever is submitted queues for
        the next batch, and the lock keeps this batch in flight for as long as it is held."""
        async with asyncio.timeout(WAIT_SECONDS):
            await self._reached.wait()

    async def waiting(self) -> None:
        """Until a batch is waiting for this lock: on SQLite, a batch's first statement is the BEGIN
        that waits; on Postgres, the lock it waits for may be taken by a later statement, and
        Postgres says whom a session waits for only when asked (see :func:`waited_for`)."""
        await self.reached()
        if self._engine.dialect.name == "postgresql":
            assert self._connection is not None
            await waited_for(self._connection)

    async def claim(self, key: str, incident_id: int) -> None:
        """Claims a request's key, as another replica running the same request has by now."""
        assert self._connection is not None
        assert await ProcessedRequests(self._connection).claim(key, at(1), incident_id)

    async def release(self, *, commit: bool = False) -> None:
        if self._connection is None:
            return
        event.remove(self._engine.sync_engine, "before_cursor_execute", self._on_statement)
        assert self._transaction is not None
        try:
            await (self._transaction.commit() if commit else self._transaction.rollback())
        finally:
            await self._connection.close()
            self._connection = None


class Boom(RuntimeError):
    pass


class NoSingleIncident(Exception):
    """Stands in for the bot's UserError: a choice's refusal, not a DomainError."""


def exploding_effect(_change: Change) -> Sequence[OutboxMessage]:
    raise Boom("effects failed")


def postgres_only(engine: AsyncEngine, reason: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip(reason)


# --- builders and readers ----------------------------------------------------------------------


def note(text: str) -> AddNote:
    return AddNote(actor="U1", text=text)


def change_of(outcome: Outcome) -> Change:
    assert isinstance(outcome, Change), f"expected the command to apply, got {outcome!r}"
    return outcome


async def declare_many(runner: CommandRunner, workspace: str, count: int) -> list[Change]:
    return [await declare(runner, workspace, title=f"outage {i}") for i in range(count)]


async def declare_in(runner: CommandRunner, workspace: str, channel_id: str, thread_ts: str | None = None) -> Change:
    command = replace(declare_command(f"outage in {channel_id}", thread_ts=thread_ts), channel_id=channel_id)
    return change_of(await runner.declare(workspace, command, now=T0))


def finder(
    workspace: str, channel_id: str, *, thread_ts: str | None = None, number: int | None = None, resolved: bool = False
) -> Finder:
    """Finds an incident as the bot does: the one named, else the thread's, else the channel's only
    open one (only resolved one, with ``resolved``)."""

    def choose(candidates: Candidates) -> StoredIncident:
        if number is not None:
            named = candidates.named(workspace, number)
            if named is None:
                raise NoSingleIncident(f"INC-{number} doesn't exist")
            return named
        if thread_ts is not None and (in_thread := candidates.in_thread(workspace, channel_id, thread_ts)):
            return in_thread
        found = candidates.in_channel(workspace, channel_id, resolved=resolved)
        if len(found) != 1:
            refs = ", ".join(str(stored.incident.ref) for stored in found) or "none"
            raise NoSingleIncident(f"{'resolved' if resolved else 'open'} incidents in {channel_id}: {refs}")
        return found[0]

    return Finder(Lookup(workspace, channel_id, thread_ts, number, resolved), choose)


async def timeline(engine: AsyncEngine, incident_id: int) -> list[RecordedEvent]:
    async with UnitOfWork(engine) as uow:
        return await uow.events.history(incident_id)


def notes_in(history: Sequence[RecordedEvent]) -> list[str]:
    return [item.event.text for item in history if isinstance(item.event, NoteAdded)]


async def outbox_seqs(engine: AsyncEngine, incident_id: int) -> list[int]:
    """The event seqs the incident's ``card_effect`` outbox rows were written for, in row order."""
    query = select(outbox.c.payload).where(outbox.c.incident_id == incident_id).order_by(outbox.c.id)
    async with engine.connect() as connection:
        return [payload["seq"] for payload in (await connection.execute(query)).scalars()]


async def consistent_timeline(engine: AsyncEngine, declared: Change) -> list[RecordedEvent]:
    """The incident's timeline, after checking the projection is its fold, its seqs are gap-free
    and each event after the declaration (declared without effects) has its one outbox row."""
    projection, folded = await replayed(engine, declared.after.ref)
    assert projection == folded
    history = await timeline(engine, declared.incident_id)
    assert [item.seq for item in history] == list(range(1, projection.version + 1))
    assert await outbox_seqs(engine, declared.incident_id) == [item.seq for item in history[1:]]
    return history


async def take_next_seq(engine: AsyncEngine, declared: Change) -> None:
    """Commits a rogue event at the seq the incident's next command will take (the projection still
    says version 1): that command's events insert then violates the unique (incident_id, seq) key."""
    async with UnitOfWork(engine) as uow:
        rogue = NoteAdded(actor="U9", at=at(1), text="sneaked")
        await uow.events.append(declared.incident_id, declared.after.version, [rogue])
