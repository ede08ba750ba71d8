"""SLA clocks (SPEC §5): set at declaration, recomputed on severity changes, reset by updates,
stopped by resolving and restarted by reopening."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain import events as ev
from domain.commands import Acknowledge, ChangeSeverity, Close, PostStakeholderUpdate, Reopen, Resolve
from domain.errors import InvalidTransition
from domain.evolve import replay
from domain.incident import Undeclared
from domain.severity import Severity
from domain.sla import STOPPED, ClockKind, SlaClocks
from tests.builders import REF, T0, at, declared
from tests.domain.paths import ALICE, BOB, run_commands

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# SPEC §5 defaults: (ack, update, resolve); None means the clock is off.
SPEC_WINDOWS: dict[Severity, tuple[timedelta, timedelta | None, timedelta]] = {
    Severity.SEV1: (5 * MIN, 30 * MIN, 4 * HOUR),
    Severity.SEV2: (15 * MIN, 1 * HOUR, 8 * HOUR),
    Severity.SEV3: (1 * HOUR, 4 * HOUR, 3 * DAY),
    Severity.SEV4: (4 * HOUR, None, 7 * DAY),
}


def _from(anchor: datetime, window: timedelta | None) -> datetime | None:
    return None if window is None else anchor + window


@pytest.mark.parametrize("severity", list(Severity))
def test_clocks_at_declaration(severity: Severity) -> None:
    ack, update, resolve = SPEC_WINDOWS[severity]
    run = declared(severity=severity)
    expected = SlaClocks(ack_due_at=T0 + ack, update_due_at=_from(T0, update), resolve_due_at=T0 + resolve)
    assert run.incident.clocks == expected
    declared_event = run.events[0]
    assert isinstance(declared_event, ev.Declared)
    assert declared_event.clocks == expected


def test_running_clocks_are_listed_earliest_first() -> None:
    clocks = declared(severity=Severity.SEV1).incident.clocks
    assert clocks.running() == [
        (ClockKind.ACK, at(minutes=5)),
        (ClockKind.UPDATE, at(minutes=30)),
        (ClockKind.RESOLVE, at(hours=4)),
    ]
    assert clocks.next_due_at == at(minutes=5)
    assert STOPPED.running() == []
    assert STOPPED.next_due_at is None


@pytest.mark.parametrize(("start", "target"), [(a, b) for a in Severity for b in Severity if a is not b])
def test_severity_change_recomputes_from_declaration(start: Severity, target: Severity) -> None:
    run = declared(severity=start)
    run.do(ChangeSeverity(actor=ALICE, severity=target), at(minutes=3))
    ack, update, resolve = SPEC_WINDOWS[target]
    assert run.incident.severity is target
    assert run.incident.clocks == SlaClocks(
        ack_due_at=_from(T0, ack), update_due_at=_from(T0, update), resolve_due_at=T0 + resolve
    )
    change = run.events[-1]
    assert isinstance(change, ev.SeverityChanged)
    assert (change.previous, change.current, change.clocks) == (start, target, run.incident.clocks)


def test_severity_change_after_ack_keeps_the_ack_clock_stopped() -> None:
    run = run_commands([(at(minutes=2), Acknowledge(actor=ALICE))], severity=Severity.SEV3)
    run.do(ChangeSeverity(actor=ALICE, severity=Severity.SEV1), at(minutes=10))
    assert run.incident.clocks == SlaClocks(None, at(minutes=30), at(hours=4))


def test_severity_change_anchors_the_update_clock_on_the_last_update() -> None:
    run = run_commands(
        [
            (at(minutes=2), Acknowledge(actor=ALICE)),
            (at(minutes=20), PostStakeholderUpdate(actor=ALICE, text="Investigating elevated 5xx")),
        ],
        severity=Severity.SEV2,
    )
    run.do(ChangeSeverity(actor=ALICE, severity=Severity.SEV1), at(minutes=25))
    assert run.incident.clocks == SlaClocks(None, at(minutes=50), at(hours=4))
    run.do(ChangeSeverity(actor=ALICE, severity=Severity.SEV4), at(minutes=26))
    assert run.incident.clocks == SlaClocks(None, None, at(days=7))


def test_stricter_severity_can_make_a_clock_overdue_at_once() -> None:
    run = declared(severity=Severity.SEV3)
    run.do(ChangeSeverity(actor=ALICE, severity=Severity.SEV1), at(minutes=10))
    assert run.incident.clocks.ack_due_at == at(minutes=5)
    assert run.incident.deadlines.ack_due_at == at(minutes=5)
    assert run.incident.card_due_at == at(minutes=30), "the passed ack deadline shows at once; the update's is next"


def test_stakeholder_update_restarts_only_the_update_clock() -> None:
    run = declared(severity=Severity.SEV2)
    produced = run.do(PostStakeholderUpdate(actor=ALICE, text="We are on it", model="claude"), at(minutes=40))
    posted = produced[0]
    assert isinstance(posted, ev.StakeholderUpdatePosted)
    assert posted.model == "claude"
    assert run.incident.last_update_at == at(minutes=40)
    assert run.incident.clocks == SlaClocks(at(minutes=15), at(minutes=100), at(hours=8))


def test_stakeholder_update_for_sev4_keeps_update_clock_off() -> None:
    run = declared(severity=Severity.SEV4)
    run.do(PostStakeholderUpdate(actor=ALICE, text="Minor glitch"), at(minutes=40))
    assert run.incident.clocks == SlaClocks(at(hours=4), None, at(days=7))


def test_update_on_resolved_incident_is_kept_but_starts_no_clock() -> None:
    run = run_commands([(at(minutes=10), Resolve(actor=ALICE))])
    run.do(PostStakeholderUpdate(actor=ALICE, text="All clear"), at(minutes=20))
    assert run.incident.clocks == STOPPED
    assert run.incident.last_update_at == at(minutes=20)
    run.do(Close(actor=ALICE), at(minutes=30))
    error = run.refuse(PostStakeholderUpdate(actor=ALICE, text="Again"), at(minutes=40), InvalidTransition)
    assert f"{REF} is closed" in error.message


def test_resolve_and_close_stop_every_clock() -> None:
    run = declared(severity=Severity.SEV1)
    run.do(Resolve(actor=ALICE), at(minutes=20))
    assert run.incident.clocks == STOPPED
    assert (run.incident.deadlines, run.incident.card_due_at) == (STOPPED, None)
    run.do(Close(actor=ALICE), at(minutes=30))
    assert run.incident.clocks == STOPPED


def test_reopen_restarts_clocks_from_the_reopen_time_with_ack_stopped() -> None:
    run = run_commands([(at(minutes=10), Resolve(actor=ALICE))], severity=Severity.SEV2)
    produced = run.do(Reopen(actor=BOB), at(hours=3))
    expected = SlaClocks(None, at(hours=4), at(hours=11))
    assert run.incident.clocks == expected
    reopened = produced[0]
    assert isinstance(reopened, ev.Reopened)
    assert reopened.clocks == expected


def test_severity_change_after_reopen_anchors_on_the_reopen_time() -> None:
    run = run_commands(
        [
            (at(minutes=2), Acknowledge(actor=ALICE)),
            (at(hours=1), Resolve(actor=ALICE)),
            (at(hours=2), Reopen(actor=BOB)),
        ],
        severity=Severity.SEV2,
    )
    run.do(ChangeSeverity(actor=ALICE, severity=Severity.SEV1), at(hours=2, minutes=10))
    assert run.incident.clocks == SlaClocks(None, at(hours=2, minutes=30), at(hours=6))


def test_severity_change_after_reopen_ignores_updates_from_before_the_reopen() -> None:
    """An update posted before the incident was resolved must not anchor the reopened update clock.

    Reopening restarts the update clock from the reopen time (T0+2h, SEV2: due T0+3h). Moving to
    SEV1 ten minutes later should give T0+2h30, not T0+30m+30m = T0+1h, which would put a freshly
    reopened incident an hour overdue for an update it could not have owed.
    """
    run = run_commands(
        [
            (at(minutes=2), Acknowledge(actor=ALICE)),
            (at(minutes=30), PostStakeholderUpdate(actor=ALICE, text="Mitigating")),
            (at(hours=1), Resolve(actor=ALICE)),
            (at(hours=2), Reopen(actor=BOB)),
        ],
        severity=Severity.SEV2,
    )
    assert run.incident.clocks.update_due_at == at(hours=3)
    run.do(ChangeSeverity(actor=ALICE, severity=Severity.SEV1), at(hours=2, minutes=10))
    assert run.incident.clocks.update_due_at == at(hours=2, minutes=30)


def test_clocks_replay_from_events_alone() -> None:
    run = run_commands(
        [
            (at(minutes=3), ChangeSeverity(actor=ALICE, severity=Severity.SEV1)),
            (at(minutes=4), Acknowledge(actor=ALICE)),
            (at(minutes=20), PostStakeholderUpdate(actor=ALICE, text="Update")),
        ]
    )
    assert replay(Undeclared(REF), run.events) == run.incident
