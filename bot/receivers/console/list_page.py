"""``GET /incidents``: the workspace's incidents, filtered by what the URL says, newest first, 50 a
page (SPEC §9). The query is storage.incident_pages'; the filters' words are .list_filters'."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from aiohttp import web

from bot.receivers.console.context import console_of
from bot.receivers.console.detail_model import Linker
from bot.receivers.console.list_filters import UNASSIGNED, BadFilter, form_state, list_request
from bot.receivers.console.rendering import error_page, render
from bot.receivers.console.signed_in import page
from bot.views.escaping import readable_plain
from bot.views.formatting import TIME_ONLY, Wording, plain_wording, status_label, utc_text
from bot.views.sla_field import deadline_line
from domain.severity import Severity
from domain.sla import ClockKind
from storage.incident_pages import ListedIncident, StatusFilter, incident_page

routes = web.RouteTableDef()

_STATUS_WORDS = {
    StatusFilter.OPEN: "open",
    StatusFilter.RESOLVED: "resolved",
    StatusFilter.CLOSED: "closed",
    StatusFilter.ALL: "",
}


@dataclass(frozen=True)
class ListRow:
    """One incident as the list shows it, in plain text that the template escapes."""

    number: int
    ref: str
    severity: Severity
    title: str
    service: str | None
    status: str
    commander: str
    declared_at: datetime
    duration: timedelta
    duration_meaning: str  # "so far", "to resolve"
    sla: tuple[str, ...]  # what is overdue, the next deadline, a snooze: a line each
    sla_late: bool
    thread_link: str | None


def list_row(listed: ListedIncident, now: datetime, wording: Wording, linker: Linker) -> ListRow:
    incident = listed.stored.incident
    if incident.is_open:
        # Time worked: a reopened incident's resolved stretch is not open time (as on the card).
        duration, meaning = incident.worked_before_reopen + (now - incident.opened_at), "so far"
        sla = tuple(deadline_line(incident, now, wording).split(" · "))
        late = any(due <= now for _, due in incident.deadlines.running())
    else:
        duration, meaning = incident.time_to_resolve or timedelta(0), "to resolve"
        sla, late = (_stopped_sla(listed.breached),), bool(listed.breached)
    return ListRow(
        number=incident.ref.number,
        ref=str(incident.ref),
        severity=incident.severity,
        title=readable_plain(incident.title),
        service=incident.service,
        status=status_label(incident.status),
        commander=wording.commander(incident),
        declared_at=incident.declared_at,
        duration=duration,
        duration_meaning=meaning,
        sla=sla,
        sla_late=late,
        thread_link=linker(incident.channel_id, listed.stored.home_ts),
    )


def list_wording(names: Mapping[str, str]) -> Wording:
    """The page's plain wording, with a deadline near now (as the card says it) as a time alone: a
    row's SLA state stays short enough to read at a glance."""

    def moment(when: datetime, precision: str) -> str:
        return when.astimezone(UTC).strftime("%H:%M:%S UTC") if precision == TIME_ONLY else utc_text(when)

    return replace(plain_wording(names), moment=moment)


def _stopped_sla(breached: frozenset[ClockKind]) -> str:
    """A stopped incident's clocks: met, or which ones the scheduler saw pass."""
    if not breached:
        return "met"
    return ", ".join(kind.value for kind in ClockKind if kind in breached) + " breached"


@routes.get("/incidents")
@page
async def incident_list(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    try:
        asked = list_request(request.query, console.workspace_id())
    except BadFilter as bad:
        return await error_page(request, 400, str(bad))
    found = await incident_page(console.engine, asked.wanted, asked.after)
    members = await console.members.all()
    wording = list_wording({member.user_id: member.name for member in members})
    now = console.clock.now()
    context = {
        "rows": [list_row(listed, now, wording, console.thread_url) for listed in found.rows],
        "form": form_state(asked),
        "statuses": [status.value for status in StatusFilter],
        "severities": list(Severity),
        "members": members,
        "unassigned": UNASSIGNED,
        "status_word": _STATUS_WORDS[asked.wanted.status],
        "filtered": asked.filtered,
        "paged": asked.after is not None,
        "first_page": _link(asked.query()),
        "next_page": None if found.next is None else _link(asked.query(after=found.next)),
        "everything": _link([("status", StatusFilter.ALL.value)]),
    }
    return await render(request, "incident_list.html", context)


def _link(pairs: list[tuple[str, str]]) -> str:
    return f"/incidents?{urlencode(pairs)}"
