"""``GET /metrics``: the process's series, and the database's figures read at most every few seconds.

The counters live in the process's default registry (bot.runtime.metrics). The figures read from the
database (outbox backlog, open incidents) and the console's live connections are this app's own: a
collector in a registry of the app's, refreshed before the scrape renders, so rendering never waits
on the database and a scrape during a database outage still answers with everything else.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import time
from collections.abc import Callable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.runtime.clock import Clock
from storage.change_feed import hub_of
from storage.vital_signs import VitalSigns, read_vital_signs

log = logging.getLogger(__name__)

# Prometheus scrapes every 15 s or so, and an HA pair of Prometheus servers twice as often: reading at
# most this often keeps the database's share of the scrapes flat however many there are.
READ_EVERY_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 2.0


class Vitals(Collector):
    """The database's figures as last read, and the live connections of this app's engine."""

    def __init__(self, engine: Callable[[], AsyncEngine], clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._signs: VitalSigns | None = None
        self._read_at = -math.inf
        self._reading = asyncio.Lock()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    async def refresh(self) -> None:
        """Read the database's figures unless they were read (or failed) within READ_EVERY_SECONDS."""
        async with self._reading:
            if time.monotonic() - self._read_at < READ_EVERY_SECONDS:
                return
            try:
                async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                    self._signs = await read_vital_signs(self._engine(), self._clock.now())
            except Exception as error:
                # Left out rather than stale: an absent series is what Prometheus alerts on.
                log.warning("metrics: the database's figures could not be read", extra={"error": type(error).__name__})
                self._signs = None
            self._read_at = time.monotonic()

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "firebreak_console_connections",
            "Console pages following live changes from this replica.",
            value=hub_of(self._engine()).subscribers,
        )
        signs = self._signs
        if signs is None:
            return
        yield GaugeMetricFamily(
            "firebreak_outbox_pending", "Outbox messages neither delivered nor given up on.", value=signs.outbox_pending
        )
        yield GaugeMetricFamily(
            "firebreak_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox message not yet delivered (0 when none is pending).",
            value=signs.oldest_pending_age_seconds,
        )
        open_incidents = GaugeMetricFamily(
            "firebreak_incidents_open", "Incidents not yet resolved, by severity.", labels=["severity"]
        )
        for severity, count in signs.open_by_severity:
            open_incidents.add_metric([severity.label], count)
        yield open_incidents


class Exposition:
    """The /metrics handler, behind the bearer token when METRICS_TOKEN is set."""

    def __init__(self, vitals: Vitals, token: str | None) -> None:
        self._vitals = vitals
        self._expected = f"Bearer {token}".encode() if token else None

    async def serve(self, request: web.Request) -> web.StreamResponse:
        if self._expected is not None and not hmac.compare_digest(
            # A header with bytes that are not UTF-8 is a wrong token, not an error.
            request.headers.get("Authorization", "").encode(errors="surrogateescape"),
            self._expected,
        ):
            return web.json_response(
                {"error": "GET /metrics needs the header 'Authorization: Bearer <METRICS_TOKEN>'."},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        await self._vitals.refresh()
        body = generate_latest(REGISTRY) + generate_latest(self._vitals.registry)
        # The text format every Prometheus reads (the series' names need none of version 1.0.0's escaping).
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})
