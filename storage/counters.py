"""Per-workspace incident numbers: INC-1, INC-2, … allocated without races, never reused."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialects import dialect_of
from storage.schema import workspace_counters


class IncidentCounters:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = dialect_of(connection)

    async def next_number(self, workspace_id: str) -> int:
        """Take the next number. The counter row stays locked until commit, so declarations in one
        workspace queue here; a rolled-back declaration gives its number back, leaving no gap."""
        insert = self._dialect.upsert(workspace_counters).values(workspace_id=workspace_id, last_number=1)
        statement = insert.on_conflict_do_update(
            index_elements=["workspace_id"],
            set_={"last_number": workspace_counters.c.last_number + 1},
        ).returning(workspace_counters.c.last_number)
        return int((await self._connection.execute(statement)).scalar_one())
