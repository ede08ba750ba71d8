"""RecordSlaBreach (reminders recorded once per due time) and Snooze."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import events as ev
from domain.commands import SYSTEM_ACTOR, Acknowledge, RecordSlaBreach, Resolve, Snooze
from domain.errors import InvalidTransition, InvalidValue, NothingToChange, StaleClock
from domain.severity import Severity
from domain.sla import ClockKind, SlaClocks, SlaPolicy, SlaWindows
from tests.builders import REF, at, declared
from tests.domain.paths import ALICE, run_commands


def _breach(kind: ClockKind, due_minutes: int) -> RecordSlaBreach:
    return RecordSlaBreach(actor=SYSTEM_ACTOR, kind=kind, due_at=at(minutes=due_minutes))


def test_ack_breach_is_recorded_and_repeats_every_ack_window() -> None:
    run = declared(severity=Severity.SEV2)
    produced = run.do(_breach(ClockKind.ACK, 15), at(minutes=17))
    assert [type(e) for e in produced] == [ev.SlaBreached, ev.ReminderSent]
    breached, reminder = produced
    assert isinstance(breached, ev.SlaBreached)
    assert isinstance(reminder, ev.ReminderSent)
    assert (breached.kind, breached.due_at, breached.actor) == (ClockKind.ACK, at(minutes=15), SYSTEM_ACTOR)
    assert (reminder.kind, reminder.due_at) == (ClockKind.ACK, at(minutes=15))
    assert run.incident.clocks == SlaClocks(at(minutes=32), at(hours=1), at(hours=8))
    assert breached.clocks == run.incident.clocks

    run.do(_breach(ClockKind.ACK, 32), at(minutes=32))
    assert run.incident.clocks.ack_due_at == at(minutes=47)


def test_the_same_breach_is_recorded_only_once() -> None:
    run = declared(severity=Severity.SEV2)
    run.do(_breach(ClockKind.ACK, 15), at(minutes=15))
    error = run.refuse(_breach(ClockKind.ACK, 15), at(minutes=16), StaleClock)
    assert error.message.startswith(f"{REF}'s ack clock is no longer due at")


def test_update_breach_repeats_every_update_window() -> None:
    run = run_commands([(at(minutes=2), Acknowledge(actor=ALICE))], severity=Severity.SEV1)
    run.do(_breach(ClockKind.UPDATE, 30), at(minutes=31))
    assert run.incident.clocks == SlaClocks(None, at(minutes=61), at(hours=4))


def test_resolve_breach_fires_once_and_stops_its_clock() -> None:
    run = run_commands([(at(minutes=2), Acknowledge(actor=ALICE))], severity=Severity.SEV1)
    run.do(_breach(ClockKind.RESOLVE, 240), at(hours=4, minutes=1))
    assert run.incident.clocks.resolve_due_at is None
    assert run.incident.clocks.update_due_at == at(minutes=30)
    run.refuse(_breach(ClockKind.RESOLVE, 240), at(hours=4, minutes=2), StaleClock)


def test_breach_with_the_wrong_due_time_is_stale() -> None:
    run = declared(severity=Severity.SEV2)
    error = run.refuse(_breach(ClockKind.ACK, 14), at(minutes=20), StaleClock)
    assert error.message == f"{REF}'s ack clock is no longer due at {at(minutes=14).isoformat()}."


def test_breach_before_its_due_time_is_stale_but_at_it_is_accepted() -> None:
    run = declared(severity=Severity.SEV2)
    error = run.refuse(_breach(ClockKind.ACK, 15), at(minutes=14, seconds=59), StaleClock)
    assert error.message == f"{REF}'s ack clock is not due until {at(minutes=15).isoformat()}."
    run.do(_breach(ClockKind.ACK, 15), at(minutes=15))


def test_breach_of_a_stopped_clock_is_stale() -> None:
    acked = run_commands([(at(minutes=2), Acknowledge(actor=ALICE))])
    acked.refuse(_breach(ClockKind.ACK, 15), at(minutes=20), StaleClock)
    sev4 = declared(severity=Severity.SEV4)
    sev4.refuse(_breach(ClockKind.UPDATE, 60), at(hours=2), StaleClock)


def test_breach_on_a_resolved_incident_is_stale() -> None:
    run = run_commands([(at(minutes=5), Resolve(actor=ALICE))], severity=Severity.SEV2)
    error = run.refuse(_breach(ClockKind.ACK, 15), at(minutes=20), StaleClock)
    assert error.message == f"{REF} is resolved; its clocks are stopped."


def test_snooze_postpones_only_the_clocks_due_before_it_ends() -> None:
    run = declared(severity=Severity.SEV1)
    produced = run.do(Snooze(actor=ALICE, duration=timedelta(minutes=10)), at(minutes=1))
    snoozed = produced[0]
    assert isinstance(snoozed, ev.Snoozed)
    assert snoozed.until == at(minutes=11)
    expected = SlaClocks(at(minutes=11), at(minutes=30), at(hours=4))
    assert snoozed.clocks == expected
    assert run.incident.clocks == expected


def test_snooze_holds_back_an_overdue_clock() -> None:
    run = declared(severity=Severity.SEV1)
    run.do(Snooze(actor=ALICE, duration=timedelta(minutes=45)), at(minutes=8))
    assert run.incident.clocks == SlaClocks(at(minutes=53), at(minutes=53), at(hours=4))


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(minutes=-5)])
def test_snooze_needs_a_positive_duration(duration: timedelta) -> None:
    error = declared().refuse(Snooze(actor=ALICE, duration=duration), at(minutes=1), InvalidValue)
    assert error.message == "Snooze for a positive duration, e.g. snooze 30m."


def test_snooze_is_capped_at_a_day() -> None:
    run = declared(severity=Severity.SEV1)
    error = run.refuse(Snooze(actor=ALICE, duration=timedelta(hours=24, seconds=1)), at(minutes=1), InvalidValue)
    assert error.message == "You can snooze for at most 1 d."
    run.do(Snooze(actor=ALICE, duration=timedelta(hours=24)), at(minutes=1))
    assert run.incident.clocks == SlaClocks(at(days=1, minutes=1), at(days=1, minutes=1), at(days=1, minutes=1))


def test_snooze_with_nothing_due_before_it_ends_is_refused() -> None:
    run = declared(severity=Severity.SEV1)
    error = run.refuse(Snooze(actor=ALICE, duration=timedelta(minutes=1)), at(minutes=0), NothingToChange)
    assert error.message == f"No reminder of {REF} comes before then; the next one is in 5 min."


def test_snooze_without_running_clocks_is_refused() -> None:
    off = SlaWindows(ack=None, update=None, resolve=None)
    policy = SlaPolicy(dict.fromkeys(Severity, off))
    run = declared(policy=policy)
    error = run.refuse(Snooze(actor=ALICE, duration=timedelta(minutes=30)), at(minutes=1), NothingToChange)
    assert error.message == f"{REF} has no reminders to snooze."


def test_snooze_on_resolved_incident_is_refused() -> None:
    run = run_commands([(at(minutes=5), Resolve(actor=ALICE))])
    error = run.refuse(Snooze(actor=ALICE, duration=timedelta(minutes=30)), at(minutes=6), InvalidTransition)
    assert error.message == f"{REF} is resolved; you can reopen or close it."
