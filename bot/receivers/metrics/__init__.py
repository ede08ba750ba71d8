"""Prometheus's way in (SPEC §12): ``GET /metrics``, and every request counted by its route.

Each replica serves its own series; Prometheus sums them. The series themselves are declared in
bot.runtime.metrics, where anyone increments them.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.receivers.metrics.exposition import Exposition, Vitals
from bot.receivers.metrics.request_timing import count_requests
from bot.runtime.clock import Clock


def add_metrics(app: web.Application, token: str | None, engine: Callable[[], AsyncEngine], clock: Clock) -> None:
    """Serve /metrics in ``app`` (behind ``token`` when set) and count every request ``app`` answers;
    ``engine`` is called once the bot has started."""
    app.middlewares.append(count_requests)
    app.router.add_get("/metrics", Exposition(Vitals(engine, clock), token).serve)
