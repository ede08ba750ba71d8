"""Refusals name the incident; undeclared incidents, double declarations and naive clocks are refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.decide import decide
from domain.errors import (
    DomainError,
    InvalidTransition,
    InvalidValue,
    NothingToChange,
    StaleClock,
    UnknownIncident,
)
from domain.evolve import evolve, replay
from domain.incident import Incident, IncidentRef, Undeclared
from domain.lifecycle import Status
from domain.severity import Severity
from domain.sla import ClockKind
from tests.builders import REF, REPORTER, T0, Story, at, declare_command, declared
from tests.domain.paths import ALICE, in_status

INCIDENT_COMMANDS: list[cmd.IncidentCommand] = [
    cmd.Acknowledge(actor=ALICE),
    cmd.ChangeSeverity(actor=ALICE, severity=Severity.SEV1),
    cmd.Assign(actor=ALICE, commander="U_BOB"),
    cmd.ChangeStatus(actor=ALICE, status=Status.IDENTIFIED),
    cmd.Resolve(actor=ALICE),
    cmd.Reopen(actor=ALICE),
    cmd.Close(actor=ALICE),
    cmd.AddNote(actor=ALICE, text="note"),
    cmd.PostStakeholderUpdate(actor=ALICE, text="update"),
    cmd.RecordAiDraft(actor=ALICE, text="draft", model=None, based_on=(), ai_written=False),
    cmd.RecordSlaBreach(actor=ALICE, kind=ClockKind.ACK, due_at=T0),
    cmd.Snooze(actor=ALICE, duration=timedelta(minutes=5)),
]


def test_ref_reads_as_inc_number() -> None:
    assert str(IncidentRef(workspace_id="T1", number=7)) == "INC-7"


@pytest.mark.parametrize("command", INCIDENT_COMMANDS, ids=lambda c: type(c).__name__)
def test_commands_on_an_undeclared_incident_are_refused(command: cmd.IncidentCommand) -> None:
    error = Story(Undeclared(REF)).refuse(command, at(minutes=1), UnknownIncident)
    assert error.message == "INC-42 does not exist."


def test_declare_twice_is_refused() -> None:
    error = declared().refuse(declare_command(title="Again"), at(minutes=1), NothingToChange)
    assert error.message == "INC-42 is already declared."


def test_declared_incident_fields() -> None:
    run = Story(Undeclared(REF))
    run.do(declare_command(title="DB down", severity=Severity.SEV1, description="Primary gone", service="db"), T0)
    incident = run.incident
    assert isinstance(incident, Incident)
    assert (incident.ref, incident.title, incident.severity, incident.status) == (
        REF,
        "DB down",
        Severity.SEV1,
        "declared",
    )
    assert (incident.description, incident.service, incident.commander) == ("Primary gone", "db", None)
    assert (incident.declared_at, incident.version, incident.is_open) == (T0, 1, True)
    assert incident.reporter == REPORTER


@pytest.mark.parametrize("command", [declare_command(), cmd.Acknowledge(actor=ALICE)], ids=["declare", "ack"])
def test_decide_needs_an_aware_datetime(command: cmd.AnyCommand) -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        decide(declared().state, command, datetime(2025, 3, 1, 9, 5))  # a naive datetime, on purpose


def test_evolve_refuses_events_for_an_undeclared_incident() -> None:
    with pytest.raises(ValueError, match="never declared"):
        evolve(Undeclared(REF), ev.NoteAdded(actor=ALICE, at=T0, text="hi"))


def test_evolve_refuses_a_second_declaration() -> None:
    run = declared()
    with pytest.raises(ValueError, match="declared twice"):
        replay(Undeclared(REF), [*run.events, run.events[0]])


def test_replay_of_nothing_is_the_initial_state() -> None:
    assert replay(Undeclared(REF), []) == Undeclared(REF)


REFUSALS: list[tuple[Status, cmd.IncidentCommand, type[DomainError]]] = [
    (Status.RESOLVED, cmd.ChangeSeverity(actor=ALICE, severity=Severity.SEV1), InvalidTransition),
    (Status.RESOLVED, cmd.Assign(actor=ALICE, commander="U_BOB"), InvalidTransition),
    (Status.RESOLVED, cmd.Snooze(actor=ALICE, duration=timedelta(minutes=5)), InvalidTransition),
    (Status.CLOSED, cmd.AddNote(actor=ALICE, text="late"), InvalidTransition),
    (
        Status.CLOSED,
        cmd.RecordAiDraft(actor=ALICE, text="d", model=None, based_on=(), ai_written=True),
        InvalidTransition,
    ),
    (Status.CLOSED, cmd.RecordSlaBreach(actor=ALICE, kind=ClockKind.ACK, due_at=T0), StaleClock),
    (Status.INVESTIGATING, cmd.ChangeSeverity(actor=ALICE, severity=Severity.SEV2), NothingToChange),
    (Status.INVESTIGATING, cmd.Reopen(actor=ALICE), NothingToChange),
    (Status.INVESTIGATING, cmd.Close(actor=ALICE), InvalidTransition),
    (
        Status.DECLARED,
        cmd.RecordAiDraft(actor=ALICE, text="d", model=None, based_on=(9,), ai_written=True),
        InvalidValue,
    ),
]


@pytest.mark.parametrize(("status", "command", "error"), REFUSALS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_refusals_name_the_incident(status: Status, command: cmd.IncidentCommand, error: type[DomainError]) -> None:
    refused = in_status(status).refuse(command, at(hours=1), error)
    assert "INC-42" in refused.message
    if status is Status.RESOLVED:
        assert refused.message == "INC-42 is resolved; you can reopen or close it."
    if status is Status.CLOSED and error is InvalidTransition:
        assert refused.message == (
            "INC-42 is closed; nothing more can change. Declare a new incident if the problem is back."
        )
