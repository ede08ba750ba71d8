"""The console's insights (SPEC §9), computed in SQL from the timeline's timestamps.

What each figure means, exactly:

- **Time to acknowledge** of an incident: its ``acknowledged`` event's time minus its declaration
  (``incidents.declared_at``, the ``declared`` event's own time). Incidents not acknowledged have none.
- **Time to resolve**: the time it was open up to its final resolve, the stretches it spent
  resolved before a reopening left out: declared → resolved, then reopened → resolved again, …
  (the sum of its ``resolved`` times minus its ``reopened`` times and its declaration). One reopened
  and not resolved again, or never resolved, has none yet; closing changes nothing. This is the
  card's "resolved after" (``Incident.time_to_resolve``).
- **Median and p90** of those: linear interpolation between the closest ranks, as Postgres's
  ``percentile_cont`` (sorted v1…vn, the fraction p reads rank 1 + p·(n − 1)), on both databases.
  Durations are in seconds, to the millisecond.
- **Breach rate** of a clock (ack, update, resolve): the incidents with an ``sla_breached`` event
  for it, over those the clock applied to: incidents whose severity has that clock in the SLA
  policy in force (SEV4 has no update clock by default), and any that breached it all the same.
- **Per week**: incidents declared in each of 12 ISO weeks (Monday 00:00 UTC), the last one holding
  the end of the date range, or now; weeks without any show 0.
- **Open now**: incidents among those chosen whose status is open.

Every figure is over the incidents the filter chooses: one workspace, declared in the range, of
the severities and service asked for.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import CTE, ColumnElement, Select, case, distinct, func, literal, select, text, union_all
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.events import Acknowledged, Reopened, Resolved
from domain.severity import Severity
from domain.sla import ClockKind, SlaPolicy
from storage.dialects import Dialect, dialect_of
from storage.lock_waits import sqlstate
from storage.schema import INSIGHT_TIMES_SQL, OPEN, incident_events, incidents

WEEKS = 12
_QUERY_CANCELED = "57014"  # Postgres's sqlstate for a statement its statement_timeout ended
_FRACTIONS = (0.5, 0.9)
_WEEK = timedelta(days=7)
# An incident's severity and service: together they choose its SLA windows.
Kind = tuple[Severity, str | None]


@dataclass(frozen=True)
class InsightsFilter:
    """Which incidents count; unset fields do not filter. Declared from ``declared_from``
    (inclusive) to ``declared_before`` (exclusive)."""

    workspace_id: str
    severities: frozenset[Severity] = frozenset()
    service: str | None = None
    declared_from: datetime | None = None
    declared_before: datetime | None = None


@dataclass(frozen=True)
class Spread:
    """How long ``count`` incidents took, in seconds; None for both when there were none."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class BreachRate:
    clock: ClockKind
    breached: int
    applied: int

    @property
    def rate(self) -> float | None:
        """Breached over applied; None when the clock applied to no incident."""
        return self.breached / self.applied if self.applied else None


@dataclass(frozen=True)
class WeekCount:
    monday: date
    count: int

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Insights:
    incidents: int
    open_now: int
    time_to_ack: Spread
    time_to_resolve: Spread
    breaches: tuple[BreachRate, ...]  # ack, update, resolve
    by_severity: tuple[tuple[Severity, int], ...]  # SEV1 … SEV4, none left out
    by_service: tuple[tuple[str | None, int], ...]  # most incidents first; None: no service given
    by_week: tuple[WeekCount, ...]  # oldest first


class TooSlow(Exception):
    """The database did not finish the figures within the bound every statement has (see
    storage.database): the history chosen is too long for the machine at this moment."""


async def read_insights(engine: AsyncEngine, wanted: InsightsFilter, *, now: datetime, policy: SlaPolicy) -> Insights:
    dialect = dialect_of(engine)
    mondays = week_mondays(now, wanted.declared_before)
    try:
        # Three statements, side by side on connections of their own: the page waits for the
        # slowest (the times, a pass over the timeline's index), not for the three in a row.
        spreads, counted, breached = await asyncio.gather(
            _spreads(engine, dialect, wanted), _counts(engine, wanted, mondays), _breached(engine, dialect, wanted)
        )
    except (DBAPIError, TimeoutError) as error:
        if not _timed_out(error):
            raise
        raise TooSlow(str(error)) from error
    by_severity = Counter[Severity]()
    by_kind = Counter[Kind]()
    by_service = Counter[str | None]()
    by_week = Counter[int]()
    open_now = 0
    for severity, service, week, is_open, n in counted:
        by_severity[Severity(severity)] += n
        by_kind[Severity(severity), service] += n
        by_service[service] += n
        if week is not None:
            by_week[week] += n
        open_now += n * is_open
    return Insights(
        incidents=by_severity.total(),
        open_now=open_now,
        time_to_ack=_spread(spreads[:3]),
        time_to_resolve=_spread(spreads[3:]),
        breaches=tuple(_rate(clock, policy, by_kind, breached) for clock in ClockKind),
        by_severity=tuple((severity, by_severity[severity]) for severity in Severity),
        by_service=tuple(sorted(by_service.items(), key=lambda item: (-item[1], item[0] is None, item[0] or ""))),
        by_week=tuple(WeekCount(monday.date(), by_week[index]) for index, monday in enumerate(mondays)),
    )


def week_mondays(now: datetime, declared_before: datetime | None = None) -> list[datetime]:
    """The first moments of the 12 ISO weeks shown, oldest first: the last holds the end of the
    range (its last instant), or now if that is earlier or there is no end."""
    last = now if declared_before is None else min(now, declared_before - timedelta(microseconds=1))
    day = last.astimezone(UTC).date()
    monday = datetime.combine(day - timedelta(days=day.weekday()), time(), UTC)
    return [monday - _WEEK * (WEEKS - 1 - index) for index in range(WEEKS)]


