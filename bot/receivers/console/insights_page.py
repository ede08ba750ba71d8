"""``GET /insights`` and ``GET /insights.json`` (SPEC §9): how quickly incidents are acknowledged and
resolved, how often SLA clocks are breached, and how many incidents there are by severity, service
and week. storage.insights computes every figure and defines it.

Filters live in the URL, in the list's words (.list_filters): ``from`` and ``to`` (days declared,
UTC, both included), ``severity`` (repeatable) and ``service``. A value that means nothing is
refused with 400 naming it; the list's other parameters are no filters here. Without ``from`` and
``to`` the figures cover the 12 weeks the per-week chart shows (from their first Monday): what a
team reviews, and quick at any size of history; an empty ``from=`` asks for all of it.

``/insights.json`` has the same figures; durations are in seconds (to the millisecond), null when
there is nothing to measure::

    {"filters": {"from": "2026-11-01" | null, "to": … | null, "severity": ["SEV1", …], "service": … | null},
     "incidents": 6, "open_now": 2,
     "time_to_acknowledge": {"incidents": 5, "median_seconds": 180.0, "p90_seconds": 456.0},
     "time_to_resolve": {"incidents": 4, "median_seconds": 2250.0, "p90_seconds": 3750.0},
     "sla_breaches": {"ack": {"breached": 2, "applied": 5, "rate": 0.4}, "update": …, "resolve": …},
     "per_severity": {"SEV1": 1, "SEV2": 1, "SEV3": 1, "SEV4": 2},
     "per_service": [{"service": "api", "incidents": 3}, {"service": null, "incidents": 1}],
     "per_week": [{"week": "2026-W39", "monday": "2026-09-21", "incidents": 1}, …]}   # 12, oldest first
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from bot.receivers.console.bar_charts import bar_chart
from bot.receivers.console.context import console_of
from bot.receivers.console.list_filters import BadFilter, form_state, list_request
from bot.receivers.console.rendering import error_page, render
from bot.receivers.console.signed_in import api, page
from domain.severity import Severity
from storage.insights import Insights, InsightsFilter, Spread, TooSlow, read_insights, week_mondays

routes = web.RouteTableDef()

_FILTERS = ("severity", "service", "from", "to")
NO_SERVICE = "(no service)"
TOO_SLOW = (
    "The database could not work these figures out in time just now. Try again in a moment, or choose "
    "a shorter date range."
)
# Bars beyond these would make the chart a wall; the table under it lists every service.
CHARTED_SERVICES = 12


@dataclass(frozen=True)
class Asked:
    wanted: InsightsFilter
    form: Mapping[str, object]
    filtered: bool  # by the person: the default range alone is not a filter they chose
    recent: bool  # the default range: the 12 weeks shown


@dataclass(frozen=True)
class Durations:
    """A spread as the page shows it: None where there is nothing to measure."""

    incidents: int
    median: timedelta | None
    p90: timedelta | None


@routes.get("/insights")
@page
async def insights(request: web.Request) -> web.StreamResponse:
    try:
        asked = _asked(request)
        found = await _found(request, asked)
    except BadFilter as bad:
        return await error_page(request, 400, str(bad))
    except TooSlow:
        return await error_page(request, 503, TOO_SLOW)
    found_services = [(service or NO_SERVICE, count) for service, count in found.by_service]
    charts = {
        "week": bar_chart("week", "Incidents per week", [(week.label, week.count) for week in found.by_week]),
        "severity": bar_chart(
            "severity", "Incidents per severity", [(severity.label, count) for severity, count in found.by_severity]
        ),
        "service": bar_chart("service", "Incidents per service", found_services[:CHARTED_SERVICES]),
    }
    context = {
        "found": found,
        "form": asked.form,
        "filtered": asked.filtered,
        "recent": asked.recent,
        "severities": list(Severity),
        "to_ack": _durations(found.time_to_ack),
        "to_resolve": _durations(found.time_to_resolve),
        "charts": charts,
        "services": found_services,
        "more_services": max(0, len(found_services) - CHARTED_SERVICES),
        "json_link": "/insights.json" + (f"?{request.query_string}" if request.query_string else ""),
    }
    return await render(request, "insights.html", context)


@routes.get("/insights.json")
@api
async def insights_json(request: web.Request) -> web.StreamResponse:
    try:
        asked = _asked(request)
        found = await _found(request, asked)
    except BadFilter as bad:
        return web.json_response({"error": str(bad)}, status=400)
    except TooSlow:
        return web.json_response({"error": TOO_SLOW}, status=503, headers={"Retry-After": "10"})
    return web.json_response(figures(found, asked.wanted), headers={"Cache-Control": "no-store"})


def figures(found: Insights, wanted: InsightsFilter) -> dict[str, Any]:
    """The JSON document of the module's docstring."""
    last_day = None if wanted.declared_before is None else wanted.declared_before - timedelta(days=1)
    return {
        "filters": {
            "from": None if wanted.declared_from is None else wanted.declared_from.date().isoformat(),
            "to": None if last_day is None else last_day.date().isoformat(),
            "severity": [severity.label for severity in sorted(wanted.severities)],
            "service": wanted.service,
        },
        "incidents": found.incidents,
        "open_now": found.open_now,
        "time_to_acknowledge": _spread(found.time_to_ack),
        "time_to_resolve": _spread(found.time_to_resolve),
        "sla_breaches": {
            rate.clock.value: {"breached": rate.breached, "applied": rate.applied, "rate": rate.rate}
            for rate in found.breaches
        },
        "per_severity": {severity.label: count for severity, count in found.by_severity},
        "per_service": [{"service": service, "incidents": count} for service, count in found.by_service],
        "per_week": [
            {"week": week.label, "monday": week.monday.isoformat(), "incidents": week.count} for week in found.by_week
        ],
    }


def _asked(request: web.Request) -> Asked:
    """The insights' filters from the URL, read as the list reads the same parameters."""
    console = console_of(request)
    pairs = [(name, value) for name, value in request.query.items() if name in _FILTERS]
    recent = "from" not in request.query and "to" not in request.query
    if recent:
        pairs.append(("from", week_mondays(console.clock.now())[0].date().isoformat()))
    listed = list_request(MultiDictProxy(MultiDict(pairs)), console.workspace_id())
    wanted = listed.wanted
    return Asked(
        InsightsFilter(
            wanted.workspace_id,
            severities=wanted.severities,
            service=wanted.service,
            declared_from=wanted.declared_from,
            declared_before=wanted.declared_before,
        ),
        form_state(listed),
        filtered=len(pairs) > recent,
        recent=recent,
    )


async def _found(request: web.Request, asked: Asked) -> Insights:
    console = console_of(request)
    return await read_insights(
        console.engine, asked.wanted, now=console.clock.now(), policy=console.service.runner.policy
    )


def _spread(spread: Spread) -> dict[str, Any]:
    return {"incidents": spread.count, "median_seconds": spread.median, "p90_seconds": spread.p90}


def _durations(spread: Spread) -> Durations:
    def span(seconds: float | None) -> timedelta | None:
        return None if seconds is None else timedelta(seconds=seconds)

    return Durations(spread.count, span(spread.median), span(spread.p90))
