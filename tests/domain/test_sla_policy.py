"""SlaPolicy validation and custom windows, and format_duration."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.commands import SYSTEM_ACTOR, Acknowledge, RecordSlaBreach
from domain.evolve import replay
from domain.incident import Undeclared
from domain.severity import Severity
from domain.sla import DEFAULT_POLICY, STOPPED, ClockKind, SlaClocks, SlaPolicy, SlaWindows, format_duration
from tests.builders import REF, at, declared
from tests.domain.paths import ALICE

CUSTOM = SlaPolicy(
    {
        Severity.SEV1: SlaWindows(ack=timedelta(minutes=2), update=timedelta(minutes=10), resolve=timedelta(hours=1)),
        Severity.SEV2: SlaWindows(ack=timedelta(minutes=10), update=None, resolve=None),
        Severity.SEV3: SlaWindows(ack=None, update=None, resolve=timedelta(days=1)),
        Severity.SEV4: SlaWindows(ack=None, update=None, resolve=None),
    }
)


def test_policy_must_cover_every_severity() -> None:
    windows = {Severity.SEV1: DEFAULT_POLICY.for_severity(Severity.SEV1)}
    with pytest.raises(ValueError, match=r"SLA policy has no windows for SEV2, SEV3, SEV4"):
        SlaPolicy(windows)


def test_policy_keeps_its_own_copy_of_the_windows() -> None:
    windows = dict(CUSTOM.windows)
    policy = SlaPolicy(windows)
    windows[Severity.SEV1] = SlaWindows(ack=None, update=None, resolve=None)
    assert policy.for_severity(Severity.SEV1).ack == timedelta(minutes=2)


def test_window_lookup_by_kind() -> None:
    sev1 = DEFAULT_POLICY.for_severity(Severity.SEV1)
    assert sev1.window(ClockKind.ACK) == timedelta(minutes=5)
    assert sev1.window(ClockKind.UPDATE) == timedelta(minutes=30)
    assert sev1.window(ClockKind.RESOLVE) == timedelta(hours=4)
    assert DEFAULT_POLICY.for_severity(Severity.SEV4).window(ClockKind.UPDATE) is None


def test_custom_policy_sets_and_repeats_clocks() -> None:
    run = declared(severity=Severity.SEV1, policy=CUSTOM)
    assert run.incident.clocks == SlaClocks(at(minutes=2), at(minutes=10), at(hours=1))
    run.do(RecordSlaBreach(actor=SYSTEM_ACTOR, kind=ClockKind.ACK, due_at=at(minutes=2)), at(minutes=3))
    assert run.incident.clocks.ack_due_at == at(minutes=5)


def test_custom_policy_clocks_may_be_off() -> None:
    assert declared(severity=Severity.SEV2, policy=CUSTOM).incident.clocks == SlaClocks(at(minutes=10), None, None)
    assert declared(severity=Severity.SEV4, policy=CUSTOM).incident.clocks == STOPPED


def test_replay_does_not_depend_on_the_policy_in_force() -> None:
    run = declared(severity=Severity.SEV1, policy=CUSTOM)
    run.do(Acknowledge(actor=ALICE), at(minutes=1))
    replayed = replay(Undeclared(REF), run.events)
    assert replayed == run.incident
    assert run.incident.clocks == SlaClocks(None, at(minutes=10), at(hours=1))


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "0 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(seconds=59), "59 s"),
        (timedelta(seconds=60), "1 min"),
        (timedelta(minutes=4, seconds=59), "4 min"),
        (timedelta(minutes=59), "59 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(hours=23, minutes=59), "23 h 59 min"),
        (timedelta(days=1), "1 d"),
        (timedelta(days=3, hours=4), "3 d 4 h"),
        (timedelta(days=3, hours=4, minutes=30), "3 d 4 h"),
        (timedelta(days=7), "7 d"),
    ],
)
def test_format_duration(span: timedelta, text: str) -> None:
    assert format_duration(span) == text
