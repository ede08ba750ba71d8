"""The console's incident list (SPEC §9): a workspace's incidents, filtered, newest first, a page at
a time.

Pages are cut by a cursor on ``(declared_at, id)``, never by an offset: an incident declared
between two page loads appears before the first page and moves nothing after it, so paging on
neither skips nor repeats one, and a deep page costs what the first does. Every filter reads off
an index of migration 0005 in that order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.events import SlaBreached
from domain.lifecycle import Status
from domain.severity import Severity
from domain.sla import ClockKind
from domain.text import as_typed_in_slack
from storage.incident_repository import stored_incident
from storage.schema import OPEN, RESOLVED, incident_events, incidents
from storage.stored import StoredIncident

PAGE_SIZE = 50
TITLE_SEARCH_MAX = 200
_CURSOR = re.compile(r"([0-9]{1,17})-([0-9]{1,18})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LIKE_SPECIALS = re.compile(r"([\\%_])")


class StatusFilter(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    CLOSED = "closed"
    ALL = "all"


# Open and resolved in the words of the partial indexes' predicates (see storage.schema).
_STATUSES: dict[StatusFilter, ColumnElement[bool]] = {
    StatusFilter.OPEN: OPEN,
    StatusFilter.RESOLVED: RESOLVED,
    StatusFilter.CLOSED: incidents.c.status == Status.CLOSED.value,
}


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the incident declared at ``declared_at`` with ``id``."""

    declared_at: datetime
    id: int

    def __str__(self) -> str:
        # Whole microseconds since the epoch: exact on both databases, and safe in a URL as it is.
        return f"{(self.declared_at - _EPOCH) // timedelta(microseconds=1)}-{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor ``str`` made; ValueError for anything else."""
        match = _CURSOR.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not a page cursor")
        return cls(_EPOCH + timedelta(microseconds=int(match.group(1))), int(match.group(2)))


@dataclass(frozen=True)
class Commander:
    """A commander filter: incidents ``user_id`` commands, or with None those nobody commands."""

    user_id: str | None


@dataclass(frozen=True)
class IncidentFilter:
    """What the list shows of a workspace; unset fields do not filter. Declared from
    ``declared_from`` (inclusive) to ``declared_before`` (exclusive)."""

    workspace_id: str
    status: StatusFilter = StatusFilter.OPEN
    severities: frozenset[Severity] = frozenset()
    service: str | None = None
    commander: Commander | None = None
    title: str | None = None
    declared_from: datetime | None = None
    declared_before: datetime | None = None

    def __post_init__(self) -> None:
        if self.title is not None and len(self.title) > TITLE_SEARCH_MAX:
            raise ValueError(f"a title search is at most {TITLE_SEARCH_MAX} characters")


@dataclass(frozen=True)
class ListedIncident:
    stored: StoredIncident
    # The clocks the scheduler recorded as breached, for the list's SLA state of a stopped incident.
    breached: frozenset[ClockKind] = frozenset()


@dataclass(frozen=True)
class IncidentPage:
    rows: tuple[ListedIncident, ...]
    # Where the following page starts; None on the last page.
    next: Cursor | None = None


async def incident_page(
    engine: AsyncEngine, wanted: IncidentFilter, after: Cursor | None = None, size: int = PAGE_SIZE
) -> IncidentPage:
    """Up to ``size`` incidents matching ``wanted`` declared before ``after``, newest first."""
    async with engine.connect() as connection:
        found = [stored_incident(row) for row in await connection.execute(page_query(wanted, after, size + 1))]
        shown = found[:size]
        breaches = await _breaches(connection, [s.id for s in shown if not s.incident.is_open])
    rows = tuple(ListedIncident(stored, breaches.get(stored.id, frozenset())) for stored in shown)
    last = shown[-1] if len(found) > size else None
    return IncidentPage(rows, None if last is None else Cursor(last.incident.declared_at, last.id))


def page_query(wanted: IncidentFilter, after: Cursor | None, limit: int) -> Select[tuple[object, ...]]:
    """The page's statement (the index test explains it).

    The limit and a title's pattern are written into the statement (quoted by SQLAlchemy), not
    bound: Postgres then plans each for what it asks, where a plan made once for any limit and any
    text (after five runs of a prepared statement) reads a rare word's page off the whole history
    instead of the trigram index, ten times slower.
    """
    conditions = [incidents.c.workspace_id == wanted.workspace_id]
    if wanted.status is not StatusFilter.ALL:
        conditions.append(_STATUSES[wanted.status])
    if wanted.severities:
        conditions.append(incidents.c.severity.in_(sorted(int(s) for s in wanted.severities)))
    if wanted.service is not None:
        conditions.append(incidents.c.service == wanted.service)
    if wanted.commander is not None:
        who = wanted.commander.user_id
        conditions.append(incidents.c.commander.is_(None) if who is None else incidents.c.commander == who)
    if wanted.title:
        # ILIKE on Postgres, where the trigram index serves it; lower() LIKE lower() on SQLite.
        # As titles are stored (Slack's entities for & < >), the text itself, wildcards and all.
        searched = _LIKE_SPECIALS.sub(r"\\\1", as_typed_in_slack(wanted.title))
        pattern: BindParameter[str] = bindparam("title_pattern", f"%{searched}%", literal_execute=True)
        conditions.append(incidents.c.title.ilike(pattern, escape="\\"))
    if wanted.declared_from is not None:
        conditions.append(incidents.c.declared_at >= wanted.declared_from)
    if wanted.declared_before is not None:
        conditions.append(incidents.c.declared_at < wanted.declared_before)
    if after is not None:
        # A row comparison, which Postgres reads as one range of the (…, declared_at, id) indexes.
        conditions.append(tuple_(incidents.c.declared_at, incidents.c.id) < (after.declared_at, after.id))
    newest_first = (incidents.c.declared_at.desc(), incidents.c.id.desc())
    return (
        select(incidents)
        .where(*conditions)
        .order_by(*newest_first)
        .limit(bindparam("page_limit", limit, literal_execute=True))
    )


async def _breaches(connection: AsyncConnection, incident_ids: list[int]) -> dict[int, frozenset[ClockKind]]:
    if not incident_ids:
        return {}
    query = select(incident_events.c.incident_id, incident_events.c.payload).where(
        incident_events.c.incident_id.in_(incident_ids), incident_events.c.type == SlaBreached.type
    )
    kinds: dict[int, set[ClockKind]] = defaultdict(set)
    for incident_id, payload in await connection.execute(query):
        kinds[incident_id].add(ClockKind(payload["kind"]))
    return {incident_id: frozenset(found) for incident_id, found in kinds.items()}
