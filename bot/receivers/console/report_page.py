"""``GET /incidents/INC-42/report.md``: the incident's report as a Markdown file (SPEC §10), built
from the incident and its whole timeline read together (bot.views.incident_report)."""

from __future__ import annotations

from aiohttp import web

from bot.receivers.console.context import console_of, requested_ref
from bot.receivers.console.detail_model import people_in
from bot.receivers.console.rendering import PAGE_HEADERS, unknown_incident
from bot.receivers.console.signed_in import page
from bot.views.incident_report import incident_report
from domain import events as ev
from domain.incident import IncidentRef
from storage.incident_story import read_story

routes = web.RouteTableDef()


def report_path(ref: IncidentRef) -> str:
    return f"/incidents/{ref}/report.md"


@routes.get(r"/incidents/{ref:INC-[0-9]{1,9}}/report.md")
@page
async def report(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    ref = requested_ref(request)
    story = await read_story(console.engine, ref)
    if story is None:
        return await unknown_incident(request, ref)
    incident = story.stored.incident
    people = people_in(story) | {followup.owner for followup in incident.followups}
    events = [item.event for item in story.timeline]
    people |= {event.author for event in events if isinstance(event, ev.MessagePinned) and event.author}
    names = {person: await console.members.name(person) for person in people}
    timeline = [(item.seq, item.event) for item in story.timeline]
    base = console.settings.console_url or str(request.url.origin())
    text = incident_report(incident, timeline, names, console.clock.now(), page_url=f"{base}/incidents/{ref}")
    headers = {**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{ref}-report.md"'}
    return web.Response(text=text, content_type="text/markdown", charset="utf-8", headers=headers)
