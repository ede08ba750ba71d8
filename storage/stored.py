"""The values storage takes and hands back: plain records, free of any connection or statement,
so that the repositories, the dialects and the bot can all share them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.events import Event
from domain.incident import Incident


@dataclass(frozen=True)
class StoredIncident:
    """An incident with where it lives in Slack, as far as delivery has got."""

    id: int
    incident: Incident
    card_ts: str | None
    home_ts: str | None


@dataclass(frozen=True)
class RecordedEvent:
    """An event with its place in the incident's timeline (1-based, gap-free)."""

    seq: int
    event: Event


@dataclass(frozen=True)
class OutboxMessage:
    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    coalesce_key: str | None = None
    # A detached message is stored without its incident, so it is not delivered in order with
    # (nor does it hold up) the incident's messages: for slow work such as drafting with an AI.
    detached: bool = False


@dataclass(frozen=True)
class PendingDelivery:
    id: int
    incident_id: int | None
    kind: str
    payload: Mapping[str, Any]
    coalesce_key: str | None
    attempts: int
    created_at: datetime
    # The incident as it was when the row was claimed (loaded with the claim, for the whole batch
    # at once): enough for what does not change once set, such as its channel and thread.
    incident: StoredIncident | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Settlement:
    """A delivered row: Slack's result, and the rows it made redundant (merged audit lines, older
    refreshes of the same card)."""

    delivery_id: int
    result: Mapping[str, Any] | None
    absorbed: Sequence[int] = ()
    supersedes: str | None = None  # a coalesce key: older pending rows under it are settled too


@dataclass(frozen=True)
class Overtaking:
    """Rows of ``kinds`` need not wait behind every earlier row of their incident, only behind those
    of the kinds in ``behind`` (a card edit shows the incident as it is when sent, so it may go out
    ahead of queued thread messages, but not ahead of the card's post or an earlier edit)."""

    kinds: frozenset[str]
    behind: frozenset[str]


@dataclass(frozen=True)
class BatchWrites:
    """Everything a batch of accepted commands writes, handed over at once: the idempotency keys it
    claims, the projections it moves, the events it appends and the outbox rows it queues (each
    dialect writes them its own way, see storage.dialects)."""

    # (key, processed_at, incident_id): keys known to be free (see ProcessedRequests.taken). One
    # claimed meanwhile after all fails the write (IntegrityError), so nothing is applied twice.
    claims: Sequence[tuple[str, datetime, int]] = ()
    # (incident_id, committed state, new state): each incident once, over the version it was read at.
    projections: Sequence[tuple[int, Incident, Incident]] = ()
    timelines: Sequence[tuple[int, Sequence[RecordedEvent]]] = ()
    # Outbox rows in the order they are to be delivered, each batch with its incident.
    messages: Sequence[tuple[Sequence[OutboxMessage], int | None]] = ()
