"""Builders shared by the storage tests."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import Change, CommandRunner, Duplicate
from domain.commands import Declare
from domain.evolve import replay
from domain.incident import Incident, IncidentRef, Undeclared
from storage.schema import incident_events, outbox, processed_requests
from storage.stored import OutboxMessage
from storage.unit_of_work import UnitOfWork
from tests import builders
from tests.builders import T0

STORAGE_CHANNEL = "CINC"


def declare_command(title: str = "Checkout is failing", thread_ts: str | None = None) -> Declare:
    """The tests' Declare, in the storage tests' channel and (unless given) in no thread."""
    return builders.declare_command(title, channel_id=STORAGE_CHANNEL, thread_ts=thread_ts)


def card_effect(change: Change) -> Sequence[OutboxMessage]:
    """Stands in for the Slack effects: one outbox row per event, coalesced per incident card."""
    return [
        OutboxMessage("audit", {"seq": item.seq, "type": item.event.type}, coalesce_key=f"card:{change.incident_id}")
        for item in change.events
    ]


async def declare(runner: CommandRunner, workspace: str, **kwargs: object) -> Change:
    result = await runner.declare(workspace, declare_command(**kwargs), now=T0)  # type: ignore[arg-type]
    assert isinstance(result, Change)
    return result


def applied(result: Change | Duplicate) -> Change:
    assert isinstance(result, Change), f"expected the command to apply, got {result}"
    return result


async def replayed(engine: AsyncEngine, ref: IncidentRef) -> tuple[Incident, Incident]:
    """The projection as stored, and the state its stored timeline folds to."""
    async with UnitOfWork(engine) as uow:
        stored = await uow.incidents.get(ref)
        assert stored is not None
        history = await uow.events.history(stored.id)
        # The alerts are rows apart from the projection (storage.incident_alerts): all of them too.
        stored = await uow.incident_alerts.holding(stored)
    folded = replay(Undeclared(ref), [item.event for item in history])
    assert isinstance(folded, Incident)
    return stored.incident, folded


async def count_rows(engine: AsyncEngine, incident_id: int | None = None, key: str | None = None) -> dict[str, int]:
    async with engine.connect() as connection:

        async def count(table: object, *where: object) -> int:
            query = select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
            return int((await connection.execute(query)).scalar_one())

        return {
            "events": await count(incident_events, incident_events.c.incident_id == incident_id),
            "outbox": await count(outbox, outbox.c.incident_id == incident_id),
            "keys": await count(processed_requests, processed_requests.c.key == key),
        }
