"""A change made in the web console keeps that on its stored events, on both stores, and a console
form's version is checked in the command's own transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import CommandRunner
from domain.commands import Acknowledge, AddNote
from domain.errors import ChangedMeanwhile
from domain.incident import ConsoleSource, SlackSource
from storage.schema import incident_events
from tests.builders import at
from tests.storage.helpers import STORAGE_CHANNEL, applied, count_rows, declare, replayed


async def test_console_and_slack_sources_come_back_as_they_were_recorded(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    declared = await declare(runner, workspace)
    ref = declared.after.ref
    slack = SlackSource(STORAGE_CHANNEL, "1700000000.000900")
    applied(await runner.execute(ref, AddNote(actor="U0BOB", text="from slack", source=slack), now=at(1)))
    applied(
        await runner.execute(ref, AddNote(actor="U0CAROL", text="from the page", source=ConsoleSource()), now=at(2))
    )

    async with runner.unit_of_work() as uow:
        history = await uow.events.history(declared.incident_id)
    assert [item.event.source for item in history[1:]] == [slack, ConsoleSource()]
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(incident_events.c.source_channel, incident_events.c.payload)
            .where(incident_events.c.incident_id == declared.incident_id, incident_events.c.seq > 1)
            .order_by(incident_events.c.seq)
        )
        assert [tuple(row) for row in rows] == [
            (STORAGE_CHANNEL, {"text": "from slack"}),
            (None, {"text": "from the page", "via": "console"}),
        ]
    projected, folded = await replayed(engine, ref)
    assert projected == folded


async def test_a_stale_version_is_refused_and_leaves_no_trace(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    declared = await declare(runner, workspace)
    seen = declared.after.version
    applied(await runner.execute(declared.after.ref, AddNote(actor="U0BOB", text="meanwhile"), now=at(1)))
    stale = Acknowledge(actor="U0CAROL", source=ConsoleSource(), expected_version=seen)
    with pytest.raises(ChangedMeanwhile):
        await runner.execute(declared.after.ref, stale, now=at(2), idempotency_key=f"{workspace}:stale")
    assert await count_rows(engine, declared.incident_id, f"{workspace}:stale") == {"events": 2, "outbox": 0, "keys": 0}
