"""Drafting as a job in the outbox: durable across restarts, and off the path of every ack.

The job reads the incident's facts, asks the writer (AI or template) and records the draft as a
timeline event; that event's own outbox rows then post it in the thread with its button.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.ai.facts import facts_of
from bot.ai.writer import StakeholderWriter
from bot.delivery.outcomes import PermanentFailure
from bot.handler.runner import CommandRunner, Effects
from bot.runtime.clock import Clock
from domain.commands import RecordAiDraft
from domain.errors import DomainError
from storage.stored import PendingDelivery


class DraftingSender:
    def __init__(self, runner: CommandRunner, effects: Effects, writer: StakeholderWriter, clock: Clock) -> None:
        self._runner = runner
        self._effects = effects
        self._writer = writer
        self._clock = clock

    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None:
        async with self._runner.unit_of_work() as uow:
            stored = await uow.incidents.get_by_id(int(delivery.payload["incident_id"]))
            history = await uow.events.history(stored.id) if stored is not None else []
        if stored is None:
            raise PermanentFailure(f"incident {delivery.payload['incident_id']} does not exist")
        draft = await self._writer.draft(facts_of(stored.incident, history, self._clock.now()))
        command = RecordAiDraft(
            actor=str(delivery.payload["requested_by"]),
            text=draft.text,
            model=draft.model,
            based_on=draft.based_on,
            ai_written=draft.ai_written,
        )
        try:
            # Keyed by the job: if the bot dies after recording but before settling the job, the
            # retry finds the draft already recorded instead of posting a second one.
            await self._runner.execute(
                stored.incident.ref,
                command,
                now=self._clock.now(),
                idempotency_key=f"ai-draft:{delivery.id}",
                effects=self._effects,
            )
        except DomainError as refused:
            return {"skipped": refused.message}
        return {"ai_written": draft.ai_written, "model": draft.model, "fallback": draft.fallback_reason}
