"""What the incident page shows, worded as the card and the thread word it (bot.views), in plain
text that the template escapes: the facts, the SLA clocks, the whole timeline, the stakeholder
updates and the drafts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.views.audit import describe_event
from bot.views.card import card_facts, card_marker, outcome_line
from bot.views.escaping import readable_plain
from bot.views.formatting import DATE_AND_TIME, Wording, plain_wording, title_line
from bot.views.listings import milestones
from bot.views.service_fact import ServiceFact
from bot.views.stakeholder import draft_label, without_next_update
from domain import events as ev
from domain.incident import Incident, SlackSource
from domain.sla import ClockKind, format_duration
from storage.incident_story import IncidentStory

# (channel, message ts or None) -> the link to that message in Slack, if any (Console.thread_url).
Linker = Callable[[str, str | None], str | None]

_CLOCK_NAMES = {ClockKind.ACK: "Acknowledge", ClockKind.UPDATE: "Stakeholder update", ClockKind.RESOLVE: "Resolve"}


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime
    what: str  # the thread's own line for it, actor first: "Bob changed severity SEV3 → SEV1"
    link: str | None  # the Slack message it came from (a slash command or a click has none)


@dataclass(frozen=True)
class SlaClock:
    name: str
    deadline: datetime | None
    state: str  # "overdue", "running", "met after 6 min", "off"…
    overdue: bool
    reminder_at: datetime | None  # when the next reminder goes, if not at the deadline (a snooze, a repeat)


@dataclass(frozen=True)
class PublishedUpdate:
    at: datetime
    author: str
    text: str
    drafted_by: str | None  # the model whose draft it was


@dataclass(frozen=True)
class Draft:
    seq: int
    at: datetime
    label: str  # "AI draft (model)" or "Template update, not AI-written"
    text: str
    posted: bool


@dataclass(frozen=True)
class IncidentDetail:
    heading: str
    facts: tuple[tuple[str, str], ...]
    description: str
    outcome: str | None
    clocks: tuple[SlaClock, ...]
    snoozed_until: datetime | None
    thread_link: str | None
    timeline: tuple[TimelineEntry, ...]
    updates: tuple[PublishedUpdate, ...]
    drafts: tuple[Draft, ...]


def people_in(story: IncidentStory) -> set[str]:
    """Everyone the page names, so their names can be looked up before it is worded."""
    incident = story.stored.incident
    people = {incident.reporter, *(p for p in (incident.commander, incident.acknowledged_by) if p)}
    for item in story.timeline:
        people.add(item.event.actor)
        if isinstance(item.event, ev.Assigned):
            people.update(p for p in (item.event.previous, item.event.current) if p)
    return people


def incident_detail(
    story: IncidentStory, names: Mapping[str, str], now: datetime, link: Linker, service: ServiceFact | None = None
) -> IncidentDetail:
    """``service``: the incident's catalog service and its owner, worded for the page."""
    incident = story.stored.incident
    wording = plain_wording(names)
    drafts_posted = {
        item.event.draft_seq for item in story.timeline if isinstance(item.event, ev.StakeholderUpdatePosted)
    }
    return IncidentDetail(
        heading=f"{card_marker(incident)} · {readable_plain(title_line(incident))}",
        facts=(*card_facts(incident, now, wording, service), *_milestones(incident, wording.moment)),
        description=readable_plain(incident.description),
        outcome=outcome_line(incident, wording),
        clocks=tuple(_clocks(incident, now)),
        snoozed_until=incident.snoozed_until if incident.snoozed_until and incident.snoozed_until > now else None,
        thread_link=link(incident.channel_id, story.stored.home_ts),
        timeline=tuple(_entry(item.seq, item.event, incident, wording, link) for item in story.timeline),
        updates=tuple(
            PublishedUpdate(e.at, wording.actor(e.actor), readable_plain(without_next_update(e.text)), e.model)
            for e in (item.event for item in story.timeline)
            if isinstance(e, ev.StakeholderUpdatePosted)
        ),
        drafts=tuple(
            Draft(
                item.seq,
                item.event.at,
                draft_label(ai_written=item.event.ai_written, model=item.event.model),
                readable_plain(item.event.text),
                item.seq in drafts_posted,
            )
            for item in story.timeline
            if isinstance(item.event, ev.AiDraftCreated)
        ),
    )


def _entry(seq: int, event: ev.Event, incident: Incident, wording: Wording, link: Linker) -> TimelineEntry:
    source = event.source
    url = link(source.channel_id, source.ts) if isinstance(source, SlackSource) else None
    return TimelineEntry(seq=seq, at=event.at, what=describe_event(event, incident, wording), link=url)


def _milestones(incident: Incident, moment: Callable[[datetime, str], str]) -> Iterator[tuple[str, str]]:
    """What the card leaves out: when each step was reached, and how long the response took."""
    yield from ((name, moment(at, DATE_AND_TIME)) for name, at in milestones(incident))
    if incident.last_update_at is not None:
        yield "Last stakeholder update", moment(incident.last_update_at, DATE_AND_TIME)
    if incident.time_to_ack is not None:
        yield "Time to acknowledge", format_duration(incident.time_to_ack)
    if incident.time_to_resolve is not None:
        yield "Time to resolve", format_duration(incident.time_to_resolve)


def _clocks(incident: Incident, now: datetime) -> Iterator[SlaClock]:
    met = {ClockKind.ACK: incident.time_to_ack, ClockKind.RESOLVE: incident.time_to_resolve}
    for kind in ClockKind:
        deadline = incident.deadlines.due(kind)
        reminder = incident.clocks.due(kind)
        overdue = deadline is not None and deadline <= now
        took = met.get(kind)
        if deadline is not None:
            state = "overdue" if overdue else "running"
        elif took is not None:
            state = f"met after {format_duration(took)}"
        else:
            state = "off" if incident.is_open else "stopped"
        yield SlaClock(_CLOCK_NAMES[kind], deadline, state, overdue, reminder if reminder != deadline else None)
