"""The status page's emails through SMTP (SPEC §14), as outbox deliveries like any Slack message.

An update published on a public incident (or its resolution) queues one fan-out job; the job
queues one email per confirmed subscriber, in one transaction keyed by the job, so a job run again
after a crash queues nothing twice. Each email is then sent on its own with ``aiosmtplib``: while
the SMTP server is down or answers 4xx, it is retried with the dispatcher's backoff (mail is late,
never lost); a 5xx for the address is a failure for good, counted on the incident's console page.
Its Message-ID is fixed by its outbox row, so a resend after a lost answer is the same message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery.outbox_messages import status_email
from bot.delivery.outcomes import PermanentFailure, RetryLater
from bot.runtime.clock import Clock
from bot.runtime.signed_links import LinkSigner, Purpose
from bot.views.status_emails import incident_email
from storage.stored import PendingDelivery
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10.0
_PERMANENT_CODES = range(500, 600)


class StatusMailFanout:
    def __init__(self, engine: AsyncEngine, clock: Clock, signer: LinkSigner, page_title: str, base_url: str) -> None:
        self._engine = engine
        self._clock = clock
        self._signer = signer
        self._page_title = page_title
        self._base_url = base_url

    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None:
        payload = delivery.payload
        now = self._clock.now()
        async with UnitOfWork(self._engine) as uow:
            if not await uow.requests.claim(f"status-mail:{delivery.id}", now):
                return {"skipped": "its emails were queued before"}
            subscribers = await uow.subscribers.confirmed()
            text = payload.get("text")
            emails = []
            for subscriber in subscribers:
                unsubscribe = self._signer.link(self._base_url, Purpose.UNSUBSCRIBE, subscriber.id, subscriber.address)
                mail = incident_email(
                    self._page_title,
                    str(payload["number"]),
                    str(payload["title"]),
                    text=text if isinstance(text, str) else None,
                    resolved=not isinstance(text, str),
                    page_url=f"{self._base_url}/status",
                    unsubscribe_url=unsubscribe,
                )
                emails.append(
                    status_email(
                        subscriber.address,
                        mail.subject,
                        mail.body,
                        unsubscribe_url=unsubscribe,
                        incident_id=int(payload["incident_id"]),
                    )
                )
            await uow.outbox.add(emails, None, now)
        return {"emails": len(emails)}


class SmtpSender:
    """Sends one email a delivery through the server ``SMTP_URL`` names."""

    def __init__(self, smtp_url: str, from_address: str, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        parts = urlsplit(smtp_url)
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if self._tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._from = from_address
        self._timeout = timeout

    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None:
        message = self.message(delivery)
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._tls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [error.code for error in refused.recipients]
            if all(code in _PERMANENT_CODES for code in codes):
                raise PermanentFailure(f"the mail server refused the address ({codes[0]})") from refused
            raise RetryLater(f"the mail server deferred the address ({codes[0]})") from refused
        except aiosmtplib.SMTPResponseException as answered:
            error = f"the mail server answered {answered.code}"
            if answered.code in _PERMANENT_CODES:
                raise PermanentFailure(error) from answered
            raise RetryLater(error) from answered
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as unreachable:
            # The error's own words may name the server, never the credentials.
            raise RetryLater(f"the mail server could not be reached: {type(unreachable).__name__}") from unreachable
        return {"sent": message["Message-ID"]}

    def message(self, delivery: PendingDelivery) -> EmailMessage:
        payload = delivery.payload
        message = EmailMessage()
        message["From"] = self._from
        message["To"] = str(payload["to"])
        message["Subject"] = str(payload["subject"])
        message["Date"] = formatdate(delivery.created_at.timestamp(), usegmt=True)
        domain = self._from.rpartition("@")[2] or "firebreak.invalid"
        message["Message-ID"] = f"<status-{delivery.id}@{domain}>"
        unsubscribe = payload.get("unsubscribe_url")
        if isinstance(unsubscribe, str):
            # RFC 8058: a mail client unsubscribes with one POST, no page to read.
            message["List-Unsubscribe"] = f"<{unsubscribe}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(str(payload["body"]))
        return message


class MailOff:
    """Stands in for the SMTP sender while SMTP_URL is unset: emails queued when it was set wait,
    retried with backoff, until it is set again (they are not thrown away)."""

    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None:
        raise RetryLater("SMTP_URL and STATUS_EMAIL_FROM are not set; the email waits until they are")
