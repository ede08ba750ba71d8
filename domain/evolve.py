"""evolve(state, event) -> state: how each fact changes the incident. Total and side-effect free."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import reduce

from domain import events as ev
from domain.incident import Incident, IncidentState
from domain.lifecycle import Status
from domain.sla import STOPPED


def evolve(state: IncidentState, event: ev.Event) -> Incident:
    if isinstance(event, ev.Declared):
        return _declared(state, event)
    if not isinstance(state, Incident):
        raise ValueError(f"{event.type} event for {state.ref}, which was never declared")
    return replace(_apply(state, event), version=state.version + 1)


def replay(initial: IncidentState, history: Iterable[ev.Event]) -> IncidentState:
    """The state a timeline folds to; ``initial`` if the timeline is empty."""
    return reduce(evolve, history, initial)


def _declared(state: IncidentState, event: ev.Declared) -> Incident:
    if isinstance(state, Incident):
        raise ValueError(f"{state.ref} was declared twice")
    return Incident(
        ref=event.ref,
        title=event.title,
        description=event.description,
        severity=event.severity,
        status=Status.DECLARED,
        reporter=event.actor,
        commander=None,
        service=event.service,
        channel_id=event.channel_id,
        thread_ts=event.thread_ts,
        declared_at=event.at,
        clocks=event.clocks,
        version=1,
    )


def _entered(state: Incident, status: Status, event: ev.Event) -> Incident:
    """Moving into a state stamps its first-reached time; later visits keep the first one."""
    identified_at = state.identified_at
    mitigated_at = state.mitigated_at
    if status is Status.IDENTIFIED and identified_at is None:
        identified_at = event.at
    if status is Status.MONITORING and mitigated_at is None:
        mitigated_at = event.at
    return replace(state, status=status, identified_at=identified_at, mitigated_at=mitigated_at)


def _apply(state: Incident, event: ev.Event) -> Incident:  # noqa: PLR0911 - one branch per event type
    match event:
        case ev.Acknowledged():
            return replace(state, acknowledged_at=event.at, clocks=event.clocks)
        case ev.SeverityChanged():
            return replace(state, severity=event.current, clocks=event.clocks)
        case ev.Assigned():
            return replace(state, commander=event.current)
        case ev.StatusChanged():
            return _entered(state, event.current, event)
        case ev.StakeholderUpdatePosted():
            return replace(state, last_update_at=event.at, clocks=event.clocks)
        case ev.SlaBreached() | ev.Snoozed():
            return replace(state, clocks=event.clocks)
        case ev.Resolved():
            return replace(
                state,
                status=Status.RESOLVED,
                resolved_at=event.at,
                resolution_summary=event.summary,
                clocks=STOPPED,
            )
        case ev.Reopened():
            return replace(
                state,
                status=Status.INVESTIGATING,
                resolved_at=None,
                resolution_summary=None,
                reopened_at=event.at,
                clocks=event.clocks,
            )
        case ev.Closed():
            return replace(state, status=Status.CLOSED, closed_at=event.at, clocks=STOPPED)
        case ev.CardPostFailed():
            return replace(state, card_refused=event.error)
        case ev.CardRepostRequested():
            return replace(state, card_refused=None)
        case ev.NoteAdded() | ev.AiDraftCreated() | ev.ReminderSent():
            return state
    raise ValueError(f"unknown event type {type(event).__name__}")
