"""Two ``python -m bot`` processes on one Postgres, both ticking every second: an overdue follow-up
is reminded exactly once (SPEC §10 on §5's rules), whichever replica claimed it, and a follow-up
marked done before it fell due is not reminded at all."""

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
from bot.local_slack.payloads import FORM_TYPE, mention, slash_form
from storage.database import create_engine, database_config
from storage.schema import incident_events, incidents
from tests.e2e.bot_process import BotProcess
from tests.e2e.harness import ALICE, BOB

pytestmark = pytest.mark.slow

INCIDENTS = 6
DUE_SECONDS = 2
RUN_SECONDS = 6  # the due time and several ticks of each replica after it

CONFIG = '[scheduler]\ntick = "1s"\n'


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_config(database_url))
    yield engine
    await engine.dispose()


async def test_two_scheduler_processes_remind_each_overdue_follow_up_once(
    spawn: Callable[..., Awaitable[BotProcess]], slack: LocalSlack, engine: AsyncEngine, tmp_path: Path
) -> None:
    config = tmp_path / "firebreak.toml"
    config.write_text(CONFIG)
    replicas = [await spawn(FIREBREAK_CONFIG=str(config)), await spawn(FIREBREAK_CONFIG=str(config))]
    team = slack.state.team_id
    for i in range(INCIDENTS):
        number, channel = i + 1, f"C0FOLLOW{i}"
        # SEV4: its first SLA clock is hours away, so the only reminders are the follow-ups'.
        envelope, _ = mention(slack.state, team_id=team, user=ALICE, channel=channel, text=f"outage {i} sev4")
        assert (await replicas[i % 2].post_signed(json.dumps(envelope)))[0] == 200
        commands = [f"followup INC-{number} Alert on queue depth <@{BOB}> due {DUE_SECONDS}s"]
        if number == INCIDENTS:
            # Due later than the rest, so it is surely done first; it would still fall due in the run.
            commands = [f"followup INC-{number} Alert on queue depth <@{BOB}> due {2 * DUE_SECONDS}s"]
            commands.append(f"followup INC-{number} done 1")
        for text in commands:
            url = slack.response_url(f"followup-{number}-{len(text)}")
            form = slash_form(slack.state, ALICE, channel, text, response_url=url, team_id=team)
            assert (await replicas[(i + 1) % 2].post_signed(form, FORM_TYPE))[0] == 200
    await asyncio.sleep(RUN_SECONDS)
    for replica in replicas:
        await replica.ensure_stopped()

    async with engine.connect() as connection:
        query = (
            select(incidents.c.number)
            .join(incidents, incidents.c.id == incident_events.c.incident_id)
            .where(incident_events.c.type == "followup_reminded")
        )
        reminded = Counter(row.number for row in await connection.execute(query))
    posted = Counter(
        call.args.get("channel")
        for call in slack.calls_to("chat.postMessage")
        if call.ok and "Follow-up #1 of INC-" in str(call.args.get("text")) and f"<@{BOB}>" in str(call.args)
    )
    open_ones = range(1, INCIDENTS)  # the last one was done before it fell due
    assert reminded == Counter(open_ones), reminded
    assert posted == Counter(f"C0FOLLOW{n - 1}" for n in open_ones), posted
