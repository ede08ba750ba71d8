"""Acknowledge, the resolve/reopen/close shortcuts, and the first-reached timestamps."""

from __future__ import annotations

from domain import events as ev
from domain.commands import Acknowledge, ChangeStatus, Close, Reopen, Resolve
from domain.errors import InvalidTransition, InvalidValue, NothingToChange
from domain.lifecycle import Status
from domain.sla import STOPPED, ClockKind
from tests.builders import REF, T0, at, declared
from tests.domain.paths import ALICE, BOB, in_status


def test_ack_moves_declared_to_investigating_and_stops_only_the_ack_clock() -> None:
    run = declared()
    clocks_before = run.incident.clocks
    produced = run.do(Acknowledge(actor=ALICE), at(minutes=3))

    assert [type(e) for e in produced] == [ev.Acknowledged, ev.StatusChanged]
    change = produced[1]
    assert isinstance(change, ev.StatusChanged)
    assert (change.previous, change.current) == (Status.DECLARED, Status.INVESTIGATING)
    incident = run.incident
    assert incident.status is Status.INVESTIGATING
    assert incident.acknowledged_at == at(minutes=3)
    assert clocks_before.ack_due_at is not None
    assert incident.clocks == clocks_before.with_due(ClockKind.ACK, None)


def test_second_ack_is_refused_and_keeps_the_first_time() -> None:
    run = declared()
    run.do(Acknowledge(actor=ALICE), at(minutes=3))
    error = run.refuse(Acknowledge(actor=BOB), at(minutes=4), NothingToChange)
    assert error.message == f"{REF} is already acknowledged."
    assert run.incident.acknowledged_at == at(minutes=3)


def test_any_move_out_of_declared_acknowledges_so_a_later_ack_is_refused() -> None:
    run = declared()
    run.do(ChangeStatus(actor=ALICE, status=Status.IDENTIFIED), at(minutes=2))
    assert run.incident.acknowledged_at == at(minutes=2)
    run.refuse(Acknowledge(actor=BOB), at(minutes=5), NothingToChange)
    run.do(ChangeStatus(actor=ALICE, status=Status.MONITORING), at(minutes=6))
    assert run.incident.acknowledged_at == at(minutes=2)


def test_ack_on_resolved_or_closed_is_refused() -> None:
    resolved = in_status(Status.RESOLVED)
    error = resolved.refuse(Acknowledge(actor=ALICE), at(minutes=5), InvalidTransition)
    assert error.message == f"{REF} is resolved; you can reopen or close it."
    closed = in_status(Status.CLOSED)
    error = closed.refuse(Acknowledge(actor=ALICE), at(minutes=5), InvalidTransition)
    assert f"{REF} is closed" in error.message


def test_resolve_shortcut_records_a_cleaned_summary() -> None:
    run = in_status(Status.INVESTIGATING)
    produced = run.do(Resolve(actor=BOB, summary="  Rolled back\x07 deploy 812 "), at(hours=1))
    assert [type(e) for e in produced] == [ev.Resolved]
    resolved = produced[0]
    assert isinstance(resolved, ev.Resolved)
    assert resolved.summary == "Rolled back deploy 812"
    incident = run.incident
    assert (incident.status, incident.resolved_at, incident.clocks) == (Status.RESOLVED, at(hours=1), STOPPED)
    assert incident.resolution_summary == "Rolled back deploy 812"


def test_resolve_from_declared_acknowledges_first_and_summary_is_optional() -> None:
    run = declared()
    produced = run.do(Resolve(actor=BOB, summary="   "), at(minutes=2))
    assert [type(e) for e in produced] == [ev.Acknowledged, ev.Resolved]
    assert run.incident.resolution_summary is None
    assert run.incident.acknowledged_at == at(minutes=2)


def test_change_status_to_resolved_carries_its_summary() -> None:
    run = in_status(Status.MONITORING)
    run.do(ChangeStatus(actor=BOB, status=Status.RESOLVED, summary="Cache warmed"), at(hours=1))
    assert run.incident.resolution_summary == "Cache warmed"


