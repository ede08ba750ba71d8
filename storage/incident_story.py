"""An incident and its whole timeline, read together for the console's detail page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.incident import IncidentRef
from storage.stored import RecordedEvent, StoredIncident
from storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class IncidentStory:
    stored: StoredIncident
    timeline: tuple[RecordedEvent, ...]  # every event, oldest first


async def read_story(engine: AsyncEngine, ref: IncidentRef) -> IncidentStory | None:
    """``ref`` and its events up to the version read, so the two always agree: a change committed
    between the two reads is left out of both (each event is one version; see domain.evolve)."""
    async with UnitOfWork(engine) as uow:
        stored = await uow.incidents.get(ref)
        if stored is None:
            return None
        timeline = await uow.events.history(stored.id, limit=stored.incident.version)
        # The timeline names each alert; a resolution's line takes the alert's summary from here.
        stored = await uow.incident_alerts.holding(stored)
    return IncidentStory(stored, tuple(timeline))
