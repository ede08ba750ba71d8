"""What the model may know about an incident: its facts and timeline, nothing else (SPEC §6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.ai.sanitise import allowed_links
from domain import events as ev
from domain.incident import Incident
from storage.stored import RecordedEvent


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime
    kind: str
    text: str  # a one-line description; user-written text is kept verbatim, as data


@dataclass(frozen=True)
class IncidentFacts:
    incident: Incident
    timeline: tuple[TimelineEntry, ...]
    now: datetime
    latest_note: str | None = None

    @property
    def people(self) -> frozenset[str]:
        """Everyone the incident involves; no one else may be mentioned in an update."""
        people = {self.incident.reporter, *([self.incident.commander] if self.incident.commander else [])}
        return frozenset(people)

    @property
    def based_on(self) -> tuple[int, ...]:
        return tuple(entry.seq for entry in self.timeline)

    @property
    def links(self) -> frozenset[str]:
        """The links the incident's facts contain: the only ones the model may repeat."""
        return allowed_links([self.incident.title, self.incident.description, *(e.text for e in self.timeline)])


def facts_of(incident: Incident, history: list[RecordedEvent], now: datetime) -> IncidentFacts:
    entries = [entry for item in history if (entry := _entry(item)) is not None]
    notes = [item.event.text for item in history if isinstance(item.event, ev.NoteAdded)]
    return IncidentFacts(incident, tuple(entries), now, notes[-1] if notes else None)


def _entry(item: RecordedEvent) -> TimelineEntry | None:
    event = item.event
    match event:
        case ev.Declared():
            text = f"declared as {event.severity.label}: {event.title}"
        case ev.Acknowledged():
            text = "acknowledged by a responder"
        case ev.SeverityChanged():
            text = f"severity changed {event.previous.label} -> {event.current.label}"
        case ev.Assigned():
            text = "incident commander assigned"
        case ev.StatusChanged():
            text = f"status changed {event.previous.value} -> {event.current.value}"
        case ev.NoteAdded():
            text = f"note from the team: {event.text}"
        case ev.StakeholderUpdatePosted():
            text = f"stakeholder update published: {event.text}"
        case ev.Resolved():
            text = f"resolved{': ' + event.summary if event.summary else ''}"
        case ev.Reopened():
            text = f"reopened{': ' + event.reason if event.reason else ''}"
        case ev.Closed():
            text = "closed"
        case (
            ev.MessagePinned(text=str() as said)
            | ev.PinnedMessageFetched(text=said)
            | ev.PinnedMessageEdited(text=said)
        ):
            # A message the team pinned to the timeline: what responders found worth keeping.
            text = f"message pinned from the thread: {said}"
        case _:
            # Drafts, reminders, breaches and snoozes are about the process, not the outage.
            return None
    return TimelineEntry(item.seq, event.at, event.type, text)
