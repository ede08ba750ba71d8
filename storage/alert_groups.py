"""Where a notification's alerts go (SPEC §11): the open incident its group joined, else an open
alert-declared incident of its service declared recently. Both are read row-locked until commit.

A notification locks its group's row before anything else (the row is created if need be, and a
concurrent creator waits on its unique key): notifications of one group are taken one at a time,
so two of a new group never declare two incidents.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache

from sqlalchemy import Insert, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.alerts import ALERT_SOURCES
from storage.dialects import Dialect, dialect_of
from storage.incident_repository import stored_incident
from storage.schema import OPEN, alert_groups, incidents
from storage.stored import StoredIncident

_GROUP = (alert_groups.c.workspace_id == bindparam("workspace")) & (alert_groups.c.group_hash == bindparam("group"))
_LOCK_GROUP = select(alert_groups.c.incident_id).where(_GROUP).with_for_update()
_POINT = update(alert_groups).where(_GROUP).values(incident_id=bindparam("incident"))
_OPEN_BY_ID = select(incidents).where(incidents.c.id == bindparam("incident_id"), OPEN).with_for_update()
_RECENT_OF_SERVICE = (
    select(incidents)
    .where(
        incidents.c.workspace_id == bindparam("workspace_id"),
        incidents.c.service == bindparam("service"),
        incidents.c.declared_at >= bindparam("since"),
        OPEN,
        incidents.c.reporter.in_(sorted(ALERT_SOURCES)),
    )
    .order_by(incidents.c.declared_at.desc(), incidents.c.id.desc())
    .limit(1)
    .with_for_update()
)


@cache
def _create_group(dialect: Dialect) -> Insert:
    return (
        dialect.upsert(alert_groups)
        .values(workspace_id=bindparam("workspace"), group_hash=bindparam("group"))
        .on_conflict_do_nothing(index_elements=["workspace_id", "group_hash"])
    )


def key_hash(key: str) -> str:
    """A sender's key (a group key, a fingerprint) as an index can hold it, however long it is."""
    return hashlib.sha256(key.encode()).hexdigest()


class AlertGroups:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = dialect_of(connection)

    async def lock(self, workspace_id: str, group_key: str) -> StoredIncident | None:
        """Hold ``group_key``'s turn until commit; the open incident it joined last, locked, if any."""
        values = {"workspace": workspace_id, "group": key_hash(group_key)}
        await self._connection.execute(_create_group(self._dialect), values)
        incident_id = (await self._connection.execute(_LOCK_GROUP, values)).scalar_one()
        if incident_id is None:
            return None
        row = (await self._connection.execute(_OPEN_BY_ID, {"incident_id": incident_id})).first()
        return None if row is None else stored_incident(row)

    async def join(self, workspace_id: str, group_key: str, incident_id: int) -> None:
        """``group_key``'s alerts now go to ``incident_id`` (its turn is held: see :meth:`lock`)."""
        values = {"workspace": workspace_id, "group": key_hash(group_key), "incident": incident_id}
        await self._connection.execute(_POINT, values)

    async def recent_of_service(self, workspace_id: str, service: str, since: datetime) -> StoredIncident | None:
        """The newest open incident alerts declared for ``service`` since ``since``, locked."""
        values = {"workspace_id": workspace_id, "service": service, "since": since}
        row = (await self._connection.execute(_RECENT_OF_SERVICE, values)).first()
        return None if row is None else stored_incident(row)
