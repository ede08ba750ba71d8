"""The runbook on an incident's console page (SPEC §13; templates/incident_runbook.html): the
service's steps, who did each and when, and the "runbook-done" action that marks one done: the
same command as its Done button in Slack, whose runbook message is edited to show it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.commands.runbooks import done_command, shows_runbook
from bot.delivery import outbox_messages as kinds
from bot.handler.origin import Origin
from bot.receivers.console.action_forms import Asked, FieldError
from bot.receivers.console.context import Console
from bot.views.runbook import progress, runbook_lines
from bot.views.service_fact import ServiceFact
from domain import commands as cmd
from domain.incident import Incident, SlackSource
from domain.lifecycle import Status
from storage.stored import StoredIncident
from storage.unit_of_work import UnitOfWork

RUNBOOK_DONE = "runbook-done"


@dataclass(frozen=True)
class RunbookRow:
    number: int
    text: str
    link: str | None
    done_by: str | None  # a name
    done_at: datetime | None


@dataclass(frozen=True)
class RunbookSection:
    service: str
    progress: str  # "1 of 3 done"
    rows: tuple[RunbookRow, ...]
    can_mark: bool  # not once the incident is closed


def runbook_people(incident: Incident) -> set[str]:
    return {mark.by for mark in incident.runbook}


async def service_fact(console: Console, incident: Incident) -> ServiceFact | None:
    """The incident's catalog service and its owner by name (a user group by its id) for the page."""
    service = console.service.services.get(incident.service)
    if service is None:
        return None
    owner = service.owner
    if owner is not None and not service.owner_is_group:
        owner = await console.members.name(owner)
    return ServiceFact(service.name, owner, service.runbook)


def runbook_section(console: Console, incident: Incident, names: Mapping[str, str]) -> RunbookSection | None:
    service = console.service.services.get(incident.service)
    if service is None or not service.runbook:
        return None
    lines = runbook_lines(incident, service)
    rows = tuple(
        RunbookRow(
            line.number,
            line.step.text,
            line.step.link,
            names.get(line.done.by, line.done.by) if line.done else None,
            line.done.at if line.done else None,
        )
        for line in lines
    )
    return RunbookSection(service.name, progress(lines), rows, incident.status is not Status.CLOSED)


async def runbook_done(console: Console, stored: StoredIncident, asked: Asked, origin: Origin) -> cmd.IncidentCommand:
    """The step the form names, done: the thread's latest runbook message is edited to show it."""
    typed = asked.form.get("step", "").strip()
    if not typed.isdigit():
        raise FieldError("step", "Say which step is done, by its number.")
    return done_command(console.service, stored.incident, int(typed), origin, await _runbook_message(console, stored))


async def _runbook_message(console: Console, stored: StoredIncident) -> SlackSource | None:
    async with UnitOfWork(console.engine) as uow:
        sent = await uow.outbox.delivered(stored.id, kinds.THREAD_MESSAGE)
    shown = [result.get("ts") for payload, result in sent if shows_runbook(payload)]
    ts = shown[-1] if shown else None
    return SlackSource(stored.incident.channel_id, ts) if isinstance(ts, str) else None
