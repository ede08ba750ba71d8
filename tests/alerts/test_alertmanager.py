"""A real Alertmanager, configured with the README's receiver (docs/alertmanager.yml), delivering to
the running bot: alerts fired and resolved through its API become incidents grouped as SPEC §11
says, resends and an HA pair's twin deliveries change nothing, and when every alert has resolved
the thread asks a person once whether to resolve; the bot never resolves by itself."""

from __future__ import annotations

import pytest

from bot.views import action_ids as ids
from domain import events as ev
from domain.lifecycle import Status
from tests.alerts.alertmanager import Alertmanager, AlertmanagerFor, Intervals
from tests.alerts.samples import ALERTS_TOKEN
from tests.alerts.sending import ALERTS_CHANNEL, Tally, fingerprints
from tests.builders import card_field, controls
from tests.e2e.card_support import declared_count, thread_replies, timeline, top_level
from tests.e2e.harness import BotUnderTest
from tests.waiting import poll

pytestmark = pytest.mark.slow

DELIVERY_SECONDS = 30.0


def checkout(alertname: str, instance: str) -> dict[str, str]:
    return {"alertname": alertname, "service": "checkout", "severity": "critical", "instance": instance}


async def fired_on(bot: BotUnderTest, number: int, count: int) -> bool:
    return await declared_count(bot) >= number and len(await fingerprints(bot, number, ev.AlertFired)) >= count


async def test_alerts_become_one_incident_per_group_and_service_and_a_person_is_asked_to_resolve(
    alerts_bot: BotUnderTest, alertmanager_for: AlertmanagerFor
) -> None:
    manager: Alertmanager = await alertmanager_for(alerts_bot.url, ALERTS_TOKEN)
    errors = [checkout("HighErrorRate", f"web-{n}") for n in range(3)]

    await manager.fire(*errors)
    await poll(lambda: fired_on(alerts_bot, 1, 3), DELIVERY_SECONDS, "INC-1 with the group's three alerts")
    # Another group (another alertname) of the same service, within [alerts] window: the same incident.
    await manager.fire(checkout("DiskFull", "db-1"))
    await poll(lambda: fired_on(alerts_bot, 1, 4), DELIVERY_SECONDS, "INC-1 absorbing DiskFull")
    # Another service: an incident of its own.
    await manager.fire({"alertname": "HighErrorRate", "service": "search", "severity": "warning"})
    await poll(lambda: fired_on(alerts_bot, 2, 1), DELIVERY_SECONDS, "INC-2 for search")

    first, second = await alerts_bot.incident(1), await alerts_bot.incident(2)
    assert (first.service, second.service) == ("checkout", "search")
    assert [incident.severity.label for incident in (first, second)] == ["SEV1", "SEV3"]
    await alerts_bot.settle()
    cards = top_level(alerts_bot.slack, ALERTS_CHANNEL)
    assert len(cards) == 2, alerts_bot.slack.summary()
    card = await alerts_bot.card(1)
    assert card_field(card, "Alerts") == "4 firing · 0 resolved"

    await manager.resolve(*errors, checkout("DiskFull", "db-1"))

    async def nudged() -> list[str]:
        await alerts_bot.settle()
        return [m.text for m in thread_replies(alerts_bot.slack, card) if m.text.startswith("All alerts resolved")]

    assert await poll(nudged, DELIVERY_SECONDS, "the all-resolved question in INC-1's thread") == [
        "All alerts resolved — resolve INC-1?"
    ]
    nudge = next(m for m in thread_replies(alerts_bot.slack, card) if m.text.startswith("All alerts resolved"))
    assert ids.RESOLVE in controls(nudge)
    assert card_field(await alerts_bot.card(1), "Alerts") == "0 firing · 4 resolved"
    assert (await alerts_bot.incident(1)).status is not Status.RESOLVED, "people resolve; the bot only asks"
    assert (await alerts_bot.incident(2)).status is not Status.RESOLVED


async def test_resends_and_an_ha_pairs_twin_deliveries_change_nothing(
    alerts_bot: BotUnderTest, alertmanager_for: AlertmanagerFor
) -> None:
    """Two Alertmanagers, not clustered, both fed the same alerts (as Prometheus feeds an HA pair):
    both deliver, each resends every second, and the bodies differ (each its own externalURL)."""
    tally = Tally()
    resending = Intervals(repeat_interval="1s")
    pair = [await alertmanager_for(alerts_bot.url, ALERTS_TOKEN, resending) for _ in range(2)]
    alerts = [checkout("HighErrorRate", f"web-{n}") for n in range(2)]

    for manager in pair:
        await manager.fire(*alerts)

    await poll(lambda: fired_on(alerts_bot, 1, 2), DELIVERY_SECONDS, "INC-1 with both alerts")
    recorded = len(await timeline(alerts_bot, 1))
    landed = tally.since("alertmanager", "accepted") + tally.since("alertmanager", "duplicate")

    async def delivered_again() -> bool:
        taken = tally.since("alertmanager", "accepted") + tally.since("alertmanager", "duplicate")
        return taken >= landed + 4

    await poll(delivered_again, DELIVERY_SECONDS, "four more deliveries from the pair")
    assert await declared_count(alerts_bot) == 1
    assert len(await fingerprints(alerts_bot, 1, ev.AlertFired)) == 2, "one firing event per alert"
    assert len(await timeline(alerts_bot, 1)) == recorded
    assert tally.since("alertmanager", "unavailable") == 0
