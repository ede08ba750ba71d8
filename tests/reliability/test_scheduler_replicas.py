"""Two ``python -m bot`` processes on one Postgres, both ticking every second on short SLA windows:
each reminder reaches Slack exactly once per due time (SPEC §5), whichever replica claimed it."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.local_slack import LocalSlack
from bot.local_slack.payloads import mention
from storage.database import create_engine, database_config
from storage.schema import incident_events, incidents
from tests.e2e.bot_process import BotProcess
from tests.e2e.harness import ALICE
from tests.reliability.support import figures

pytestmark = pytest.mark.slow

INCIDENTS = 6
ACK_WINDOW_SECONDS = 3
RUN_SECONDS = 8  # two ack windows and more, each replica ticking every second

CONFIG = f"""
[scheduler]
tick = "1s"

[sla.sev1]
ack = "{ACK_WINDOW_SECONDS}s"
update = "1h"
resolve = "4h"
"""


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_config(database_url))
    yield engine
    await engine.dispose()


async def test_two_scheduler_processes_remind_once_per_due_time(
    spawn: Callable[..., Awaitable[BotProcess]], slack: LocalSlack, engine: AsyncEngine, tmp_path: Path
) -> None:
    config = tmp_path / "firebreak.toml"
    config.write_text(CONFIG)
    replicas = [await spawn(FIREBREAK_CONFIG=str(config)), await spawn(FIREBREAK_CONFIG=str(config))]
    for i in range(INCIDENTS):
        # One channel each: Slack paces every channel to about a message a second.
        envelope, _ = mention(
            slack.state, team_id=slack.state.team_id, user=ALICE, channel=f"C0REMIND{i}", text=f"outage {i} sev1"
        )
        status, _ = await replicas[i % 2].post_signed(json.dumps(envelope))
        assert status == 200
    await asyncio.sleep(RUN_SECONDS)
    for replica in replicas:
        await replica.ensure_stopped()

    async with engine.connect() as connection:
        query = (
            select(incidents.c.number, incident_events.c.payload)
            .join(incidents, incidents.c.id == incident_events.c.incident_id)
            .where(incident_events.c.type == "sla_breached")
        )
        breaches = [(row.number, row.payload["due_at"]) for row in await connection.execute(query)]
    reminders = [
        call.args.get("channel")
        for call in slack.calls_to("chat.postMessage")
        if call.ok and "is not acknowledged yet" in str(call.args.get("blocks"))
    ]
    per_incident = Counter(number for number, _ in breaches)
    figures(
        "two_scheduler_processes",
        incidents=INCIDENTS,
        breaches_recorded=len(breaches),
        reminders_posted=len(reminders),
        duplicate_due_times=len(breaches) - len(set(breaches)),
    )
    assert len(set(breaches)) == len(breaches), "a due time was recorded twice"
    assert sorted(per_incident) == list(range(1, INCIDENTS + 1)), "every incident was reminded"
    assert all(count >= 2 for count in per_incident.values()), f"repeated each ack window: {per_incident}"
    assert len(reminders) == len(breaches), "each recorded breach reached Slack exactly once"
    assert Counter(reminders) == Counter(f"C0REMIND{n - 1}" for n, _ in breaches)