def test_resolve_twice_and_resolve_when_closed_are_refused() -> None:
    resolved = in_status(Status.RESOLVED)
    error = resolved.refuse(Resolve(actor=BOB), at(hours=1), NothingToChange)
    assert error.message == f"{REF} is already resolved."
    closed = in_status(Status.CLOSED)
    error = closed.refuse(Resolve(actor=BOB), at(hours=1), InvalidTransition)
    assert f"{REF} is closed" in error.message


def test_too_long_summary_is_refused() -> None:
    run = in_status(Status.INVESTIGATING)
    error = run.refuse(Resolve(actor=BOB, summary="x" * 501), at(hours=1), InvalidValue)
    assert "limit is 500" in error.message


def test_reopen_shortcut_clears_the_resolution() -> None:
    run = in_status(Status.RESOLVED)
    produced = run.do(Reopen(actor=BOB, reason="Errors are back"), at(hours=2))
    assert [type(e) for e in produced] == [ev.Reopened]
    reopened = produced[0]
    assert isinstance(reopened, ev.Reopened)
    assert reopened.reason == "Errors are back"
    incident = run.incident
    assert incident.status is Status.INVESTIGATING
    assert incident.resolved_at is None
    assert incident.resolution_summary is None
    assert incident.reopened_at == at(hours=2)
    assert incident.declared_at == T0


def test_reopen_refused_unless_resolved() -> None:
    run = in_status(Status.IDENTIFIED)
    error = run.refuse(Reopen(actor=BOB), at(hours=1), NothingToChange)
    assert error.message == f"{REF} is still open (identified); only a resolved incident can be reopened."
    closed = in_status(Status.CLOSED)
    error = closed.refuse(Reopen(actor=BOB), at(hours=1), InvalidTransition)
    assert f"{REF} is closed" in error.message
    long_reason = in_status(Status.RESOLVED)
    error = long_reason.refuse(Reopen(actor=BOB, reason="r" * 501), at(hours=1), InvalidValue)
    assert "limit is 500" in error.message


def test_close_shortcut_only_from_resolved() -> None:
    run = in_status(Status.RESOLVED)
    produced = run.do(Close(actor=BOB), at(hours=3))
    assert [type(e) for e in produced] == [ev.Closed]
    assert (run.incident.status, run.incident.closed_at) == (Status.CLOSED, at(hours=3))

    error = run.refuse(Close(actor=BOB), at(hours=4), NothingToChange)
    assert error.message == f"{REF} is already closed."
    for status in (Status.DECLARED, Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING):
        open_run = in_status(status)
        error = open_run.refuse(Close(actor=BOB), at(hours=1), InvalidTransition)
        assert error.message == f"{REF} is still {status}; resolve it before closing it."


def test_identified_and_mitigated_are_stamped_on_first_entry_only() -> None:
    run = declared()
    assert (run.incident.identified_at, run.incident.mitigated_at) == (None, None)
    run.do(ChangeStatus(actor=ALICE, status=Status.IDENTIFIED), at(minutes=5))
    assert (run.incident.identified_at, run.incident.mitigated_at) == (at(minutes=5), None)
    run.do(ChangeStatus(actor=ALICE, status=Status.MONITORING), at(minutes=20))
    assert (run.incident.identified_at, run.incident.mitigated_at) == (at(minutes=5), at(minutes=20))
    run.do(ChangeStatus(actor=ALICE, status=Status.INVESTIGATING), at(minutes=30))
    run.do(ChangeStatus(actor=ALICE, status=Status.IDENTIFIED), at(minutes=40))
    run.do(ChangeStatus(actor=ALICE, status=Status.MONITORING), at(minutes=50))
    assert (run.incident.identified_at, run.incident.mitigated_at) == (at(minutes=5), at(minutes=20))


def test_going_straight_to_monitoring_stamps_mitigation_but_not_identification() -> None:
    run = declared()
    run.do(ChangeStatus(actor=ALICE, status=Status.MONITORING), at(minutes=7))
    assert run.incident.mitigated_at == at(minutes=7)
    assert run.incident.identified_at is None
