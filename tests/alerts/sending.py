"""Sending alerts to the bot under test over HTTP, and the bot's own count of what it received
(its firebreak_alerts_received_total series), and the alerts an incident recorded."""

from __future__ import annotations

from collections.abc import AsyncIterable
from datetime import timedelta

import aiohttp
from prometheus_client import REGISTRY

from bot.local_slack import LocalSlack
from bot.runtime.config_file import FirebreakConfig
from domain import events as ev
from domain.alerts import AlertRouting
from tests.alerts.samples import ALERTS_TOKEN, GRAFANA_SECRET
from tests.e2e.card_support import timeline
from tests.e2e.harness import BotUnderTest, Response

ALERTS_CHANNEL = "C0ALERTS"


def alerts_bot_on(slack: LocalSlack, database_url: str) -> BotUnderTest:
    """A bot with every alert source on, declaring in ALERTS_CHANNEL of the local Slack's workspace
    (the one Slack's auth.test names: alerts come from no workspace of their own)."""
    config = FirebreakConfig(tick=timedelta(hours=1), alerts=AlertRouting(channel=ALERTS_CHANNEL))
    return BotUnderTest(
        slack,
        database_url,
        slack.state.team_id,
        config=config,
        alerts_token=ALERTS_TOKEN,
        grafana_webhook_secret=GRAFANA_SECRET,
    )


async def post_alert(
    bot: BotUnderTest, path: str, body: bytes | AsyncIterable[bytes], headers: dict[str, str] | None = None
) -> Response:
    """POST ``body`` (an async iterable is sent chunked, without a Content-Length) to ``path``."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{bot.url}{path}", data=body, headers=all_headers) as response,
    ):
        return Response(response.status, await response.text())


class Tally:
    """firebreak_alerts_received_total in this process (the in-process bot's) when made, to tell
    what came in since."""

    def __init__(self) -> None:
        self._start = _all_received()

    def since(self, source: str, result: str) -> float:
        key = (source, result)
        return _all_received().get(key, 0.0) - self._start.get(key, 0.0)


def _all_received() -> dict[tuple[str, str], float]:
    values: dict[tuple[str, str], float] = {}
    for metric in REGISTRY.collect():
        for sample in metric.samples:
            if sample.name == "firebreak_alerts_received_total":
                values[sample.labels["source"], sample.labels["result"]] = sample.value
    return values


async def fingerprints(bot: BotUnderTest, number: int, kind: type[ev.AlertFired | ev.AlertResolved]) -> list[str]:
    """The fingerprints of INC-``number``'s alert events of ``kind``, oldest first."""
    return [event.fingerprint for event in await timeline(bot, number) if isinstance(event, kind)]
