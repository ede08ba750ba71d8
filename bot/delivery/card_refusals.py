"""When Slack refuses an incident's card for good: the timeline says so, and whoever asked for the
card is told what Slack said and how to get it posted.

The refusal is recorded as a command like any other, so the incident knows its card is owed: the
next command on it asks for the card again (see ``domain.decide``), as does ``repost``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.delivery import outbox_messages as kinds
from bot.delivery.outcomes import PermanentFailure
from bot.handler.runner import Change, CommandRunner
from bot.runtime.clock import Clock
from bot.views.card_refusal import card_refused_text
from domain import events as ev
from domain.commands import SYSTEM_ACTOR, RecordCardRefusal
from domain.errors import DomainError
from domain.text import SLACK_ERROR_MAX
from storage.stored import OutboxMessage, PendingDelivery

log = logging.getLogger(__name__)


class CardRefusals:
    def __init__(self, runner: CommandRunner, clock: Clock) -> None:
        self._runner = runner
        self._clock = clock

    async def __call__(self, row: PendingDelivery, failure: PermanentFailure) -> None:
        """Record a refused card's row (any other row needs nothing recorded)."""
        if row.kind != kinds.POST_CARD or row.incident is None:
            return
        # Slack's word for it; without one (an HTTP error), what the sender made of it, cut to fit.
        error = (failure.code or failure.error)[:SLACK_ERROR_MAX]
        command = RecordCardRefusal(actor=SYSTEM_ACTOR, error=error)

        def tell(change: Change) -> Sequence[OutboxMessage]:
            refused = next(item.event for item in change.events if isinstance(item.event, ev.CardPostFailed))
            return kinds.tell_requester(row.payload, card_refused_text(change.after, refused.error))

        try:
            # Keyed by the row: should the bot die before the row is settled, Slack refuses it
            # again on the retry and this finds the refusal already recorded.
            await self._runner.execute(
                row.incident.incident.ref,
                command,
                now=self._clock.now(),
                idempotency_key=f"card-refused:{row.id}",
                effects=tell,
            )
        except DomainError as refused:
            # Slack's word was blank once cleaned, say: the row is settled all the same, since
            # every retry would be refused again and retrying is what must never go on for ever.
            log.warning("a refused card was not recorded", extra={"delivery_id": row.id, "reason": refused.message})
