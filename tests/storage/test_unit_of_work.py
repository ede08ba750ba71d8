"""The storage contract: one command, one transaction, all or nothing — on Postgres and SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import Change, CommandRunner, Duplicate, ThreadAlreadyIncident
from domain.commands import AddNote, ChangeSeverity, Resolve
from domain.errors import InvalidTransition, UnknownIncident
from domain.incident import IncidentRef
from domain.lifecycle import Status
from domain.severity import Severity
from storage.incident_lookup import Lookup
from storage.stored import OutboxMessage
from storage.unit_of_work import UnitOfWork
from tests.builders import T0, at
from tests.storage.helpers import applied, card_effect, count_rows, declare, declare_command, replayed


class Boom(RuntimeError):
    pass


def exploding_effect(change: Change) -> list[OutboxMessage]:
    raise Boom("effects failed after the events were appended")


async def test_declaration_commits_events_projection_outbox_and_key_together(
    engine: AsyncEngine, workspace: str
) -> None:
    runner = CommandRunner(engine)
    result = applied(
        await runner.declare(workspace, declare_command(), now=T0, idempotency_key="ev:1", effects=card_effect)
    )
    assert result.after.ref == IncidentRef(workspace, 1)
    assert [item.seq for item in result.events] == [1]
    assert await count_rows(engine, result.incident_id, "ev:1") == {"events": 1, "outbox": 1, "keys": 1}
    projection, folded = await replayed(engine, result.after.ref)
    assert projection == folded == result.after
    async with UnitOfWork(engine) as uow:
        assert await uow.requests.incident_of("ev:1") == result.incident_id


async def test_failure_mid_declaration_leaves_nothing_and_no_gap_in_numbers(
    engine: AsyncEngine, workspace: str
) -> None:
    runner = CommandRunner(engine)
    with pytest.raises(Boom):
        await runner.declare(workspace, declare_command(), now=T0, idempotency_key="ev:boom", effects=exploding_effect)
    async with UnitOfWork(engine) as uow:
        assert await uow.incidents.recent(workspace) == []
        assert await uow.requests.incident_of("ev:boom") is None
    # The rolled-back declaration's number and key are free again.
    retried = applied(await runner.declare(workspace, declare_command(), now=T0, idempotency_key="ev:boom"))
    assert retried.after.ref.number == 1


async def test_failure_mid_command_rolls_back_events_projection_outbox_and_key(
    engine: AsyncEngine, workspace: str
) -> None:
    runner = CommandRunner(engine)
    declared = await declare(runner, workspace)
    ref = declared.after.ref
    before = await count_rows(engine, declared.incident_id, "cmd:1")
    with pytest.raises(Boom):
        await runner.execute(
            ref,
            ChangeSeverity(actor="U1", severity=Severity.SEV1),
            now=at(1),
            idempotency_key="cmd:1",
            effects=exploding_effect,
        )
    assert await count_rows(engine, declared.incident_id, "cmd:1") == before
    projection, folded = await replayed(engine, ref)
    assert projection == folded == declared.after
    assert projection.severity is Severity.SEV2


async def test_refused_command_changes_nothing_and_keeps_its_key_free(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    declared = await declare(runner, workspace)
    ref = declared.after.ref
    applied(await runner.execute(ref, Resolve(actor="U1", summary="rolled back"), now=at(1)))
    before = await count_rows(engine, declared.incident_id, "cmd:sev")
    with pytest.raises(InvalidTransition, match="is resolved; you can reopen or close it"):
        await runner.execute(
            ref, ChangeSeverity(actor="U1", severity=Severity.SEV1), now=at(2), idempotency_key="cmd:sev"
        )
    assert await count_rows(engine, declared.incident_id, "cmd:sev") == before


async def test_unknown_incident_is_refused_with_its_reference(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    with pytest.raises(UnknownIncident, match="INC-404 does not exist"):
        await runner.execute(IncidentRef(workspace, 404), AddNote(actor="U1", text="hello"), now=T0)


async def test_same_idempotency_key_applies_once(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    declared = await declare(runner, workspace)
    note = AddNote(actor="U1", text="restarted the primary")
    first = await runner.execute(declared.after.ref, note, now=at(1), idempotency_key="act:1", effects=card_effect)
    second = await runner.execute(declared.after.ref, note, now=at(2), idempotency_key="act:1", effects=card_effect)
    assert isinstance(first, Change)
    assert second == Duplicate("act:1")
    assert await count_rows(engine, declared.incident_id, "act:1") == {"events": 2, "outbox": 1, "keys": 1}


async def test_duplicate_declaration_is_detected(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    first = await runner.declare(workspace, declare_command(), now=T0, idempotency_key="ev:dup")
    second = await runner.declare(workspace, declare_command(), now=T0, idempotency_key="ev:dup")
    assert isinstance(first, Change)
    assert second == Duplicate("ev:dup")
    async with UnitOfWork(engine) as uow:
        assert len(await uow.incidents.recent(workspace)) == 1


async def test_a_retried_declaration_in_a_thread_is_a_duplicate_not_a_refusal(
    engine: AsyncEngine, workspace: str
) -> None:
    """Slack retrying a mention that declared: its thread is taken, by the very same request."""
    runner = CommandRunner(engine)
    command = declare_command(thread_ts="1700000000.000100")
    first = await runner.declare(workspace, command, now=T0, idempotency_key="ev:retried")
    second = await runner.declare(workspace, command, now=T0, idempotency_key="ev:retried")
    assert isinstance(first, Change)
    assert second == Duplicate("ev:retried")
    # The duplicate gave its number back.
    assert (await declare(runner, workspace)).after.ref.number == 2


async def test_a_thread_is_home_to_one_incident(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    first = await declare(runner, workspace, thread_ts="1700000000.000100")
    with pytest.raises(ThreadAlreadyIncident, match="This thread is already INC-1"):
        await runner.declare(workspace, declare_command(thread_ts="1700000000.000100"), now=T0)
    async with UnitOfWork(engine) as uow:
        found = await uow.incidents.by_thread(workspace, "CINC", "1700000000.000100")
        assert found is not None
        assert found.id == first.incident_id
    # The refused declaration gave its number back.
    assert (await declare(runner, workspace)).after.ref.number == 2


async def test_top_level_card_becomes_the_incident_thread(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    declared = await declare(runner, workspace)
    async with UnitOfWork(engine) as uow:
        await uow.incidents.record_card(declared.incident_id, "1700000001.000200")
    async with UnitOfWork(engine) as uow:
        found = await uow.incidents.by_thread(workspace, "CINC", "1700000001.000200")
        assert found is not None
        assert (found.card_ts, found.home_ts) == ("1700000001.000200", "1700000001.000200")
        # The card's ts is kept once: a late duplicate delivery cannot move the incident's home.
        await uow.incidents.record_card(declared.incident_id, "1700000009.000900")
    async with UnitOfWork(engine) as uow:
        again = await uow.incidents.get_by_id(declared.incident_id)
        assert again is not None
        assert again.card_ts == "1700000001.000200"


async def test_an_autocommit_unit_of_work_keeps_what_it_writes(engine: AsyncEngine, workspace: str) -> None:
    """Delivery reads and records cards without BEGIN and COMMIT; the write stays, on SQLite too
    (where the engine begins a transaction all the same)."""
    declared = await declare(CommandRunner(engine), workspace)
    async with UnitOfWork(engine, autocommit=True) as uow:
        await uow.incidents.record_card(declared.incident_id, "1700000001.000200")
    async with UnitOfWork(engine, autocommit=True) as uow:
        found = await uow.incidents.get_by_id(declared.incident_id)
    assert found is not None
    assert found.card_ts == "1700000001.000200"


async def test_open_incidents_per_channel_and_workspace(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    first = await declare(runner, workspace, title="one")
    second = await declare(runner, workspace, title="two")
    applied(await runner.execute(second.after.ref, Resolve(actor="U1"), now=at(5)))
    async with UnitOfWork(engine) as uow:
        here = await uow.incidents.candidates(
            [Lookup(workspace, "CINC"), Lookup(workspace, "CINC", resolved=True), Lookup(workspace, "COTHER")]
        )
        assert [s.incident.ref for s in here.in_channel(workspace, "CINC", resolved=False)] == [first.after.ref]
        assert [s.incident.ref for s in here.in_channel(workspace, "CINC", resolved=True)] == [second.after.ref]
        assert here.in_channel(workspace, "COTHER", resolved=False) == []
        assert await uow.incidents.count_open(workspace) == 1
        assert [s.incident.ref.number for s in await uow.incidents.recent(workspace)] == [2, 1]
        assert (await uow.incidents.open_in_workspace(workspace))[0].incident.status is Status.DECLARED


async def test_old_idempotency_keys_are_pruned_and_recent_ones_kept(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    old_key, new_key = f"ev:{workspace}:old", f"ev:{workspace}:new"
    assert await runner.record([], now=at(0), idempotency_key=old_key)
    assert await runner.record([], now=at(60 * 24 * 2), idempotency_key=new_key)
    async with UnitOfWork(engine) as uow:
        while await uow.requests.prune(at(60 * 24), limit=1000) == 1000:
            pass
    # The pruned key is free again; the recent one still recognises a retry.
    assert await runner.record([], now=at(60 * 24 * 2), idempotency_key=old_key)
    assert not await runner.record([], now=at(60 * 24 * 2), idempotency_key=new_key)


async def test_keys_are_pruned_a_chunk_at_a_time(engine: AsyncEngine, workspace: str) -> None:
    """Each prune deletes at most its chunk, so that it stays inside the statement timeout; what is
    left goes in the next one."""
    runner = CommandRunner(engine)
    keys = [f"ev:{workspace}:old{i}" for i in range(5)]
    for key in keys:
        assert await runner.record([], now=at(0), idempotency_key=key)
    chunks: list[int] = []
    while not chunks or chunks[-1] == 2:
        async with UnitOfWork(engine) as uow:
            chunks.append(await uow.requests.prune(at(60 * 24), limit=2))
    assert all(chunk <= 2 for chunk in chunks)
    assert sum(chunks) >= len(keys)
    assert all([await runner.record([], now=at(60 * 24 * 2), idempotency_key=key) for key in keys])
