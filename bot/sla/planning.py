"""What the scheduler records for an incident whose SLA clocks are due.

Every due clock gets its breach recorded; an update that is due also gets a draft, so the
reminder can carry a ready-to-post update and its button (SPEC §5). An overdue open follow-up gets
its one reminder, whatever the incident's status (SPEC §10).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.views.stakeholder import template_update
from domain import commands as cmd
from domain.events import NoteAdded
from domain.sla import ClockKind
from storage.stored import StoredIncident
from storage.unit_of_work import UnitOfWork


async def plan_reminders(uow: UnitOfWork, stored: StoredIncident, now: datetime) -> Sequence[cmd.IncidentCommand]:
    incident = stored.incident
    commands: list[cmd.IncidentCommand] = []
    for kind, due in incident.clocks.running():
        if due > now:
            break
        commands.append(cmd.RecordSlaBreach(actor=cmd.SYSTEM_ACTOR, kind=kind, due_at=due))
        if kind is ClockKind.UPDATE:
            latest = await uow.events.latest(stored.id, NoteAdded.type)
            note = latest.event.text if latest is not None and isinstance(latest.event, NoteAdded) else None
            commands.append(
                cmd.RecordAiDraft(
                    actor=cmd.SYSTEM_ACTOR,
                    text=template_update(incident, note, now),
                    model=None,
                    based_on=tuple(range(1, incident.version + 1)),
                    ai_written=False,
                )
            )
    # A deadline that passes while its reminder is snoozed, or a snooze that ends, changes only
    # what the card says; a breach recorded now would have the card edited anyway.
    card_due = incident.card_due_at
    if not commands and card_due is not None and card_due <= now:
        commands.append(cmd.RecordCardClock(actor=cmd.SYSTEM_ACTOR, due_at=card_due))
    commands.extend(
        cmd.RemindFollowUp(actor=cmd.SYSTEM_ACTOR, number=followup.number, due_at=overdue)
        for followup in incident.followups
        if (overdue := followup.reminder_due_at) is not None and overdue <= now
    )
    return commands
