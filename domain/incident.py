"""The incident aggregate's state: a value folded from its events, never edited in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.alerts import NO_ALERTS, IncidentAlerts
from domain.followup import FollowUp
from domain.lifecycle import OPEN_STATUSES, Status
from domain.pinned import PinnedMessage
from domain.postmortem import EMPTY_POSTMORTEM, Postmortem
from domain.services import RunbookMark
from domain.severity import Severity
from domain.sla import STOPPED, SlaClocks


@dataclass(frozen=True, order=True)
class IncidentRef:
    """An incident's identity: its number is unique within one Slack workspace."""

    workspace_id: str
    number: int

    def __str__(self) -> str:
        return f"INC-{self.number}"


@dataclass(frozen=True)
class SlackSource:
    """The Slack message a command came from, kept on its events for the audit trail."""

    channel_id: str
    ts: str | None = None


@dataclass(frozen=True)
class ConsoleSource:
    """A command made in the web console: no Slack message carried it, and the timeline and the
    thread say it was done there."""


# Where a command came from, kept on its events (None: the scheduler or a job, nobody's message).
Source = SlackSource | ConsoleSource


@dataclass(frozen=True)
class Undeclared:
    """The state of an incident number that has been allocated but not yet declared."""

    ref: IncidentRef


@dataclass(frozen=True)
class Incident:
    ref: IncidentRef
    title: str
    description: str
    severity: Severity
    status: Status
    reporter: str
    commander: str | None
    service: str | None
    channel_id: str
    thread_ts: str | None
    declared_at: datetime
    acknowledged_at: datetime | None = None
    identified_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    last_update_at: datetime | None = None
    resolution_summary: str | None = None
    # What Slack said when it last refused the card, until the card is asked for again: while
    # set, the incident has no card (and, unless declared in a thread, no thread) in Slack.
    card_refused: str | None = None
    # ``clocks`` are when the scheduler next reminds (a snooze or a repeat moves them);
    # ``deadlines`` are the obligations themselves, which only a change to the incident moves.
    clocks: SlaClocks = STOPPED
    deadlines: SlaClocks = STOPPED
    snoozed_until: datetime | None = None
    acknowledged_by: str | None = None
    # Time spent open before the latest reopening: time-to-resolve leaves out time in resolved.
    worked_before_reopen: timedelta = timedelta(0)
    # When the card's SLA field next reads differently on its own (a deadline or a snooze ends),
    # so the scheduler edits it then; None while nothing is ahead.
    card_due_at: datetime | None = None
    # Numbered from 1 in order; kept after resolution and closing, when most are written.
    followups: tuple[FollowUp, ...] = ()
    # Messages pinned from Slack, in the order they were first pinned (domain.pinned).
    pinned: tuple[PinnedMessage, ...] = ()
    # The postmortem as its saves fold (domain.postmortem); written once the incident is over.
    postmortem: Postmortem = EMPTY_POSTMORTEM
    # The alerts monitoring reported on it and the groups they came in (domain.alerts, SPEC §11).
    alerts: IncidentAlerts = NO_ALERTS
    # On the public status page (SPEC §14), under ``public_title`` when one was given.
    public: bool = False
    public_title: str | None = None
    # The runbook steps done so far, in step order (SPEC §13).
    runbook: tuple[RunbookMark, ...] = ()
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def time_to_ack(self) -> timedelta | None:
        return None if self.acknowledged_at is None else self.acknowledged_at - self.declared_at

    @property
    def time_to_resolve(self) -> timedelta | None:
        """Open time until the latest resolution, time spent resolved before a reopen excluded."""
        if self.resolved_at is None:
            return None
        return self.worked_before_reopen + (self.resolved_at - self.opened_at)

    @property
    def opened_at(self) -> datetime:
        """When the current stretch of work began: declaration, or the latest reopening."""
        return self.reopened_at or self.declared_at


IncidentState = Undeclared | Incident
