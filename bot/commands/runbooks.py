"""A service's runbook on an incident (SPEC §13), as Slack's buttons and the console's page use it:
which runbook, which step, the message that shows it in the thread, and marking a step done."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.delivery import outbox_messages as kinds
from bot.handler.origin import Origin, UserError
from bot.handler.runner import Change, Duplicate
from bot.handler.service import IncidentService
from bot.views.runbook import runbook_message
from domain import commands as cmd
from domain.incident import Incident, IncidentRef, SlackSource
from domain.services import Service
from storage.stored import OutboxMessage

RUNBOOK_MARK = "runbook"
"""Marks a thread message that shows a runbook, so the console finds the latest one to edit."""


def runbook_of(service: IncidentService, incident: Incident) -> Service:
    """The catalog service whose runbook the incident follows; refused when it has none."""
    found = service.services.get(incident.service)
    if found is None or not found.runbook:
        raise UserError(f"{incident.ref} has no runbook: its service is not one with a runbook in the catalog.")
    return found


def shows_runbook(payload: Mapping[str, Any]) -> bool:
    return payload.get(RUNBOOK_MARK) is True


async def post_runbook(service: IncidentService, origin: Origin, ref: IncidentRef) -> None:
    """The steps in the incident's thread, each with Done; once per request."""
    stored = await service.target(origin, ref.number)
    text, blocks = runbook_message(stored.incident, runbook_of(service, stored.incident))
    payload = {"incident_id": stored.id, "text": text, "blocks": blocks, RUNBOOK_MARK: True}
    await service.queue([OutboxMessage(kinds.THREAD_MESSAGE, payload)], origin.key, stored.id)


def done_command(
    service: IncidentService, incident: Incident, number: int, origin: Origin, message: SlackSource | None
) -> cmd.CompleteRunbookStep:
    """Step ``number`` done by whoever asked; ``message``: the runbook message that then shows it."""
    steps = runbook_of(service, incident).runbook
    if not 1 <= number <= len(steps):
        raise UserError(f"{incident.ref}'s runbook has {len(steps)} steps; there is no step {number}.")
    text = steps[number - 1].text
    return cmd.CompleteRunbookStep(actor=origin.user_id, source=origin.source, step=number, text=text, message=message)


async def mark_done(
    service: IncidentService, origin: Origin, ref: IncidentRef, number: int, message: SlackSource | None
) -> Change | Duplicate:
    """:func:`done_command`, applied. A step already done records nothing, and is no error."""
    stored = await service.target(origin, ref.number)
    return await service.apply(origin, ref, done_command(service, stored.incident, number, origin, message))
