"""The status page on an incident's console page (SPEC §14; templates/incident_status_page.html):
whether the incident is public and under which title (the "public" action turns it on or off),
how many confirmed subscribers its published updates are emailed to, and the emails that failed."""

from __future__ import annotations

from dataclasses import dataclass

from bot.delivery.outbox_messages import STATUS_EMAIL
from bot.receivers.console.context import Console
from domain.incident import Incident
from domain.publicity import shown_title
from storage.subscribers import EmailDeliveries, email_deliveries
from storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class StatusSection:
    public: bool
    title: str  # as the status page shows it
    given_title: str  # the public title given, if any (the form's value)
    subscribers: int
    emails: EmailDeliveries
    email_on: bool


async def status_section(console: Console, incident_id: int, incident: Incident) -> StatusSection:
    async with UnitOfWork(console.engine, autocommit=True) as uow:
        subscribers = await uow.subscribers.count_confirmed()
    async with console.engine.connect() as connection:
        emails = await email_deliveries(connection, incident_id, STATUS_EMAIL)
    return StatusSection(
        public=incident.public,
        title=shown_title(incident),
        given_title=incident.public_title or "",
        subscribers=subscribers,
        emails=emails,
        email_on=console.settings.status_email_on,
    )
