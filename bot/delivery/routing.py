"""One dispatcher, several senders: each outbox row goes to the sender of its kind's family."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from bot.delivery.dispatcher import Sender
from storage.stored import PendingDelivery


class JobSender(Protocol):
    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None: ...


class SenderRouter:
    def __init__(self, slack: Sender, jobs: Mapping[str, JobSender]) -> None:
        self._slack = slack
        self._jobs = jobs

    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None:
        job = self._jobs.get(delivery.kind)
        return await (job or self._slack).send(delivery)

    def lock_card(self, incident_id: int) -> AbstractAsyncContextManager[None]:
        return self._slack.lock_card(incident_id)
