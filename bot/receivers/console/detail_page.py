"""``GET /incidents/INC-42``: one incident's facts, SLA clocks, whole timeline, stakeholder updates
and drafts (SPEC §9); the actions on it are ACTIONS' (templates/incident_actions.html)."""

from __future__ import annotations

import re

from aiohttp import web

from bot.receivers.console.action_panel import actions_panel
from bot.receivers.console.context import console_of
from bot.receivers.console.detail_model import incident_detail, people_in
from bot.receivers.console.followup_section import followup_people, followup_section
from bot.receivers.console.postmortem_page import postmortem_summary
from bot.receivers.console.rendering import render, unknown_incident
from bot.receivers.console.runbook_section import runbook_people, runbook_section, service_fact
from bot.receivers.console.signed_in import page
from bot.receivers.console.status_section import status_section
from domain.incident import IncidentRef
from storage.incident_story import read_story

routes = web.RouteTableDef()

# "INC-42", "inc-42" or "42"; numbers are stored as 32-bit integers, so a bigger one names nothing.
_REF = re.compile(r"^(?:INC-)?([0-9]{1,10})$", re.IGNORECASE)
_NUMBER_MAX = 2**31 - 1
_SHOWN_MAX = 40  # of a malformed ref, in the 404's sentence


@routes.get("/incidents/{ref}")
@page
async def incident_page(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    typed = request.match_info["ref"]
    number = _number(typed)
    story = None
    if number is not None:
        story = await read_story(console.engine, IncidentRef(console.workspace_id(), number))
    if story is None:
        shown = f"INC-{number}" if number is not None else typed[:_SHOWN_MAX]
        return await unknown_incident(request, shown)
    incident = story.stored.incident
    people = people_in(story) | followup_people(incident) | runbook_people(incident)
    names = {person: await console.members.name(person) for person in people}
    context = {
        "incident": story.stored,
        "ref": str(incident.ref),
        "number": incident.ref.number,
        "version": incident.version,
        "members": await console.members.all(),
        "detail": incident_detail(
            story, names, console.clock.now(), console.thread_url, await service_fact(console, incident)
        ),
        "actions": await actions_panel(request, incident),  # ACTIONS' panel (incident_actions.html)
        "postmortem": postmortem_summary(incident),
        "followups": followup_section(incident, names, console.clock.now()),  # incident_followups.html
        "runbook": runbook_section(console, incident, names),  # incident_runbook.html
        "status_page": await status_section(console, story.stored.id, incident),  # incident_status_page.html
    }
    return await render(request, "incident_detail.html", context)


def _number(typed: str) -> int | None:
    match = _REF.match(typed)
    if match is None:
        return None
    number = int(match.group(1))
    return number if 0 < number <= _NUMBER_MAX else None
