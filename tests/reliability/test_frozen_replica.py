"""A replica frozen in the middle of a transaction (SPEC §7: several replicas on one Postgres; Slack
gets its answer within 3 s).

Replica 1 is stopped with SIGSTOP while its transaction holds INC-1's row lock: Postgres sees its
session "idle in transaction", and anything else that wants INC-1 must wait for it. On replica 0 a
note on INC-1 is refused within 3 s, with a try-again that names INC-1, and a note on INC-2 sent
while that one waits goes through within 3 s: one locked incident holds up no other. Postgres ends
the frozen session after ``idle_in_transaction_session_timeout``, rolling its note back, and INC-1
takes notes again; resumed, replica 1 answers its request, having stored nothing.

The notes name their incident: a command made by its thread alone also locks the channel's other
open incidents (it may have to choose among them), and both incidents here share a channel.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Select, Text, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable

from bot.local_slack import LocalSlack
from bot.local_slack.payloads import mention, new_event_id
from bot.receivers.slack.fields import request_key
from storage.idempotency import ProcessedRequests
from storage.schema import incident_events, processed_requests
from tests.e2e.bot_process import BotProcess
from tests.e2e.harness import ALICE, BOB, CAROL, CHANNEL
from tests.reliability.support import figures
from tests.reliability.test_database_outage import carrying
from tests.reliability.test_replicas import say
from tests.storage.group_commit_support import waited_for
from tests.waiting import poll

pytestmark = pytest.mark.slow

SLACK_DEADLINE_SECONDS = 3.0
# How long the test waits for an answer at all: long enough to tell a late answer from none.
GIVE_UP_SECONDS = 10.0
# The session bound that ends the frozen transaction (see storage.database), with room.
FROZEN_SESSION_ENDS_WITHIN = 15.0
DAVE = "U0DAVE"
BUSY = "INC-1 is being changed by another request that has not finished; nothing was changed"

_IDLE_IN_TRANSACTION = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'"
)
_WAITING_FOR_A_LOCK = text("SELECT count(*) FROM pg_locks WHERE NOT granted")


async def note(
    replica: BotProcess, slack: LocalSlack, number: int, text: str, *, thread_ts: str, user: str, event_id: str = ""
) -> tuple[int | None, float]:
    """``@firebreak note INC-<number> <text>`` in the incident's thread, through ``replica``: its
    HTTP status and how long the answer took; None if there was none within GIVE_UP_SECONDS."""
    envelope, _ = mention(
        slack.state,
        team_id=slack.state.team_id,
        user=user,
        channel=CHANNEL,
        text=f"note INC-{number} {text}",
        thread_ts=thread_ts,
        event_id=event_id or None,
    )
    started = time.monotonic()
    try:
        async with asyncio.timeout(GIVE_UP_SECONDS):
            status, _ = await replica.post_signed(json.dumps(envelope))
    except TimeoutError:
        return None, GIVE_UP_SECONDS
    return status, time.monotonic() - started


async def count(engine: AsyncEngine, query: Executable) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


def notes_with(text_: str) -> Select[int]:
    return select(func.count()).where(incident_events.c.payload.cast(Text).contains(text_))


async def test_a_frozen_replica_holding_an_incident_delays_nobody_past_slacks_deadline(
    slack: LocalSlack, database_engine: AsyncEngine, spawn: Callable[[], Awaitable[BotProcess]]
) -> None:
    healthy, frozen = await spawn(), await spawn()
    first_home = await say(healthy, slack, "checkout is failing sev1")
    second_home = await say(healthy, slack, "search is slow sev3")

    # Replica 1 notes INC-1: its transaction locks INC-1, then waits for a request key this test
    # holds; there it is frozen, and the key let go, so its session sits idle in its transaction.
    event_id = new_event_id()
    async with database_engine.connect() as holder:
        await holder.begin()
        assert await ProcessedRequests(holder).claim(request_key("event", event_id), datetime.now(UTC))
        frozen_answer = asyncio.ensure_future(
            note(frozen, slack, 1, "frozen-note", thread_ts=first_home, user=CAROL, event_id=event_id)
        )
        await waited_for(holder)
        frozen.process.send_signal(signal.SIGSTOP)
        frozen_at = time.monotonic()
        await holder.rollback()
    await poll(
        lambda: count(database_engine, _IDLE_IN_TRANSACTION), timeout=5, what="the frozen transaction to go idle"
    )

    # On replica 0: a note on INC-1; once it waits, a note on INC-2 and another on INC-1, which queue
    # behind it and then share a batch that waits too (the longest wait there is).
    locked = asyncio.ensure_future(note(healthy, slack, 1, "refused-note", thread_ts=first_home, user=ALICE))
    await poll(
        lambda: _waiting_or_answered(database_engine, locked), timeout=5, what="the note on INC-1 to wait for it"
    )
    free, queued = await asyncio.gather(
        note(healthy, slack, 2, "free-note", thread_ts=second_home, user=BOB),
        note(healthy, slack, 1, "refused-note", thread_ts=first_home, user=DAVE),
    )
    answers = {"on INC-1": await locked, "on INC-2, queued": free, "on INC-1, queued": queued}
    late = {what: round(took, 2) for what, (_, took) in answers.items() if took > SLACK_DEADLINE_SECONDS}
    assert late == {}, f"notes answered late or never: {late}"
    assert [status for status, _ in answers.values()] == [200, 200, 200]
    busy_told = await poll(lambda: _told(slack, BUSY), timeout=SLACK_DEADLINE_SECONDS, what="the refused to be told")
    assert await count(database_engine, notes_with("free-note")) == 1

    # Postgres ends the frozen session; INC-1 takes notes again.
    await poll(
        lambda: _zero(count(database_engine, _IDLE_IN_TRANSACTION)),
        timeout=FROZEN_SESSION_ENDS_WITHIN,
        what="Postgres to end the frozen session",
    )
    released_after = time.monotonic() - frozen_at
    again = await note(healthy, slack, 1, "after-the-release", thread_ts=first_home, user=ALICE)
    assert again[0] == 200
    assert await count(database_engine, notes_with("after-the-release")) == 1

    # Resumed, the frozen replica answers its request; of it, and of the refused note, nothing is stored.
    frozen.process.send_signal(signal.SIGCONT)
    async with asyncio.timeout(GIVE_UP_SECONDS):
        frozen_status, _ = await frozen_answer
    stored_keys = select(func.count()).where(processed_requests.c.key == request_key("event", event_id))
    half_stored = await carrying(database_engine, "frozen-note") + await carrying(database_engine, "refused-note")
    tracebacks = [entry for entry in healthy.json_logs() if "exception" in entry]
    figures(
        "frozen_replica_holding_a_lock",
        notes_answered_s={what: round(took, 2) for what, (_, took) in answers.items()},
        locked_incident_released_after_s=round(released_after, 1),
        frozen_replica_answered=frozen_status,
        half_stored=half_stored + await count(database_engine, stored_keys),
        tracebacks_on_the_healthy_replica=len(tracebacks),
    )
    assert busy_told
    assert frozen_status in (200, 503)  # a 503 asks Slack to send the event again, later: it was not recorded
    assert half_stored == 0
    assert await count(database_engine, stored_keys) == 0
    assert tracebacks == [], tracebacks
    assert await healthy.signal(signal.SIGTERM) == 0, healthy.output()


async def _told(slack: LocalSlack, text_: str) -> bool:
    """Whether both authors of a note on INC-1 were told ``text_``."""
    return all(any(text_ in e.text for e in slack.ephemerals(user)) for user in (ALICE, DAVE))


async def _waiting_or_answered(engine: AsyncEngine, request: asyncio.Future[tuple[int | None, float]]) -> bool:
    """Whether a request waits for a lock (it does for lock_timeout, and is looked for far more
    often than that; if the test was kept from looking meanwhile, it has been answered)."""
    return request.done() or await count(engine, _WAITING_FOR_A_LOCK) > 0


async def _zero(pending: Awaitable[int]) -> bool:
    return await pending == 0
