"""Postgres down while Alertmanager delivers (SPEC §11): the bot answers 503, so Alertmanager keeps
the notification and sends it again; once Postgres is back the retry lands, and it lands once: one
incident, one firing event per alert, however many of the tries reached the bot."""

from __future__ import annotations

import pytest

from bot.local_slack import LocalSlack
from domain import events as ev
from tests.alerts.alertmanager import AlertmanagerFor, Intervals
from tests.alerts.samples import ALERTS_TOKEN
from tests.alerts.sending import ALERTS_CHANNEL, Tally, alerts_bot_on, fingerprints
from tests.e2e.card_support import declared_count, timeline, top_level
from tests.reliability.cluster import ThrowawayCluster
from tests.reliability.support import CapturedLogs
from tests.waiting import poll

pytestmark = pytest.mark.slow

# Alertmanager backs off between retries (up to a minute); Postgres restarts in a second or two.
RETRY_SECONDS = 90.0


async def test_alerts_during_a_database_outage_are_refused_with_503_and_land_once_when_it_is_back(
    throwaway_cluster: ThrowawayCluster,
    slack: LocalSlack,
    alertmanager_for: AlertmanagerFor,
    captured_logs: CapturedLogs,
) -> None:
    bot = await alerts_bot_on(slack, throwaway_cluster.url).start()
    try:
        manager = await alertmanager_for(bot.url, ALERTS_TOKEN, Intervals(repeat_interval="1s"))
        tally = Tally()
        await throwaway_cluster.stop()

        await manager.fire(
            {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical", "instance": "web-1"},
            {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical", "instance": "web-2"},
        )

        async def refused_twice() -> bool:
            return tally.since("alertmanager", "unavailable") >= 2

        await poll(refused_twice, RETRY_SECONDS, "Alertmanager's notification refused with 503, then retried")
        assert tally.since("alertmanager", "accepted") == 0
        await throwaway_cluster.start()

        async def landed() -> bool:
            return tally.since("alertmanager", "accepted") >= 1

        await poll(landed, RETRY_SECONDS, "Alertmanager's retry taken once Postgres is back")
        recorded = len(await timeline(bot, 1))
        taken = tally.since("alertmanager", "accepted") + tally.since("alertmanager", "duplicate")

        async def resent_since() -> bool:
            return tally.since("alertmanager", "accepted") + tally.since("alertmanager", "duplicate") >= taken + 2

        await poll(resent_since, RETRY_SECONDS, "two more deliveries after the retry landed")
        assert await declared_count(bot) == 1
        fired = await fingerprints(bot, 1, ev.AlertFired)
        assert len(fired) == len(set(fired)) == 2, "one firing event per alert"
        assert len(await timeline(bot, 1)) == recorded, "the resends added nothing"
        await bot.settle()
        assert len(top_level(slack, ALERTS_CHANNEL)) == 1, slack.summary()
        # The dispatcher's sweeps fail loudly while Postgres is away; the receiver only warns.
        receiver_errors = [r for r in captured_logs.errors() if r.name.startswith("bot.receivers")]
        assert receiver_errors == [], captured_logs.describe(receiver_errors)
        assert any("database unavailable while handling an alert" in r.getMessage() for r in captured_logs.records)
    finally:
        await bot.stop()
