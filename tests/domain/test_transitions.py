"""Every (from, to) pair of SPEC §1's lifecycle table, allowed or refused, through ChangeStatus."""

from __future__ import annotations

from itertools import product

import pytest

from domain import events as ev
from domain.commands import ChangeStatus
from domain.errors import InvalidTransition, NothingToChange
from domain.lifecycle import Status, allowed_next, can_move
from domain.sla import STOPPED
from tests.builders import REF, at
from tests.domain.paths import ALICE, in_status

D, INV, IDE, MON, RES, CLO = (
    Status.DECLARED,
    Status.INVESTIGATING,
    Status.IDENTIFIED,
    Status.MONITORING,
    Status.RESOLVED,
    Status.CLOSED,
)

# SPEC §1, written out again here so the table in lifecycle.py is checked against the spec, not itself.
SPEC_TABLE: dict[Status, tuple[Status, ...]] = {
    D: (INV, IDE, MON, RES),
    INV: (IDE, MON, RES),
    IDE: (INV, MON, RES),
    MON: (INV, RES),
    RES: (INV, CLO),
    CLO: (),
}

ALL_PAIRS = list(product(Status, Status))
ALLOWED = [(src, dst) for src, dst in ALL_PAIRS if dst in SPEC_TABLE[src]]
REFUSED = [(src, dst) for src, dst in ALL_PAIRS if dst not in SPEC_TABLE[src]]


def _pair_id(pair: tuple[Status, Status]) -> str:
    return f"{pair[0]}->{pair[1]}"


def test_the_pairs_cover_every_combination() -> None:
    assert len(ALLOWED) + len(REFUSED) == len(Status) ** 2 == 36
    assert len(ALLOWED) == 14


@pytest.mark.parametrize("status", list(Status))
def test_transition_table_matches_spec(status: Status) -> None:
    assert allowed_next(status) == SPEC_TABLE[status]
    for target in Status:
        assert can_move(status, target) is (target in SPEC_TABLE[status])


def _expected_event_types(src: Status, dst: Status) -> list[type[ev.Event]]:
    first: list[type[ev.Event]] = [ev.Acknowledged] if src is D else []
    if dst is RES:
        return [*first, ev.Resolved]
    if dst is CLO:
        return [*first, ev.Closed]
    if src is RES:
        return [*first, ev.Reopened]
    return [*first, ev.StatusChanged]


@pytest.mark.parametrize(("src", "dst"), ALLOWED, ids=[_pair_id(p) for p in ALLOWED])
def test_allowed_transition(src: Status, dst: Status) -> None:
    run = in_status(src)
    before = run.incident
    now = at(minutes=10)

    produced = run.do(ChangeStatus(actor=ALICE, status=dst), now)

    after = run.incident
    assert [type(e) for e in produced] == _expected_event_types(src, dst)
    assert all(e.actor == ALICE and e.at == now for e in produced)
    assert after.status is dst
    assert after.version == before.version + len(produced)
    assert after.acknowledged_at is not None

    if src is D:
        assert after.acknowledged_at == now
    else:
        assert after.acknowledged_at == before.acknowledged_at
    if isinstance(produced[-1], ev.StatusChanged):
        assert (produced[-1].previous, produced[-1].current) == (src, dst)
    if dst is RES:
        assert after.resolved_at == now
        assert after.clocks == STOPPED
    if dst is CLO:
        assert after.closed_at == now
        assert after.resolved_at == before.resolved_at is not None
        assert after.clocks == STOPPED
    if src is RES and dst is INV:
        assert after.resolved_at is None
        assert after.resolution_summary is None
        assert after.reopened_at == now
        assert after.opened_at == now


@pytest.mark.parametrize(("src", "dst"), REFUSED, ids=[_pair_id(p) for p in REFUSED])
def test_refused_transition(src: Status, dst: Status) -> None:
    run = in_status(src)
    command = ChangeStatus(actor=ALICE, status=dst)

    if src is dst:
        error = run.refuse(command, at(minutes=10), NothingToChange)
        assert error.message == f"{REF} is already {src}."
    elif src is CLO:
        error = run.refuse(command, at(minutes=10), InvalidTransition)
        assert error.message.startswith(f"{REF} is closed;")
    elif src is RES:
        error = run.refuse(command, at(minutes=10), InvalidTransition)
        assert error.message == f"{REF} is resolved; you can reopen or close it."
    else:
        error = run.refuse(command, at(minutes=10), InvalidTransition)
        allowed = ", ".join(s.value for s in SPEC_TABLE[src])
        assert error.message == f"{REF} can't move from {src} to {dst}; allowed next: {allowed}."
