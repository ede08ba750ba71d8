"""The timeline is the audit trail: the database itself refuses to change or delete it."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import CommandRunner
from storage.schema import incident_events
from tests.storage.helpers import declare


async def test_timeline_rows_cannot_be_updated(engine: AsyncEngine, workspace: str) -> None:
    declared = await declare(CommandRunner(engine), workspace)
    statement = (
        update(incident_events).where(incident_events.c.incident_id == declared.incident_id).values(actor="UFORGED")
    )
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(statement)


async def test_timeline_rows_cannot_be_deleted(engine: AsyncEngine, workspace: str) -> None:
    declared = await declare(CommandRunner(engine), workspace)
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(
                delete(incident_events).where(incident_events.c.incident_id == declared.incident_id)
            )
