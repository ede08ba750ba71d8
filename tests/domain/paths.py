"""Incidents the domain tests start from: brought along the paths people take, by real commands."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.commands import ChangeStatus, Close, IncidentCommand, Resolve
from domain.lifecycle import Status
from domain.severity import Severity
from domain.sla import DEFAULT_POLICY, SlaPolicy
from tests.builders import Story, at, declared

ALICE = "U_ALICE"
BOB = "U_BOB"


def run_commands(
    commands: Iterable[tuple[datetime, IncidentCommand]],
    *,
    severity: Severity = Severity.SEV2,
    policy: SlaPolicy = DEFAULT_POLICY,
) -> Story:
    """Declare at T0, then apply each (time, command) in order; every command must be accepted."""
    story = declared(severity=severity, policy=policy)
    for now, command in commands:
        story.do(command, now)
    return story


def in_status(status: Status, *, severity: Severity = Severity.SEV2) -> Story:
    """An incident brought into ``status`` by the commands a person would use, a minute apart."""
    story = declared(severity=severity)
    if status is Status.DECLARED:
        return story
    if status is Status.RESOLVED:
        story.do(Resolve(actor=ALICE, summary="Rolled back"), at(minutes=1))
    elif status is Status.CLOSED:
        story.do(Resolve(actor=ALICE, summary="Rolled back"), at(minutes=1))
        story.do(Close(actor=ALICE), at(minutes=2))
    else:
        story.do(ChangeStatus(actor=ALICE, status=status), at(minutes=1))
    assert story.incident.status is status
    return story
