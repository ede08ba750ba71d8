"""Pinned messages in the incidents projection (migration 0009), on both stores: they read back as the
timeline folds them, and a pinned message finds its incident from the message alone (an unpin, an
edit or a deletion names no thread), in its own workspace only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import CommandRunner
from domain.commands import PinMessage, RecordMessageEdit, UnpinMessage
from domain.incident import SlackSource
from domain.pinned import PinnedBy
from storage.unit_of_work import UnitOfWork
from tests.builders import T0
from tests.storage.helpers import STORAGE_CHANNEL, applied, declare, replayed

TS, OTHER_TS = "1700000100.000100", "1700000200.000100"


async def test_pinned_messages_are_projected_as_folded_and_found_by_the_message(
    engine: AsyncEngine, workspace: str
) -> None:
    runner = CommandRunner(engine)
    ref = (await declare(runner, workspace)).after.ref
    about: dict[str, Any] = {"channel_id": STORAGE_CHANNEL, "ts": TS, "source": SlackSource(STORAGE_CHANNEL, TS)}
    for minutes, command in (
        (1, PinMessage(actor="U1", **about, author="U2", text=None, pinned_by=PinnedBy.REACTION)),
        (2, PinMessage(actor="U1", **about, author="U2", text="failover done", pinned_by=PinnedBy.REACTION)),
        (3, RecordMessageEdit(actor="U2", **about, text="failover done (EU)")),
        (4, UnpinMessage(actor="U1", **about)),
    ):
        applied(await runner.execute(ref, command, now=T0 + timedelta(minutes=minutes)))

    projected, folded = await replayed(engine, ref)
    assert projected == folded
    assert [(p.ts, p.text_known, p.removed) for p in projected.pinned] == [(TS, True, True)]
    async with UnitOfWork(engine) as uow:
        found = await uow.incidents.with_pinned(workspace, STORAGE_CHANNEL, TS)
        assert found is not None
        assert found.incident.ref == ref
        assert await uow.incidents.with_pinned(workspace, STORAGE_CHANNEL, OTHER_TS) is None
        assert await uow.incidents.with_pinned("T0ELSEWHERE", STORAGE_CHANNEL, TS) is None
