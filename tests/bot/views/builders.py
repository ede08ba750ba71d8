"""Incidents built the way production builds them: domain commands decided and folded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain import commands as cmd
from domain.decide import decide
from domain.events import Event
from domain.evolve import evolve
from domain.incident import Incident, IncidentRef, IncidentState, Undeclared
from domain.lifecycle import Status
from domain.severity import Severity

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
REF = IncidentRef("T123", 42)
REPORTER = "U0REPORTER"
COMMANDER = "U0LEAD"

HOSTILE = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<!subteam^S1>",
    "<https://evil|ok>",
    "&",
    "@here",
)
HOSTILE_TEXT = "ping " + " ".join(HOSTILE) + " @channel @everyone"
RAW_PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<!subteam^S1>", "<https://evil")

# 120 characters: emoji (two UTF-16 units each) and mention-like text, the worst a title can be.
LONG_TITLE = ("🔥💥🚨🔥💥🚨 <!channel> <@U123> & @here down " * 6)[:120]


@dataclass
class Story:
    """An incident and its numbered timeline, advanced one command at a time."""

    state: IncidentState = field(default_factory=lambda: Undeclared(REF))
    timeline: list[tuple[int, Event]] = field(default_factory=list)

    @property
    def incident(self) -> Incident:
        assert isinstance(self.state, Incident)
        return self.state

    def apply(self, command: cmd.AnyCommand, at: datetime) -> list[Event]:
        events = decide(self.state, command, at)
        for event in events:
            self.state = evolve(self.state, event)
            self.timeline.append((self.incident.version, event))
        return events


def declared(
    *,
    title: str = "Checkout is failing",
    severity: Severity = Severity.SEV2,
    description: str = "",
    service: str | None = None,
    at: datetime = NOW,
) -> Story:
    story = Story()
    declare = cmd.Declare(
        actor=REPORTER,
        title=title,
        severity=severity,
        channel_id="C0INCIDENTS",
        description=description,
        service=service,
    )
    story.apply(declare, at)
    return story


def story_in(
    status: Status,
    *,
    title: str = "Checkout is failing",
    severity: Severity = Severity.SEV2,
    description: str = "",
    service: str | None = None,
) -> Story:
    """A story whose incident has reached ``status`` through its usual path."""
    story = declared(title=title, severity=severity, description=description, service=service)
    at = NOW + timedelta(minutes=2)
    if status is Status.DECLARED:
        return story
    story.apply(cmd.Assign(actor=REPORTER, commander=COMMANDER), at)
    if status in (Status.IDENTIFIED, Status.MONITORING):
        story.apply(cmd.ChangeStatus(actor=COMMANDER, status=status), at)
    elif status is not Status.INVESTIGATING:
        story.apply(cmd.Acknowledge(actor=COMMANDER), at)
        story.apply(cmd.Resolve(actor=COMMANDER, summary="Rolled back <!here> & restarted"), at)
    else:
        story.apply(cmd.Acknowledge(actor=COMMANDER), at)
    if status is Status.CLOSED:
        story.apply(cmd.Close(actor=COMMANDER), at)
    assert story.incident.status is status
    return story


def incident_in(status: Status, *, title: str = "Checkout is failing", severity: Severity = Severity.SEV2) -> Incident:
    return story_in(status, title=title, severity=severity).incident
