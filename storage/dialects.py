"""The statements whose spelling differs between Postgres and SQLite, one class per database.

The repositories spell what both databases read alike, and ask :func:`dialect_of` for the rest:
:class:`~storage.postgres.Postgres` (arrays and ``unnest``, row and advisory locks) or
:class:`~storage.sqlite.SQLite` (SQLAlchemy's portable statements, a statement per table, no row
locks). The choice is made here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Result, Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.sla import ClockKind
from storage.postgres import Postgres
from storage.sqlite import SQLite
from storage.stored import BatchWrites

_Row = TypeVar("_Row", bound=tuple[Any, ...])


class Dialect(Protocol):
    def __hash__(self) -> int:
        """Statements are built once per dialect (functools.cache keyed on it)."""
        ...

    def upsert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT that supports ``on_conflict_do_*`` (both databases speak it natively)."""
        ...

    def skip_locked(self, query: Select[_Row]) -> Select[_Row]:
        """``query``, leaving out the rows another transaction has locked."""
        ...

    async def taken(self, connection: AsyncConnection, keys: Sequence[str]) -> Result[Any]:
        """The processed request keys among ``keys``, one per row."""
        ...

    async def candidates(
        self, connection: AsyncConnection, arms: Mapping[str, Sequence[tuple[object, ...]]], *, lock: bool, wait: bool
    ) -> Result[Any]:
        """The incidents rows that ``arms`` (the values looked up, by kind of lookup) may mean, in id
        order; with ``lock``, row-locked (see IncidentRepository.candidates)."""
        ...

    async def settle(
        self,
        connection: AsyncConnection,
        now: datetime,
        delivered: Sequence[tuple[int, Mapping[str, Any] | None]],
        absorbed: Sequence[tuple[int, int]],
    ) -> None:
        """Mark outbox rows delivered with their results, and rows merged into others (``(id, into)``)."""
        ...

    async def write(self, connection: AsyncConnection, writes: BatchWrites, now: datetime) -> None:
        """A batch's keys, projections, events and outbox rows, all or nothing with the transaction."""
        ...

    async def next_incident(self, connection: AsyncConnection, workspace_id: str) -> tuple[int, int]:
        """The number the workspace's next incident is to take, and an id for its row: to decide a
        declaration with, then write it with :meth:`declare`."""
        ...

    async def declare(
        self, connection: AsyncConnection, row: Mapping[str, Any], writes: BatchWrites, now: datetime
    ) -> bool:
        """Insert the incidents ``row`` (id and number from :meth:`next_incident`) and ``writes``,
        moving the workspace's counter to its number: all of it if the counter still stood just
        below that number, and True; nothing if another declaration took the number first, and
        False. A key of ``writes.claims`` already claimed, or a thread already an incident's home,
        fails it (IntegrityError)."""
        ...

    def lock_card(self, engine: AsyncEngine, incident_id: int) -> AbstractAsyncContextManager[None]:
        """Held by one bot at a time for an incident's card (see storage.card_locks)."""
        ...

    async def lock_migrations(self, connection: AsyncConnection) -> None:
        """Keep other replicas' migrations out until the transaction ends."""
        ...

    def committed(self, engine: AsyncEngine, incident_ids: Collection[int]) -> None:
        """A transaction that changed ``incident_ids`` committed: tell storage.change_feed's watchers."""
        ...

    def epoch(self, moment: ColumnElement[datetime]) -> ColumnElement[float]:
        """A stored time as seconds since 1970 (to the millisecond on SQLite, which keeps no finer)."""
        ...

    def breached(self, kind: ClockKind) -> ColumnElement[bool]:
        """The incident_events rows recording a breach of ``kind``'s clock, in its index's words."""
        ...

    def spreads(self, columns: Sequence[ColumnElement[float]], fractions: Sequence[float]) -> Select[Any]:
        """One row: for each of ``columns`` (of one table or CTE), how many values it has (NULLs left
        out), then each fraction's percentile of them, interpolated linearly between the closest
        ranks: sorted v1…vn, the fraction p reads v at rank 1 + p·(n − 1) (Postgres's
        percentile_cont). NULL percentiles where a column has no values."""
        ...


_POSTGRES = Postgres()
_SQLITE = SQLite()


def dialect_of(bind: AsyncConnection | AsyncEngine) -> Dialect:
    """Postgres's own spellings on Postgres; anywhere else SQLAlchemy's portable ones."""
    return _POSTGRES if bind.dialect.name == "postgresql" else _SQLITE
