"""Follow-ups in the incidents projection (migration 0008), on both stores: they read back as the
timeline folds them, and their reminder times wake the scheduler's claim (next_due_at) after the
incident is closed, until each is reminded or done."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import CommandRunner
from domain.commands import SYSTEM_ACTOR, AddFollowUp, Close, CompleteFollowUp, RemindFollowUp, Resolve
from domain.incident import IncidentRef
from storage.unit_of_work import UnitOfWork
from tests.builders import T0
from tests.storage.helpers import applied, declare, replayed

OWNER = "U0OWNER"


async def test_follow_ups_are_projected_as_folded_and_wake_the_scheduler_once_each(
    engine: AsyncEngine, workspace: str
) -> None:
    runner = CommandRunner(engine)
    ref = (await declare(runner, workspace)).after.ref
    for minutes, command in (
        (1, Resolve(actor="U1")),
        (2, Close(actor="U1")),
        (3, AddFollowUp(actor="U1", text="Alert on queue depth", owner=OWNER, due=timedelta(days=2))),
        (4, AddFollowUp(actor="U1", text="Runbook", due=date(2026, 11, 30))),
        (5, AddFollowUp(actor="U1", text="Retry budget")),
        (6, CompleteFollowUp(actor=OWNER, number=2)),
    ):
        applied(await runner.execute(ref, command, now=T0 + timedelta(minutes=minutes)))

    projected, folded = await replayed(engine, ref)
    assert projected == folded
    assert [(f.number, f.owner, f.is_done) for f in projected.followups] == [
        (1, OWNER, False),
        (2, "U1", True),
        (3, "U1", False),
    ]

    due = T0 + timedelta(minutes=3, days=2)
    assert not await _claimed(engine, ref, due - timedelta(seconds=1))
    assert await _claimed(engine, ref, due)

    applied(await runner.execute(ref, RemindFollowUp(actor=SYSTEM_ACTOR, number=1, due_at=due), now=due))
    projected, folded = await replayed(engine, ref)
    assert projected == folded
    assert not await _claimed(engine, ref, due + timedelta(days=365))


async def _claimed(engine: AsyncEngine, ref: IncidentRef, now: datetime) -> bool:
    """Whether the scheduler's claim at ``now`` takes the incident (other tests' incidents share the store)."""
    async with UnitOfWork(engine) as uow:
        return ref in [stored.incident.ref for stored in await uow.incidents.lock_due(now, 10_000)]
