"""A real SMTP server for the status page's tests (aiosmtpd), which keeps what it receives and can
be taken down and brought back on the same port, as an outage of the mail server."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.playground.mailbox import received_email
from bot.runtime.child_environment import free_port

# An address the server refuses for good, as a mail server refuses an unknown mailbox.
BOUNCING = "bounce@example.com"


class _Keeper:
    def __init__(self, received: list[EmailMessage]) -> None:
        self._received = received

    async def handle_RCPT(
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, _options: list[str]
    ) -> str:
        if address == BOUNCING:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        self._received.append(received_email(envelope))
        return "250 OK"


class Mailbox:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[EmailMessage] = []
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(_Keeper(self.received), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.received if message["To"] == address]

    async def wait_for(self, count: int, *, within: float = 15.0, **match: Any) -> list[EmailMessage]:
        """The emails received so far once there are ``count`` (``to=``: to that address)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = self.to(match["to"]) if "to" in match else list(self.received)
            if len(found) >= count:
                return found
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{len(found)} emails, not {count}, within {within}s")
            await asyncio.sleep(0.05)
