"""A declaration reads its number, then writes it and everything else only if no one took it first
(on Postgres in one statement, without a transaction) — on Postgres and SQLite."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import Change, CommandRunner, Duplicate
from storage.stored import BatchWrites, OutboxMessage
from storage.unit_of_work import UnitOfWork
from tests.builders import T0
from tests.storage.helpers import applied, card_effect, count_rows, declare_command


async def test_a_number_taken_meanwhile_writes_nothing(engine: AsyncEngine, workspace: str) -> None:
    async with UnitOfWork(engine, autocommit=True) as uow:
        number, incident_id = await uow.counters.next_incident(workspace)
    assert number == 1
    taken_first = applied(await CommandRunner(engine).declare(workspace, declare_command(), now=T0))
    assert taken_first.after.ref.number == 1

    writes = BatchWrites(
        claims=[(f"{workspace}:late", T0, incident_id)],
        timelines=[(incident_id, taken_first.events)],
        messages=[([OutboxMessage("audit", {"late": True})], incident_id)],
    )
    before = await count_rows(engine, incident_id, f"{workspace}:late")
    async with UnitOfWork(engine, autocommit=True) as uow:
        assert not await uow.declare(incident_id, taken_first.after, writes, T0)
    assert await count_rows(engine, incident_id, f"{workspace}:late") == before
    async with UnitOfWork(engine) as uow:
        assert [stored.id for stored in await uow.incidents.recent(workspace)] == [taken_first.incident_id]
        assert (await uow.counters.next_incident(workspace))[0] == 2


async def test_two_replicas_declaring_at_once_take_consecutive_numbers(engine: AsyncEngine, workspace: str) -> None:
    replicas = (CommandRunner(engine), CommandRunner(engine))  # each queues only its own declarations
    results = await asyncio.gather(
        *(
            replicas[i % 2].declare(
                workspace,
                declare_command(f"outage {i}"),
                now=T0,
                idempotency_key=f"{workspace}:{i}",
                effects=card_effect,
            )
            for i in range(30)
        )
    )
    changes = [applied(result) for result in results]
    assert sorted(change.after.ref.number for change in changes) == list(range(1, 31))
    for i, change in enumerate(changes):
        assert await count_rows(engine, change.incident_id, f"{workspace}:{i}") == {"events": 1, "outbox": 1, "keys": 1}


async def test_one_request_delivered_to_two_replicas_at_once_declares_once(engine: AsyncEngine, workspace: str) -> None:
    replicas, key = (CommandRunner(engine), CommandRunner(engine)), f"{workspace}:again"
    results = await asyncio.gather(
        *(replicas[i % 2].declare(workspace, declare_command(), now=T0, idempotency_key=key) for i in range(10))
    )
    declared = [result for result in results if isinstance(result, Change)]
    assert len(declared) == 1
    assert sum(isinstance(result, Duplicate) for result in results) == 9
    assert declared[0].after.ref.number == 1
    async with UnitOfWork(engine) as uow:
        assert len(await uow.incidents.recent(workspace)) == 1
        assert await uow.requests.incident_of(key) == declared[0].incident_id
        assert (await uow.counters.next_incident(workspace))[0] == 2
