"""A batch's writes (keys, projections, events, outbox rows): the same rows on Postgres, where they
are one statement, and on SQLite, where they are one per table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, exc, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import CommandRunner
from domain.events import Assigned, NoteAdded
from domain.incident import Incident, SlackSource
from domain.sla import SlaClocks
from storage.lock_waits import ConcurrentModification
from storage.postgres_writes import PROJECTED
from storage.rows import incident_values
from storage.schema import incident_events, incidents, outbox, processed_requests
from storage.stored import BatchWrites, OutboxMessage, RecordedEvent
from storage.unit_of_work import UnitOfWork
from tests.builders import T0, at, declared
from tests.storage.helpers import declare


async def _two_incidents(engine: AsyncEngine, workspace: str) -> list[tuple[int, Incident]]:
    runner = CommandRunner(engine)
    return [((change := await declare(runner, workspace)).incident_id, change.after) for _ in range(2)]


def _writes(declared: list[tuple[int, Incident]], key_prefix: str) -> BatchWrites:
    """A note on the first incident and a new commander with new clocks on the second."""
    (first_id, first), (second_id, second) = declared
    clocks = SlaClocks(ack_due_at=at(30), resolve_due_at=at(300))
    noted = replace(first, version=first.version + 1)
    assigned = replace(second, commander="UCOMMANDER", clocks=clocks, version=second.version + 1)
    note = NoteAdded(actor="UALICE", at=at(1), text="pods restarted — «ok» 🔥", source=SlackSource("CINC", "1.2"))
    assign = Assigned(actor="UBOB", at=at(2), previous=None, current="UCOMMANDER")
    return BatchWrites(
        claims=[(f"{key_prefix}:1", at(1), first_id), (f"{key_prefix}:2", at(2), second_id)],
        projections=[(first_id, first, noted), (second_id, second, assigned)],
        timelines=[
            (first_id, [RecordedEvent(noted.version, note)]),
            (second_id, [RecordedEvent(assigned.version, assign)]),
        ],
        messages=[
            ([OutboxMessage("thread_message", {"text": "note", "blocks": [{"type": "section"}]})], first_id),
            (
                [
                    OutboxMessage("refresh_card", {"incident_id": second_id}, coalesce_key=f"card:{second_id}"),
                    OutboxMessage("draft", {"incident_id": second_id}, detached=True),
                ],
                second_id,
            ),
        ],
    )


async def test_every_row_of_a_batch_is_written_as_given(engine: AsyncEngine, workspace: str) -> None:
    declared = await _two_incidents(engine, workspace)
    writes = _writes(declared, workspace)
    # A time no other test queues outbox rows at, so the rows read back are this batch's alone
    # (the detached one has no incident to find it by).
    now = datetime.now(UTC)
    async with UnitOfWork(engine) as uow:
        await uow.write(writes, now)

    ids = [incident_id for incident_id, _ in declared]
    async with engine.connect() as connection:
        keys = await connection.execute(select(processed_requests).where(processed_requests.c.incident_id.in_(ids)))
        stored = await connection.execute(select(incidents).where(incidents.c.id.in_(ids)).order_by(incidents.c.id))
        events = await connection.execute(
            select(incident_events).where(incident_events.c.incident_id.in_(ids), incident_events.c.seq > 1)
        )
        queued = await connection.execute(select(outbox).where(outbox.c.created_at == now).order_by(outbox.c.id))
        key_rows = sorted((row.key, row.processed_at, row.incident_id) for row in keys)
        incident_rows = [row._mapping for row in stored]
        event_rows = sorted(
            (
                row.incident_id,
                row.seq,
                row.type,
                row.payload,
                row.actor,
                row.occurred_at,
                row.source_channel,
                row.source_ts,
            )
            for row in events
        )
        outbox_rows = [
            (row.incident_id, row.kind, row.payload, row.coalesce_key, row.next_attempt_at, row.attempts)
            for row in queued
        ]

    assert key_rows == sorted(writes.claims)
    for row, (_, _, after) in zip(incident_rows, writes.projections, strict=True):
        assert {name: row[name] for name in incident_values(after, now)} == incident_values(after, now)
    first_id, second_id = ids
    assert event_rows == [
        (first_id, 2, "note_added", {"text": "pods restarted — «ok» 🔥"}, "UALICE", at(1), "CINC", "1.2"),
        (second_id, 2, "assigned", {"previous": None, "current": "UCOMMANDER"}, "UBOB", at(2), None, None),
    ]
    # In the order given, which is the order the dispatcher delivers them in.
    assert outbox_rows == [
        (first_id, "thread_message", {"text": "note", "blocks": [{"type": "section"}]}, None, now, 0),
        (second_id, "refresh_card", {"incident_id": second_id}, f"card:{second_id}", now, 0),
        (None, "draft", {"incident_id": second_id}, None, now, 0),
    ]


async def test_a_projection_moved_under_the_batch_fails_it_whole(engine: AsyncEngine, workspace: str) -> None:
    declared = await _two_incidents(engine, workspace)
    writes = _writes(declared, workspace)
    (first_id, first), _ = declared
    stale = replace(
        writes, projections=[(first_id, replace(first, version=first.version + 5), first), *writes.projections[1:]]
    )
    with pytest.raises(ConcurrentModification):
        async with UnitOfWork(engine) as uow:
            await uow.write(stale, at(3))
    async with engine.connect() as connection:
        assert (
            await connection.execute(select(processed_requests).where(processed_requests.c.key.like(f"{workspace}:%")))
        ).all() == []
        versions = (
            (await connection.execute(select(incidents.c.version).where(incidents.c.id.in_([i for i, _ in declared]))))
            .scalars()
            .all()
        )
        appended = await connection.execute(
            select(incident_events).where(
                incident_events.c.incident_id.in_([i for i, _ in declared]), incident_events.c.seq > 1
            )
        )
        assert appended.all() == []
    assert versions == [1, 1]


async def test_postgres_writes_a_batch_in_one_statement(postgres_engine: AsyncEngine, workspace: str) -> None:
    declared = await _two_incidents(postgres_engine, workspace)
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    async with UnitOfWork(postgres_engine) as uow:
        event.listen(postgres_engine.sync_engine, "before_cursor_execute", record)
        try:
            await uow.write(_writes(declared, workspace), at(3))
        finally:
            event.remove(postgres_engine.sync_engine, "before_cursor_execute", record)
    assert len(statements) == 1


async def test_postgres_refuses_a_value_too_long_for_its_column_instead_of_cutting_it(
    postgres_engine: AsyncEngine, workspace: str
) -> None:
    declared = await _two_incidents(postgres_engine, workspace)
    writes = _writes(declared, workspace)
    (first_id, _), _ = declared
    too_long = replace(writes, claims=[(f"{workspace}:" + "k" * 200, at(1), first_id)])
    with pytest.raises(exc.DBAPIError, match="too long"):
        async with UnitOfWork(postgres_engine) as uow:
            await uow.write(too_long, at(3))
    async with postgres_engine.connect() as connection:
        written = await connection.execute(
            select(processed_requests).where(processed_requests.c.incident_id == first_id)
        )
        assert written.all() == []


def test_postgres_projects_every_column_of_the_domain_state() -> None:
    """The one-statement write sets the columns incident_values gives, less the incident's identity."""
    state = declared().state
    assert isinstance(state, Incident)
    values = incident_values(state, T0 + timedelta(minutes=1))
    assert set(PROJECTED) == set(values) - {"workspace_id", "number"}


async def test_nothing_to_write_sends_no_statement(engine: AsyncEngine) -> None:
    """A scheduler tick with nothing due writes nothing, and costs no round trip for it."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    async with UnitOfWork(engine) as uow:
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            await uow.write(BatchWrites(), at(3))
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert statements == []
