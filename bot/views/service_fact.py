"""How the card names an incident's catalog service and its owner (SPEC §13)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.views.escaping import escape_mrkdwn
from bot.views.formatting import Wording
from domain.incident import Incident
from domain.services import RunbookStep, Service, owner_paged

SERVICE_NAME_SHOWN_MAX = 80


@dataclass(frozen=True)
class ServiceFact:
    """``owner`` is already written for where it is shown: for Slack, the owner's mention (which
    notifies them) or their handle as plain text (which notifies nobody); for a page, their name."""

    name: str
    owner: str | None
    runbook: tuple[RunbookStep, ...] = ()

    def shown(self, wording: Wording) -> str:
        name = wording.quote(self.name, SERVICE_NAME_SHOWN_MAX)
        return f"{name} · owner {self.owner}" if self.owner else name


def slack_service_fact(service: Service, handle: str | None, *, notify: bool) -> ServiceFact:
    """The fact for a Slack card. ``notify``: the card as first posted for a SEV1/SEV2 incident, the
    one message whose owner mention pages the owner; the mention is built from the catalog's
    checked id, never from anything a person typed."""
    owner = service.owner_mention if notify else (escape_mrkdwn(handle) if handle else None)
    return ServiceFact(service.name, owner, service.runbook)


def pages_owner(incident: Incident, service: Service) -> bool:
    """Whether the card as first posted mentions the owner: a SEV1 or SEV2 of an owned service."""
    return service.owner is not None and owner_paged(incident.severity)
