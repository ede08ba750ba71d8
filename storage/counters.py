"""Per-workspace incident numbers: INC-1, INC-2, … allocated without races, never reused."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Insert, bindparam
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialects import Dialect, dialect_of
from storage.schema import workspace_counters


@cache
def _take_next(dialect: Dialect) -> Insert:
    """Built once per database: a declaration only binds its workspace."""
    insert = dialect.upsert(workspace_counters).values(workspace_id=bindparam("workspace"), last_number=1)
    return insert.on_conflict_do_update(
        index_elements=["workspace_id"],
        set_={"last_number": workspace_counters.c.last_number + 1},
    ).returning(workspace_counters.c.last_number)


class IncidentCounters:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = dialect_of(connection)

    async def next_number(self, workspace_id: str) -> int:
        """Take the next number. The counter row stays locked until commit, so declarations in one
        workspace queue here; a rolled-back declaration gives its number back, leaving no gap."""
        return int(
            (await self._connection.execute(_take_next(self._dialect), {"workspace": workspace_id})).scalar_one()
        )

    async def next_incident(self, workspace_id: str) -> tuple[int, int]:
        """The number the workspace's next incident is to take, and the id of its row, for
        UnitOfWork.declare, which takes the number only if no one took it meanwhile."""
        return await self._dialect.next_incident(self._connection, workspace_id)
