"""Shared builders for the domain tests: a fixed incident, a fixed clock and a tiny command runner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from domain import events as ev
from domain.commands import AnyCommand, ChangeStatus, Close, Declare, IncidentCommand, Resolve
from domain.decide import decide
from domain.errors import DomainError
from domain.evolve import evolve
from domain.incident import Incident, IncidentRef, IncidentState, Undeclared
from domain.lifecycle import Status
from domain.severity import Severity
from domain.sla import DEFAULT_POLICY, SlaPolicy

REF = IncidentRef(workspace_id="T0001", number=42)
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
REPORTER = "U_REPORTER"
ALICE = "U_ALICE"
BOB = "U_BOB"
CHANNEL = "C_INCIDENTS"


def at(*, days: int = 0, hours: int = 0, minutes: int = 0, seconds: int = 0) -> datetime:
    """A moment measured from T0, the time every test incident is declared."""
    return T0 + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def declare_command(
    *,
    title: str = "Checkout is down",
    severity: Severity = Severity.SEV2,
    description: str = "",
    service: str | None = None,
    actor: str = REPORTER,
) -> Declare:
    return Declare(
        actor=actor,
        title=title,
        severity=severity,
        channel_id=CHANNEL,
        thread_ts="1700000000.000100",
        description=description,
        service=service,
    )


@dataclass
class Run:
    """An incident driven through real commands: decide, then fold each event with evolve."""

    state: IncidentState
    policy: SlaPolicy = DEFAULT_POLICY
    events: list[ev.Event] = field(default_factory=list)

    def do(self, command: AnyCommand, now: datetime) -> list[ev.Event]:
        produced = decide(self.state, command, now, self.policy)
        for event in produced:
            self.state = evolve(self.state, event)
        self.events.extend(produced)
        return produced

    def refuse(self, command: AnyCommand, now: datetime, error: type[DomainError]) -> DomainError:
        """Assert the command is refused with ``error`` and that nothing changed."""
        before, count = self.state, len(self.events)
        with pytest.raises(error) as caught:
            self.do(command, now)
        assert self.state == before
        assert len(self.events) == count
        assert caught.value.message == str(caught.value)
        return caught.value

    @property
    def incident(self) -> Incident:
        assert isinstance(self.state, Incident), f"{self.state} is not declared"
        return self.state


def declared(
    *,
    severity: Severity = Severity.SEV2,
    now: datetime = T0,
    policy: SlaPolicy = DEFAULT_POLICY,
    title: str = "Checkout is down",
) -> Run:
    run = Run(Undeclared(REF), policy)
    run.do(declare_command(severity=severity, title=title), now)
    return run


def run_commands(
    commands: Iterable[tuple[datetime, IncidentCommand]],
    *,
    severity: Severity = Severity.SEV2,
    policy: SlaPolicy = DEFAULT_POLICY,
) -> Run:
    """Declare at T0, then apply each (time, command) in order; every command must be accepted."""
    run = declared(severity=severity, policy=policy)
    for now, command in commands:
        run.do(command, now)
    return run


def in_status(status: Status, *, severity: Severity = Severity.SEV2) -> Run:
    """An incident brought into ``status`` by the commands a person would use, a minute apart."""
    run = declared(severity=severity)
    if status is Status.DECLARED:
        return run
    if status is Status.RESOLVED:
        run.do(Resolve(actor=ALICE, summary="Rolled back"), at(minutes=1))
    elif status is Status.CLOSED:
        run.do(Resolve(actor=ALICE, summary="Rolled back"), at(minutes=1))
        run.do(Close(actor=ALICE), at(minutes=2))
    else:
        run.do(ChangeStatus(actor=ALICE, status=status), at(minutes=1))
    assert run.incident.status is status
    return run
