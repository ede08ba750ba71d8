"""Candidates: every incident a batch of lookups may mean, read in one statement — on Postgres and SQLite."""

from __future__ import annotations

from dataclasses import replace

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import Change, CommandRunner
from domain.commands import Close, Resolve
from storage.database import create_engine, database_config
from storage.incident_lookup import Lookup
from storage.migrate import upgrade
from storage.postgres import CANDIDATES
from storage.scratch_databases import fresh_postgres_database
from storage.unit_of_work import UnitOfWork
from tests.builders import T0, at
from tests.storage.helpers import applied, declare_command


async def declare_in(runner: CommandRunner, workspace: str, channel: str, thread_ts: str | None = None) -> Change:
    command = replace(declare_command(title=f"outage in {channel}", thread_ts=thread_ts), channel_id=channel)
    return applied(await runner.declare(workspace, command, now=T0))


async def test_one_statement_reads_what_every_kind_of_lookup_may_mean(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    open_a = await declare_in(runner, workspace, "CA")
    resolved_a = await declare_in(runner, workspace, "CA")
    applied(await runner.execute(resolved_a.after.ref, Resolve(actor="U1"), now=at(1)))
    closed_a = await declare_in(runner, workspace, "CA")
    applied(await runner.execute(closed_a.after.ref, Resolve(actor="U1"), now=at(1)))
    applied(await runner.execute(closed_a.after.ref, Close(actor="U1"), now=at(2)))
    threaded_b = await declare_in(runner, workspace, "CB", thread_ts="1700000000.000100")
    elsewhere = await declare_in(runner, "TOTHER" + workspace, "CA")
    async with UnitOfWork(engine) as uow:
        await uow.incidents.record_card(open_a.incident_id, "1700000001.000200")

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with UnitOfWork(engine) as uow:
            found = await uow.incidents.candidates(
                [
                    Lookup(workspace, "CA"),  # the channel's open incidents
                    Lookup(workspace, "CA", resolved=True),  # its resolved ones
                    Lookup(workspace, "CB", thread_ts="1700000000.000100"),  # the declaring thread
                    Lookup(workspace, "CZ", thread_ts="1700000001.000200"),  # a card's thread, but not here
                    Lookup(workspace, number=closed_a.after.ref.number),  # named, closed or not
                ],
                lock=True,
            )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert len([s for s in statements if "incidents" in s]) == 1

    assert [s.id for s in found.in_channel(workspace, "CA", resolved=False)] == [open_a.incident_id]
    assert [s.id for s in found.in_channel(workspace, "CA", resolved=True)] == [resolved_a.incident_id]
    in_thread = found.in_thread(workspace, "CB", "1700000000.000100")
    assert in_thread is not None
    assert in_thread.id == threaded_b.incident_id
    named = found.named(workspace, closed_a.after.ref.number)
    assert named is not None
    assert named.id == closed_a.incident_id
    # Nothing of another workspace, and a thread is only found in its own channel.
    assert found.in_thread(workspace, "CZ", "1700000001.000200") is None
    assert found.named(elsewhere.after.ref.workspace_id, elsewhere.after.ref.number) is None


async def test_a_card_thread_and_the_channel_list_are_found_without_a_number(
    engine: AsyncEngine, workspace: str
) -> None:
    runner = CommandRunner(engine)
    first = await declare_in(runner, workspace, "CA")
    second = await declare_in(runner, workspace, "CA")
    async with UnitOfWork(engine) as uow:
        await uow.incidents.record_card(second.incident_id, "1700000002.000300")
    async with UnitOfWork(engine) as uow:
        found = await uow.incidents.candidates(
            [Lookup(workspace, "CA", thread_ts="1700000002.000300"), Lookup(workspace, "CA")]
        )
    in_thread = found.in_thread(workspace, "CA", "1700000002.000300")
    assert in_thread is not None
    assert in_thread.id == second.incident_id
    # By number, as people read them.
    assert [s.incident.ref.number for s in found.in_channel(workspace, "CA", resolved=False)] == [
        first.after.ref.number,
        second.after.ref.number,
    ]


async def test_no_lookups_read_nothing(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    await declare_in(runner, workspace, "CA")
    async with UnitOfWork(engine) as uow:
        found = await uow.incidents.candidates([])
    assert found.in_channel(workspace, "CA", resolved=False) == []


@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
async def test_postgres_reads_every_kind_of_lookup_by_index_among_many_incidents(plan_cache_mode: str) -> None:
    """The statement is the same for every batch, so Postgres may plan it once for all (a generic
    plan); either way no part of it scans the incidents, however many closed ones there are."""
    async with fresh_postgres_database("firebreak_lookup_plan") as url:
        engine = create_engine(database_config(url))
        await upgrade(engine)
        await engine.dispose()
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(
                """INSERT INTO incidents (workspace_id, number, title, description, severity, status, reporter,
                       channel_id, home_ts, declared_at, version, updated_at)
                   SELECT 'TPLAN', n, 'old outage', '', 3, CASE WHEN n % 10 = 0 THEN 'resolved' ELSE 'closed' END,
                       'U1', 'C' || (n % 500), n || '.000100', now(), 3, now()
                   FROM generate_series(1, 20000) AS n"""
            )
            await connection.execute("ANALYZE incidents")
            await connection.execute(f"SET plan_cache_mode = {plan_cache_mode}")
            # INC-42 by name, INC-7 by its thread, C8's open ones (none) and C10's resolved ones.
            arrays = (["TPLAN"], [42], ["TPLAN"], ["C7"], ["7.000100"], ["TPLAN"], ["C8"], ["TPLAN"], ["C10"])
            plan = "\n".join(row[0] for row in await connection.fetch("EXPLAIN " + CANDIDATES[True], *arrays))
            found = await connection.fetch(CANDIDATES[False], *arrays)
        finally:
            await connection.close()
    assert "Seq Scan on incidents" not in plan, plan
    assert [row["number"] for row in found] == sorted([7, 42, *range(10, 20001, 500)])