def spreads_query(dialect: Dialect, wanted: InsightsFilter) -> Select[tuple[object, ...]]:
    """One row: how many incidents have a time to acknowledge, its median and p90, then the same
    for the time to resolve (the index test explains it)."""
    chosen = _chosen(wanted)
    events = incident_events
    at = dialect.epoch(events.c.occurred_at)
    declared = dialect.epoch(func.min(chosen.c.declared_at))  # the incident's one declaration
    # Resolves minus reopens: 1 when the last of them is a resolve (the lifecycle alternates them).
    stretches = func.sum(case((events.c.type == Resolved.type, 1), (events.c.type == Reopened.type, -1), else_=0))
    resolved_minus_reopened = func.sum(
        case((events.c.type == Resolved.type, at), (events.c.type == Reopened.type, -at), else_=0.0)
    )
    durations = (
        select(
            (func.min(case((events.c.type == Acknowledged.type, at))) - declared).label("to_ack"),
            case((stretches == 1, resolved_minus_reopened - declared)).label("to_resolve"),
        )
        .select_from(chosen.join(events, events.c.incident_id == chosen.c.id))
        .where(text(INSIGHT_TIMES_SQL))
        .group_by(events.c.incident_id)
        .cte("durations")
    )
    return dialect.spreads([durations.c.to_ack, durations.c.to_resolve], _FRACTIONS)


def breaches_query(dialect: Dialect, wanted: InsightsFilter) -> Select[Any]:
    """Per clock, severity and service, how many of the chosen incidents breached that clock."""
    chosen = _chosen(wanted)
    events = incident_events
    per_clock = [
        select(
            literal(clock.value).label("clock"),
            chosen.c.severity,
            chosen.c.service,
            func.count(distinct(events.c.incident_id)),
        )
        .select_from(chosen.join(events, events.c.incident_id == chosen.c.id))
        .where(dialect.breached(clock))
        .group_by(chosen.c.severity, chosen.c.service)
        for clock in ClockKind
    ]
    return select(union_all(*per_clock).subquery())


async def _spreads(engine: AsyncEngine, dialect: Dialect, wanted: InsightsFilter) -> Sequence[object]:
    async with engine.connect() as connection:
        return tuple((await connection.execute(spreads_query(dialect, wanted))).one())


async def _breached(engine: AsyncEngine, dialect: Dialect, wanted: InsightsFilter) -> Counter[tuple[ClockKind, Kind]]:
    async with engine.connect() as connection:
        rows = await connection.execute(breaches_query(dialect, wanted))
        return Counter({(ClockKind(clock), (Severity(severity), service)): n for clock, severity, service, n in rows})


async def _counts(
    engine: AsyncEngine, wanted: InsightsFilter, mondays: Sequence[datetime]
) -> list[tuple[int, str | None, int | None, int, int]]:
    """How many incidents of each severity, service, week shown (None: outside them) and openness."""
    declared = incidents.c.declared_at
    week = case(
        (declared >= mondays[-1] + _WEEK, None),
        *((declared >= monday, index) for index, monday in reversed(list(enumerate(mondays)))),
        else_=None,
    ).label("week")
    is_open = case((OPEN, 1), else_=0).label("is_open")
    query = (
        select(incidents.c.severity, incidents.c.service, week, is_open, func.count())
        .where(*_conditions(wanted))
        .group_by(incidents.c.severity, incidents.c.service, week, is_open)
    )
    async with engine.connect() as connection:
        return [(row[0], row[1], row[2], row[3], row[4]) for row in await connection.execute(query)]


def _chosen(wanted: InsightsFilter) -> CTE:
    return (
        select(incidents.c.id, incidents.c.declared_at, incidents.c.severity, incidents.c.service)
        .where(*_conditions(wanted))
        .cte("chosen")
    )


def _conditions(wanted: InsightsFilter) -> list[ColumnElement[bool]]:
    conditions = [incidents.c.workspace_id == wanted.workspace_id]
    if wanted.severities:
        conditions.append(incidents.c.severity.in_(sorted(int(s) for s in wanted.severities)))
    if wanted.service is not None:
        conditions.append(incidents.c.service == wanted.service)
    if wanted.declared_from is not None:
        conditions.append(incidents.c.declared_at >= wanted.declared_from)
    if wanted.declared_before is not None:
        conditions.append(incidents.c.declared_at < wanted.declared_before)
    return conditions


def _timed_out(error: BaseException) -> bool:
    """Postgres cancelled the statement (statement_timeout), or the client stopped waiting for it."""
    cause = error.orig if isinstance(error, DBAPIError) else error
    return isinstance(cause, TimeoutError) or sqlstate(error) == _QUERY_CANCELED


def _spread(row: Sequence[object]) -> Spread:
    count, median, p90 = row
    assert isinstance(count, int)
    return Spread(count, _seconds(median), _seconds(p90)) if count else Spread(0, None, None)


def _seconds(value: object) -> float | None:
    return None if value is None else round(float(value), 3)  # type: ignore[arg-type]


def _rate(
    clock: ClockKind, policy: SlaPolicy, by_kind: Counter[Kind], breached: Counter[tuple[ClockKind, Kind]]
) -> BreachRate:
    # A catalog service's own windows decide whether the clock applied to its incidents (SPEC §13).
    applied = sum(
        n if policy.for_severity(severity, service).window(clock) is not None else breached[clock, (severity, service)]
        for (severity, service), n in by_kind.items()
    )
    return BreachRate(clock, sum(n for (kind, _), n in breached.items() if kind is clock), applied)
