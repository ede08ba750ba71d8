"""Concurrent commands are serialised: none lost, and state always equals the replayed timeline."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import Change, CommandRunner, Duplicate
from domain.commands import AddNote, Assign, ChangeSeverity, IncidentCommand
from domain.errors import DomainError
from domain.severity import Severity
from storage.unit_of_work import UnitOfWork
from tests.builders import T0, at
from tests.storage.helpers import card_effect, count_rows, declare, declare_command, replayed

CONCURRENCY = 50


async def test_fifty_concurrent_commands_on_one_incident_lose_nothing(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    declared = await declare(runner, workspace)
    ref = declared.after.ref
    commands: list[IncidentCommand] = []
    for i in range(CONCURRENCY):
        if i % 5 == 0:
            commands.append(ChangeSeverity(actor=f"U{i}", severity=Severity(1 + (i // 5) % 4)))
        elif i % 7 == 0:
            commands.append(Assign(actor=f"U{i}", commander=f"UCOMMANDER{i}"))
        else:
            commands.append(AddNote(actor=f"U{i}", text=f"note {i}"))

    async def run(command: IncidentCommand, i: int) -> Change | DomainError:
        try:
            result = await runner.execute(ref, command, now=at(1 + i / 100), effects=card_effect)
        except DomainError as refused:  # e.g. a severity change to the severity already in force
            return refused
        assert isinstance(result, Change)
        return result

    results = await asyncio.gather(*(run(command, i) for i, command in enumerate(commands)))
    accepted = [r for r in results if isinstance(r, Change)]
    notes = [c for c in commands if isinstance(c, AddNote)]
    assert len([r for r in accepted if r.events[0].event.type == "note_added"]) == len(notes)

    projection, folded = await replayed(engine, ref)
    assert projection == folded
    accepted_events = sum(len(r.events) for r in accepted)
    assert projection.version == 1 + accepted_events
    async with UnitOfWork(engine) as uow:
        history = await uow.events.history(declared.incident_id)
    assert [item.seq for item in history] == list(range(1, projection.version + 1))
    assert sorted(item.event.text for item in history if item.event.type == "note_added") == sorted(  # type: ignore[attr-defined]
        n.text for n in notes
    )
    # Each accepted command wrote its outbox rows, no more and no less.
    assert (await count_rows(engine, declared.incident_id))["outbox"] == accepted_events


async def test_fifty_concurrent_declarations_get_consecutive_numbers(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    results = await asyncio.gather(
        *(runner.declare(workspace, declare_command(title=f"outage {i}"), now=T0) for i in range(CONCURRENCY))
    )
    numbers = sorted(r.after.ref.number for r in results if isinstance(r, Change))
    assert numbers == list(range(1, CONCURRENCY + 1))


async def test_concurrent_duplicates_of_one_request_apply_once(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    declared = await declare(runner, workspace)
    note = AddNote(actor="U1", text="double click")
    results = await asyncio.gather(
        *(runner.execute(declared.after.ref, note, now=at(1), idempotency_key="click:1") for _ in range(10))
    )
    assert sum(isinstance(r, Change) for r in results) == 1
    assert sum(isinstance(r, Duplicate) for r in results) == 9
    assert (await count_rows(engine, declared.incident_id, "click:1"))["events"] == 2


async def test_concurrent_declarations_in_one_thread_make_one_incident(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)

    async def attempt(i: int) -> Change | DomainError:
        try:
            result = await runner.declare(workspace, declare_command(f"dup {i}", thread_ts="1700000000.1"), now=T0)
        except DomainError as refused:
            return refused
        assert isinstance(result, Change)
        return result

    results = await asyncio.gather(*(attempt(i) for i in range(10)))
    winners = [r for r in results if isinstance(r, Change)]
    assert len(winners) == 1
    losers = [r for r in results if isinstance(r, DomainError)]
    assert all(str(loser) == str(losers[0]) for loser in losers)
    assert "already INC-1" in losers[0].message
    # Losing declarations gave their numbers back.
    assert (await declare(runner, workspace)).after.ref.number == 2
