"""An incident's alerts, one row each (SPEC §11; migration 0012).

The projection keeps the counts (domain.alerts.IncidentAlerts); a notification reads the rows of
the alerts it names and writes those it changed, so its cost follows its own size, not the
incident's: a storm's incident of hundreds of alerts is not decoded and re-encoded whole each time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.alerts import IncidentAlerts, TrackedAlert
from domain.codec import decode_value, encode_value
from storage.alert_groups import key_hash
from storage.dialects import Dialect, dialect_of
from storage.schema import incident_alerts
from storage.stored import StoredIncident

_ALERT = (
    incident_alerts.c.fingerprint,
    incident_alerts.c.status,
    incident_alerts.c.summary,
    incident_alerts.c.group_key,
    incident_alerts.c.labels,
    incident_alerts.c.links,
)
_OF_INCIDENT = select(*_ALERT).where(incident_alerts.c.incident_id == bindparam("incident_id"))
_NAMED = _OF_INCIDENT.where(incident_alerts.c.fingerprint_hash.in_(bindparam("hashes", expanding=True)))
# What a later notification may change of an alert; its place in the order stays.
_CHANGEABLE = ("status", "summary", "group_key", "labels", "links", "updated_at")


@cache
def _save(dialect: Dialect) -> Insert:
    upsert = dialect.upsert(incident_alerts)
    return upsert.on_conflict_do_update(
        index_elements=["incident_id", "fingerprint_hash"],
        set_={name: upsert.excluded[name] for name in _CHANGEABLE},
    )


class IncidentAlertRows:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = dialect_of(connection)

    async def holding(self, stored: StoredIncident, fingerprints: Iterable[str] | None = None) -> StoredIncident:
        """``stored`` holding its alerts among ``fingerprints`` (every one when None), in the order
        they first fired; an alert it never recorded is simply not held."""
        query: Select[Any] = _OF_INCIDENT
        values: dict[str, object] = {"incident_id": stored.id}
        if fingerprints is not None:
            query, values["hashes"] = _NAMED, sorted({key_hash(f) for f in fingerprints})
        rows = await self._connection.execute(query.order_by(incident_alerts.c.position), values)
        held = tuple(decode_value(TrackedAlert, dict(row._mapping)) for row in rows)
        incident = stored.incident
        return replace(stored, incident=replace(incident, alerts=replace(incident.alerts, alerts=held)))

    async def save(self, incident_id: int, before: IncidentAlerts, after: IncidentAlerts, now: datetime) -> None:
        """The rows of the alerts ``after`` changed from ``before``."""
        changed = [alert for alert in after.alerts if before.find(alert.fingerprint) != alert]
        if not changed:
            return
        # A new alert goes after every one the incident has (the upsert keeps an existing row's place).
        position = before.firing + before.resolved
        rows = []
        for alert in changed:
            is_new = before.find(alert.fingerprint) is None
            rows.append(
                {
                    **encode_value(alert),
                    "incident_id": incident_id,
                    "fingerprint_hash": key_hash(alert.fingerprint),
                    "position": position,
                    "updated_at": now,
                }
            )
            position += is_new
        await self._connection.execute(_save(self._dialect), rows)
