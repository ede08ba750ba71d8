"""Incidents with a known history, made through the real command runner at given times: what the
insights' tests (storage and console) measure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.handler.runner import CommandRunner
from domain.commands import SYSTEM_ACTOR, IncidentCommand, RecordSlaBreach
from domain.incident import Incident
from domain.severity import Severity
from domain.sla import ClockKind
from tests.storage.helpers import applied, declare_command


async def incident(
    runner: CommandRunner,
    workspace: str,
    declared_at: datetime,
    *steps: tuple[float, IncidentCommand],
    severity: Severity = Severity.SEV2,
    service: str | None = None,
) -> Incident:
    """An incident declared at ``declared_at``, then each ``(minutes after the declaration, command)``."""
    command = replace(declare_command(), severity=severity, service=service)
    state = applied(await runner.declare(workspace, command, now=declared_at)).after
    for minutes, step in steps:
        state = applied(await runner.execute(state.ref, step, now=declared_at + timedelta(minutes=minutes))).after
    return state


def breach(kind: ClockKind, due_at: datetime | None) -> IncidentCommand:
    """What the scheduler records when ``kind``'s clock, due at ``due_at``, has passed."""
    assert due_at is not None, f"no {kind} clock running"
    return RecordSlaBreach(actor=SYSTEM_ACTOR, kind=kind, due_at=due_at)
