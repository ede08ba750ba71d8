"""The AI's work as jobs in the outbox: durable across restarts, and off the path of every ack.

A job reads the incident's facts and asks its writer (AI or template). A stakeholder update or a
postmortem draft is recorded as a timeline event, whose own outbox rows then post it in the thread
with its button; a catch-up is sent to whoever asked, and to nobody else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.ai.catchup_writer import CatchUpWriter
from bot.ai.facts import IncidentFacts, facts_of
from bot.ai.postmortem_writer import PostmortemWriter
from bot.ai.writer import StakeholderWriter
from bot.delivery.outbox_messages import answer_asker
from bot.delivery.outcomes import PermanentFailure
from bot.handler.runner import CommandRunner, Effects, no_effects
from bot.runtime.clock import Clock
from domain.commands import IncidentCommand, RecordAiDraft, RecordPostmortemDraft
from domain.errors import DomainError
from domain.incident import IncidentRef
from storage.stored import PendingDelivery


class _Job:
    def __init__(self, runner: CommandRunner, effects: Effects, clock: Clock) -> None:
        self._runner = runner
        self._effects = effects
        self._clock = clock

    async def _facts(self, delivery: PendingDelivery) -> IncidentFacts:
        async with self._runner.unit_of_work() as uow:
            stored = await uow.incidents.get_by_id(int(delivery.payload["incident_id"]))
            history = await uow.events.history(stored.id) if stored is not None else []
        if stored is None:
            raise PermanentFailure(f"incident {delivery.payload['incident_id']} does not exist")
        return facts_of(stored.incident, history, self._clock.now())

    async def _record(
        self, ref: IncidentRef, command: IncidentCommand, key: str, outcome: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        """Record what the job made: ``outcome``, or the domain's reason it refused (the incident moved on)."""
        try:
            # Keyed by the job: if the bot dies after recording but before settling the job, the
            # retry finds the draft already recorded instead of posting a second one.
            await self._runner.execute(ref, command, now=self._clock.now(), idempotency_key=key, effects=self._effects)
        except DomainError as refused:
            return {"skipped": refused.message}
        return outcome


class DraftingSender(_Job):
    def __init__(self, runner: CommandRunner, effects: Effects, writer: StakeholderWriter, clock: Clock) -> None:
        super().__init__(runner, effects, clock)
        self._writer = writer

    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None:
        facts = await self._facts(delivery)
        draft = await self._writer.draft(facts)
        command = RecordAiDraft(
            actor=str(delivery.payload["requested_by"]),
            text=draft.text,
            model=draft.model,
            based_on=draft.based_on,
            ai_written=draft.ai_written,
        )
        outcome = {"ai_written": draft.ai_written, "model": draft.model, "fallback": draft.fallback_reason}
        return await self._record(facts.incident.ref, command, f"ai-draft:{delivery.id}", outcome)


class PostmortemDraftingSender(_Job):
    def __init__(self, runner: CommandRunner, effects: Effects, writer: PostmortemWriter, clock: Clock) -> None:
        super().__init__(runner, effects, clock)
        self._writer = writer

    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None:
        facts = await self._facts(delivery)
        draft = await self._writer.draft(facts)
        command = RecordPostmortemDraft(
            actor=str(delivery.payload["requested_by"]),
            texts=draft.texts,
            model=draft.model,
            based_on=draft.based_on,
            ai_written=draft.ai_written,
            dropped=draft.dropped,
        )
        outcome = {"ai_written": draft.ai_written, "dropped": draft.dropped, "fallback": draft.fallback_reason}
        return await self._record(facts.incident.ref, command, f"postmortem-draft:{delivery.id}", outcome)


class CatchUpSender(_Job):
    def __init__(self, runner: CommandRunner, writer: CatchUpWriter, clock: Clock) -> None:
        super().__init__(runner, no_effects, clock)
        self._writer = writer

    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None:
        facts = await self._facts(delivery)
        catch_up = await self._writer.catch_up(facts)
        answer = answer_asker(delivery.payload, catch_up.text(facts.incident))
        # Keyed by the job: told once, should the bot stop before the job is settled.
        await self._runner.record([answer], now=self._clock.now(), idempotency_key=f"catch-up:{delivery.id}")
        return {"model": catch_up.model}
