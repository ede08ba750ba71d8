"""What a change sends because of its incident's catalog service (SPEC §13): the owner paged on a
raise into SEV1/SEV2, and the runbook message edited to show a step done."""

from __future__ import annotations

from bot.delivery import outbox_messages as out
from bot.handler.runner import Change
from bot.views.runbook import runbook_message
from domain import events as ev
from domain.services import ServiceCatalog, owner_paged
from storage.stored import OutboxMessage


class ServiceEffects:
    def __init__(self, services: ServiceCatalog) -> None:
        self._services = services

    def owner_paged_line(self, change: Change) -> str | None:
        """A raise from SEV3/SEV4 into SEV1/SEV2 pages the service's owner once, as declaring it so
        would have. The card's edit would notify nobody, so the thread's audit line does."""
        service = self._services.get(change.after.service)
        raised = any(
            isinstance(item.event, ev.SeverityChanged)
            and owner_paged(item.event.current)
            and not owner_paged(item.event.previous)
            for item in change.events
        )
        if service is None or service.owner_mention is None or not raised:
            return None
        return f"{service.owner_mention}, {change.after.ref} of {service.name} is now {change.after.severity.label}."

    def runbook_shown(self, change: Change, event: ev.RunbookStepDone) -> list[OutboxMessage]:
        """The runbook message the step was done on (from the console: the latest one) shows it."""
        service = self._services.get(change.after.service)
        shown = event.message
        if service is None or shown is None or shown.ts is None:
            return []
        text, blocks = runbook_message(change.after, service)
        payload = {"channel": shown.channel_id, "ts": shown.ts, "text": text, "blocks": blocks}
        # In the incident's lane, not detached: each edit shows the steps as of its change, so they
        # must reach Slack in the order they were made (a retried older one must not land last).
        return [OutboxMessage(out.EDIT_MESSAGE, payload)]
