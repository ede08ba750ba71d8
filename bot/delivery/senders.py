"""Outbox rows to Slack Web API calls. Each kind has one sender; all report failures the same way."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.delivery import messages as kinds
from bot.delivery.card_lock import card_lock
from bot.delivery.outcomes import PermanentFailure, RetryLater
from bot.delivery.pacing import ChannelPacer
from bot.delivery.slack_errors import classify
from bot.views.card import card_fallback_text, incident_card
from storage.incident_repository import StoredIncident
from storage.outbox import PendingDelivery
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Result = Mapping[str, Any] | None
_Send = Callable[[Mapping[str, Any]], Awaitable[Result]]
T = TypeVar("T")


class SlackSender:
    def __init__(
        self,
        client: AsyncWebClient,
        engine: AsyncEngine,
        clock: Clock,
        http: aiohttp.ClientSession,
        pacer: ChannelPacer | None = None,
    ) -> None:
        self._client = client
        self._engine = engine
        self._clock = clock
        self._http = http
        self._pacer = pacer or ChannelPacer()
        self._senders: dict[str, _Send] = {
            kinds.POST_CARD: self._post_card,
            kinds.REFRESH_CARD: self._refresh_card,
            kinds.THREAD_MESSAGE: self._thread_message,
            kinds.EPHEMERAL: self._ephemeral,
            kinds.RESPOND: self._respond,
            kinds.OPEN_VIEW: self._open_view,
            kinds.CHANNEL_MESSAGE: self._channel_message,
        }

    async def send(self, delivery: PendingDelivery) -> Result:
        sender = self._senders.get(delivery.kind)
        if sender is None:
            raise PermanentFailure(f"no sender for outbox kind {delivery.kind!r}")
        try:
            return await sender(delivery.payload)
        except SlackApiError as error:
            raise classify(error) from error
        except (TimeoutError, aiohttp.ClientError) as error:
            raise RetryLater(f"{type(error).__name__}: {error}") from error

    async def _paced(self, channel: str, call: Callable[[], Awaitable[T]]) -> T:
        """One write to ``channel`` within its rate; a 429 holds back the whole channel."""
        await self._pacer.acquire(channel)
        try:
            return await call()
        except SlackApiError as error:
            outcome = classify(error)
            if isinstance(outcome, RetryLater) and error.response.status_code == 429:
                self._pacer.block(channel, outcome.delay or 1.0)
            raise

    def lock_card(self, incident_id: int) -> AbstractAsyncContextManager[None]:
        return card_lock(self._engine, incident_id)

    async def _incident(self, incident_id: int) -> StoredIncident:
        async with UnitOfWork(self._engine) as uow:
            stored = await uow.incidents.get_by_id(incident_id)
        if stored is None:
            raise PermanentFailure(f"incident {incident_id} does not exist")
        return stored

    async def _post_card(self, payload: Mapping[str, Any]) -> Result:
        stored = await self._incident(payload["incident_id"])
        if stored.card_ts is not None:
            return {"ts": stored.card_ts, "skipped": "card already posted"}
        incident = stored.incident
        response = await self._paced(
            incident.channel_id,
            lambda: self._client.chat_postMessage(
                channel=incident.channel_id,
                thread_ts=incident.thread_ts,
                text=card_fallback_text(incident),
                blocks=incident_card(incident, self._clock.now()),
                unfurl_links=False,
            ),
        )
        ts = str(response["ts"])
        async with UnitOfWork(self._engine) as uow:
            await uow.incidents.record_card(stored.id, ts)
        return {"ts": ts, "channel": incident.channel_id}

    async def _refresh_card(self, payload: Mapping[str, Any]) -> Result:
        stored = await self._incident(payload["incident_id"])
        card_ts = stored.card_ts
        if card_ts is None:
            # The card is still on its way; it is rendered when posted, so it will show this change.
            return {"skipped": "card not posted yet"}
        incident = stored.incident
        await self._paced(
            incident.channel_id,
            lambda: self._client.chat_update(
                channel=incident.channel_id,
                ts=card_ts,
                text=card_fallback_text(incident),
                blocks=incident_card(incident, self._clock.now()),
            ),
        )
        return {"ts": card_ts, "version": incident.version}

    async def _thread_message(self, payload: Mapping[str, Any]) -> Result:
        stored = await self._incident(payload["incident_id"])
        if stored.home_ts is None:
            # Only when the card could not be posted (its row failed): back off rather than poll.
            raise RetryLater("the incident's thread is not known until its card is posted")
        response = await self._paced(
            stored.incident.channel_id,
            lambda: self._client.chat_postMessage(
                channel=stored.incident.channel_id,
                thread_ts=stored.home_ts,
                text=payload["text"],
                blocks=payload.get("blocks"),
                unfurl_links=False,
            ),
        )
        return {"ts": response["ts"]}

    async def _ephemeral(self, payload: Mapping[str, Any]) -> Result:
        response = await self._paced(
            payload["channel"],
            lambda: self._client.chat_postEphemeral(
                channel=payload["channel"],
                user=payload["user"],
                text=payload["text"],
                blocks=payload.get("blocks"),
                thread_ts=payload.get("thread_ts"),
            ),
        )
        return {"message_ts": response.get("message_ts")}

    async def _channel_message(self, payload: Mapping[str, Any]) -> Result:
        response = await self._paced(
            payload["channel"],
            lambda: self._client.chat_postMessage(
                channel=payload["channel"],
                text=payload["text"],
                blocks=payload.get("blocks"),
                unfurl_links=False,
            ),
        )
        return {"ts": response["ts"]}

    async def _open_view(self, payload: Mapping[str, Any]) -> Result:
        response = await self._client.views_open(trigger_id=payload["trigger_id"], view=payload["view"])
        return {"view_id": response["view"]["id"]}

    async def _respond(self, payload: Mapping[str, Any]) -> Result:
        body = {"text": payload["text"], "response_type": "ephemeral", "replace_original": False}
        if payload.get("blocks"):
            body["blocks"] = payload["blocks"]
        async with self._http.post(
            payload["response_url"], json=body, timeout=aiohttp.ClientTimeout(total=10)
        ) as response:
            text = await response.text()
            if response.status == 429 or response.status >= 500:
                raise RetryLater(f"response_url {response.status}", delay=_seconds(response.headers.get("Retry-After")))
            if response.status >= 400:
                raise PermanentFailure(f"response_url {response.status} {text[:100]}")
        return {"status": response.status}


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


__all__ = ["SlackSender"]
