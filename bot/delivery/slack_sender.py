"""Outbox rows to Slack Web API calls. Each kind has one sender; all report failures the same way."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar
from weakref import WeakValueDictionary

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import outbox_messages as kinds
from bot.delivery.outcomes import PermanentFailure, RetryLater
from bot.delivery.owner_handles import OwnerHandles
from bot.delivery.pacing import ChannelPacer
from bot.delivery.recording import until_recorded
from bot.delivery.slack_errors import answered, classify
from bot.runtime.clock import Clock
from bot.views.card import card_fallback_text, incident_card
from bot.views.service_fact import ServiceFact, pages_owner, slack_service_fact
from domain.incident import Incident
from domain.services import NO_SERVICES, ServiceCatalog
from storage.card_locks import card_lock
from storage.stored import PendingDelivery, StoredIncident
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Result = Mapping[str, Any] | None
_Send = Callable[[PendingDelivery], Awaitable[Result]]
T = TypeVar("T")
# Which version of each card this process last put on screen (bounded: the oldest are forgotten).
SHOWN_CARDS_MAX = 20_000


def pooled_client(client: AsyncWebClient, http: aiohttp.ClientSession) -> AsyncWebClient:
    """``client`` over the bot's connection pool. Without a session slack_sdk opens a new HTTP
    session, and so a new connection, for every call; this one keeps connections alive. The session
    is the pool's, with the client's own timeout."""
    if client.session is not None or http.connector is None:
        return client
    session = aiohttp.ClientSession(
        connector=http.connector,
        connector_owner=False,
        timeout=aiohttp.ClientTimeout(total=client.timeout),
    )
    return AsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        session=session,
        headers=dict(client.headers),
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=list(client.retry_handlers),
    )


class SlackSender:
    def __init__(
        self,
        client: AsyncWebClient,
        engine: AsyncEngine,
        clock: Clock,
        http: aiohttp.ClientSession,
        pacer: ChannelPacer | None = None,
        *,
        console_url: str | None = None,
        services: ServiceCatalog = NO_SERVICES,
    ) -> None:
        self._client = pooled_client(client, http)
        self._services = services
        self._owners = OwnerHandles(self._client)
        self._console_url = console_url  # the cards' "Open in console" link, when the console is on
        self._engine = engine
        self._clock = clock
        self._http = http
        self._pacer = pacer or ChannelPacer()
        self._shown: dict[int, tuple[str, int]] = {}  # incident id → (card ts, version shown)
        self._channel_calls: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()
        self._senders: dict[str, _Send] = {
            kinds.POST_CARD: self._post_card,
            kinds.REFRESH_CARD: self._refresh_card,
            kinds.THREAD_MESSAGE: self._thread_message,
            kinds.EPHEMERAL: self._ephemeral,
            kinds.RESPOND: self._respond,
            kinds.CHANNEL_MESSAGE: self._channel_message,
            kinds.EDIT_MESSAGE: self._edit_message,
            kinds.DIRECT_MESSAGE: self._direct_message,
            kinds.REACTION: self._reaction,
        }

    async def send(self, delivery: PendingDelivery) -> Result:
        sender = self._senders.get(delivery.kind)
        if sender is None:
            raise PermanentFailure(f"no sender for outbox kind {delivery.kind!r}")
        return await answered(sender(delivery))

    async def _paced(self, channel: str, call: Callable[[], Awaitable[T]], *, edit: bool = False) -> T:
        """One write to ``channel``: a new message within the channel's pace, an edit (``edit``) at
        once. One call to a channel at a time: the card's lane and the thread's go side by side, and a
        429's Retry-After must be known before the next call to that channel goes out."""
        if not edit:
            await self._pacer.acquire(channel)
        async with self._one_call_at_a_time(channel):
            await self._pacer.unblocked(channel)
            try:
                return await call()
            except SlackApiError as error:
                outcome = classify(error)
                if isinstance(outcome, RetryLater) and error.response.status_code == 429:
                    self._pacer.block(channel, outcome.delay or 1.0)
                raise

    def _one_call_at_a_time(self, channel: str) -> asyncio.Lock:
        lock = self._channel_calls.get(channel)
        if lock is None:
            lock = self._channel_calls[channel] = asyncio.Lock()
        return lock

    def lock_card(self, incident_id: int) -> AbstractAsyncContextManager[None]:
        return card_lock(self._engine, incident_id)

    async def _incident(self, incident_id: int) -> StoredIncident:
        async with UnitOfWork(self._engine, autocommit=True) as uow:
            stored = await uow.incidents.get_by_id(incident_id)
        if stored is None:
            raise PermanentFailure(f"incident {incident_id} does not exist")
        return stored

    def _showing(self, incident_id: int, card_ts: str, version: int) -> None:
        self._shown.pop(incident_id, None)
        if len(self._shown) >= SHOWN_CARDS_MAX:
            self._shown.pop(next(iter(self._shown)))
        self._shown[incident_id] = (card_ts, version)

    async def _post_card(self, delivery: PendingDelivery) -> Result:
        stored = await self._incident(delivery.payload["incident_id"])
        if stored.card_ts is not None:
            return {"ts": stored.card_ts, "skipped": "card already posted"}
        incident = stored.incident
        catalogued = self._services.get(incident.service)
        notify = catalogued is not None and pages_owner(incident, catalogued)
        service = await self._service_fact(incident, notify=notify)
        text = card_fallback_text(incident)
        if notify and catalogued is not None:
            text = f"{text} {catalogued.owner_mention}"  # the notification itself names who is paged
        response = await self._paced(
            incident.channel_id,
            lambda: self._client.chat_postMessage(
                channel=incident.channel_id,
                thread_ts=incident.thread_ts,
                text=text,
                blocks=incident_card(incident, self._clock.now(), self._console_url, service),
                unfurl_links=False,
            ),
        )
        ts = str(response["ts"])

        async def write() -> None:
            async with UnitOfWork(self._engine, autocommit=True) as uow:
                await uow.incidents.record_card(stored.id, ts)

        # Not recorded, the card would be posted again when the row is retried: a second card.
        await until_recorded(write, "a card", {"incident_id": stored.id})
        self._showing(stored.id, ts, incident.version)
        return {"ts": ts, "channel": incident.channel_id}

    async def _refresh_card(self, delivery: PendingDelivery) -> Result:
        """An edit takes no turn of the channel's pace for new messages, and shows the incident as
        loaded with the claim (a change since has a refresh of its own, sent after this one). Held
        back by a 429, it is rendered after the wait instead: it then shows every change made
        meanwhile, and the refreshes queued behind it find the card already showing their version
        and cost no Slack call."""
        incident_id = delivery.payload["incident_id"]
        known = delivery.incident
        if known is None or known.card_ts is None:
            known = await self._incident(incident_id)
        channel = known.incident.channel_id
        if self._pacer.blocked(channel):
            # Held back by a 429: what is shown once it lifts is the incident as it is then.
            await self._pacer.unblocked(channel)
            known = await self._incident(incident_id)
        card_ts, incident = known.card_ts, known.incident
        if card_ts is None:
            # The card is still on its way; it is rendered when posted, so it will show this change.
            return {"skipped": "card not posted yet"}
        if self._shown.get(incident_id) == (card_ts, incident.version):
            return {"ts": card_ts, "skipped": "card already shows this version"}
        service = await self._service_fact(incident, notify=False)
        await self._paced(
            channel,
            lambda: self._client.chat_update(
                channel=channel,
                ts=card_ts,
                text=card_fallback_text(incident),
                blocks=incident_card(incident, self._clock.now(), self._console_url, service),
            ),
            edit=True,
        )
        self._showing(incident_id, card_ts, incident.version)
        return {"ts": card_ts, "version": incident.version}

    async def _service_fact(self, incident: Incident, *, notify: bool) -> ServiceFact | None:
        """The card's service and owner; ``notify`` only for the card as first posted (SPEC §13):
        an edit notifies nobody anyway, and the owner's handle shows who it is."""
        service = self._services.get(incident.service)
        if service is None:
            return None
        return slack_service_fact(service, None if notify else await self._owners.handle(service), notify=notify)

    async def _thread_message(self, delivery: PendingDelivery) -> Result:
        # The thread is known once the card is posted and never changes after: the copy loaded
        # with the claim will do, unless it was loaded before the card went out.
        stored = delivery.incident
        if stored is None or stored.home_ts is None:
            stored = await self._incident(delivery.payload["incident_id"])
        if stored.home_ts is None:
            if await self._card_on_its_way(delivery):
                # Another replica is posting the card (it claimed it as this row was claimed).
                raise RetryLater("the incident's thread is not known until its card is posted")
            # Slack refused the card for good. A card asked for again later goes out after this
            # message, so it has nowhere to go: waiting would hold that card back, for ever.
            raise PermanentFailure("no thread: the incident's card was refused, so the message has nowhere to go")
        payload, channel, home_ts = delivery.payload, stored.incident.channel_id, stored.home_ts
        response = await self._paced(
            channel,
            lambda: self._client.chat_postMessage(
                channel=channel,
                thread_ts=home_ts,
                text=payload["text"],
                blocks=payload.get("blocks"),
                unfurl_links=False,
            ),
        )
        return {"ts": response["ts"]}

    async def _card_on_its_way(self, delivery: PendingDelivery) -> bool:
        async with UnitOfWork(self._engine) as uow:
            return await uow.outbox.pending_before(delivery.payload["incident_id"], delivery.id, kinds.POST_CARD)

    async def _ephemeral(self, delivery: PendingDelivery) -> Result:
        payload = delivery.payload
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

    async def _channel_message(self, delivery: PendingDelivery) -> Result:
        payload = delivery.payload
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

    async def _edit_message(self, delivery: PendingDelivery) -> Result:
        payload = delivery.payload
        await self._paced(
            payload["channel"],
            lambda: self._client.chat_update(
                channel=payload["channel"], ts=payload["ts"], text=payload["text"], blocks=payload["blocks"]
            ),
            edit=True,
        )
        return {"ts": payload["ts"]}

    async def _direct_message(self, delivery: PendingDelivery) -> Result:
        """Posting to a user's id is posting to the bot's direct conversation with them."""
        payload = delivery.payload
        response = await self._paced(
            payload["user"],
            lambda: self._client.chat_postMessage(
                channel=payload["user"], text=payload["text"], blocks=payload.get("blocks"), unfurl_links=False
            ),
        )
        return {"ts": response["ts"], "channel": response.get("channel")}

    async def _reaction(self, delivery: PendingDelivery) -> Result:
        payload = delivery.payload
        try:
            # Not a new message, so not held to the channel's pace of one a second.
            await self._paced(
                payload["channel"],
                lambda: self._client.reactions_add(
                    channel=payload["channel"], timestamp=payload["timestamp"], name=payload["name"]
                ),
                edit=True,
            )
        except SlackApiError as error:
            # Sent again after a lost answer: the reaction is there, which is all that was wanted.
            if error.response.get("error") != "already_reacted":
                raise
        return {"reacted": payload["name"]}

    async def _respond(self, delivery: PendingDelivery) -> Result:
        payload = delivery.payload
        body = {"text": payload["text"], "response_type": "ephemeral", "replace_original": False}
        if payload.get("blocks"):
            body["blocks"] = payload["blocks"]
        async with self._http.post(
            payload["response_url"], json=body, timeout=aiohttp.ClientTimeout(total=10)
        ) as response:
            text = await response.text()
            if response.status == 429 or response.status >= 500:
                raise RetryLater(f"response_url {response.status}", delay=_seconds(response.headers.get("Retry-After")))
        if response.status < 400:
            return {"status": response.status}
        if not payload.get("user"):
            raise PermanentFailure(f"response_url {response.status} {text[:100]}")
        # The URL expired or was used up, and the person still needs to hear it: directly, then.
        return await self._direct_message(delivery)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


__all__ = ["SlackSender"]
