"""plan_reminders: the commands the scheduler records for an incident's due clocks, read from the
store as the scheduler's own transaction sees it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.sla.planning import plan_reminders
from bot.views.stakeholder import template_update
from domain import commands as cmd
from domain.incident import IncidentRef
from domain.severity import Severity
from domain.sla import ClockKind
from tests.bot.middle.support import BOB, WORKSPACE, Wired, origin
from tests.builders import T0

INC_1 = IncidentRef(WORKSPACE, 1)
ACK_DUE = T0 + timedelta(minutes=15)  # SEV2's windows in the default policy
UPDATE_DUE = T0 + timedelta(hours=1)
RESOLVE_DUE = T0 + timedelta(hours=8)


async def planned(wired: Wired, now: datetime) -> Sequence[cmd.IncidentCommand]:
    async with wired.runner.unit_of_work() as uow:
        stored = await uow.incidents.get(INC_1)
        assert stored is not None
        return await plan_reminders(uow, stored, now)


async def test_nothing_is_planned_before_the_first_clock_is_due(wired: Wired) -> None:
    await wired.declare(severity=Severity.SEV2)

    assert await planned(wired, ACK_DUE - timedelta(seconds=1)) == []


async def test_a_due_ack_clock_is_recorded_as_breached_at_its_due_time(wired: Wired) -> None:
    await wired.declare(severity=Severity.SEV2)

    assert await planned(wired, ACK_DUE) == [
        cmd.RecordSlaBreach(actor=cmd.SYSTEM_ACTOR, kind=ClockKind.ACK, due_at=ACK_DUE)
    ]


async def test_a_due_update_comes_with_a_template_draft_citing_the_whole_timeline(wired: Wired) -> None:
    await wired.declare(severity=Severity.SEV2)
    await wired.service.apply(origin(BOB), INC_1, cmd.Acknowledge(actor=BOB))
    await wired.service.apply(origin(BOB), INC_1, cmd.AddNote(actor=BOB, text="first note"))
    await wired.service.apply(origin(BOB), INC_1, cmd.AddNote(actor=BOB, text="rolled back the deploy"))
    incident = await wired.incident(1)

    breach, draft = await planned(wired, UPDATE_DUE)

    assert breach == cmd.RecordSlaBreach(actor=cmd.SYSTEM_ACTOR, kind=ClockKind.UPDATE, due_at=UPDATE_DUE)
    assert draft == cmd.RecordAiDraft(
        actor=cmd.SYSTEM_ACTOR,
        text=template_update(incident, "rolled back the deploy", UPDATE_DUE),
        model=None,
        based_on=tuple(range(1, incident.version + 1)),
        ai_written=False,
    )
    assert "Latest from the team: rolled back the deploy" in draft.text


async def test_every_clock_due_by_now_is_planned_earliest_first(wired: Wired) -> None:
    await wired.declare(severity=Severity.SEV2)

    kinds = [
        (command.kind, command.due_at)
        for command in await planned(wired, RESOLVE_DUE)
        if isinstance(command, cmd.RecordSlaBreach)
    ]

    assert kinds == [(ClockKind.ACK, ACK_DUE), (ClockKind.UPDATE, UPDATE_DUE), (ClockKind.RESOLVE, RESOLVE_DUE)]


async def test_a_resolved_incident_has_no_clock_to_plan_for(wired: Wired) -> None:
    await wired.declare(severity=Severity.SEV2)
    await wired.service.apply(origin(BOB), INC_1, cmd.Resolve(actor=BOB))

    assert await planned(wired, RESOLVE_DUE + timedelta(days=1)) == []
