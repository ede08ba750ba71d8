"""A database host that goes silent (SPEC §7: Slack gets its answer within 3 s).

A silent host is not a stopped one: it refuses nothing, its sockets stay open and what is sent to it
is never answered. The bot talks to Postgres through a proxy that can go silent like that
(tests/reliability/tcp_proxy.py). When it does, the bot's pool holds both connections that sat idle
(pinged before use) and one used a moment ago (not pinged); requests of every kind arrive together.
One more comes once the commands among them are waiting for the host: it queues behind their
batch (see bot.handler.group_commit), the longest wait there is. Each is answered within 3 s with
"try again", none is stored, and once the host answers again the same bot, not restarted, takes
commands.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from bot.views.listings import UNAVAILABLE_TEXT
from bot.views.modals import declare_modal
from storage.database import PING_AFTER_IDLE_SECONDS
from tests.e2e.harness import BOB, CAROL, CHANNEL, BotUnderTest, Response
from tests.reliability.support import CapturedLogs, figures
from tests.reliability.tcp_proxy import SilenceableProxy
from tests.reliability.test_database_outage import (
    carrying,
    declare_values,
    row_counts,
    try_again_ephemerals,
    wait_for_health,
)
from tests.waiting import poll

pytestmark = pytest.mark.slow

SILENT_MARK = "while-the-host-was-silent"
# Slack's deadline for an answer.
SLACK_DEADLINE_SECONDS = 3.0
# How long the test waits for an answer at all: long enough to tell a late answer from none.
GIVE_UP_SECONDS = 10.0
# When the last request is sent: its batch is waiting for the host by then, and far from done.
QUEUED_AFTER_SECONDS = 0.2


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[SilenceableProxy]:
    server = urlsplit(database_url)
    async with SilenceableProxy(server.hostname or "127.0.0.1", server.port or 5432) as running:
        yield running


async def answered_in(send: Callable[[], Awaitable[Response]], after: float) -> tuple[Response | None, float]:
    """Sent ``after`` seconds from now: the answer and how long it took from then; None if there was
    none within GIVE_UP_SECONDS."""
    await asyncio.sleep(after)
    started = time.monotonic()
    try:
        async with asyncio.timeout(GIVE_UP_SECONDS):
            answer = await send()
    except TimeoutError:
        return None, GIVE_UP_SECONDS
    return answer, time.monotonic() - started


async def test_requests_while_the_database_host_is_silent_are_answered_in_time(
    proxy: SilenceableProxy,
    database_engine: AsyncEngine,
    slack: LocalSlack,
    workspace: str,
    captured_logs: CapturedLogs,
) -> None:
    assert database_engine.url.database is not None
    bot = await BotUnderTest(slack, proxy.url(database_engine.url.database), workspace).start()
    try:
        assert "Declared INC-1" in (await bot.slash("declare Checkout errors sev2")).json()["text"]
        _, mentioned = await bot.mention("search is slow sev3")
        card = copy.deepcopy(await bot.card(1))
        await bot.card(2)
        await bot.settle()
        # Several pooled connections, left idle long enough to be pinged before their next use...
        assert all(r.status == 200 for r in await asyncio.gather(*(bot.slash("list") for _ in range(6))))
        await asyncio.sleep(PING_AFTER_IDLE_SECONDS * 1.5)
        # ...and one used just now, which is not.
        assert (await bot.slash("list")).status == 200
        before = await row_counts(database_engine)

        proxy.silence()
        requests: dict[str, Callable[[], Awaitable[Response]]] = {
            "slash note": lambda: bot.slash(f"note INC-1 {SILENT_MARK}"),
            "slash declare": lambda: bot.slash(f"declare {SILENT_MARK} sev1"),
            "slash list": lambda: bot.slash("list"),
            "mention note": lambda: _first(
                bot.mention(f"note {SILENT_MARK}", user=BOB, thread_ts=mentioned.ts, resend=False)
            ),
            "click ack": lambda: bot.click(card, ids.ACK, user=CAROL),
            "form declare": lambda: bot.submit_view(declare_modal(CHANNEL), declare_values(SILENT_MARK)),
            "slash note, queued": lambda: bot.slash(f"note INC-2 {SILENT_MARK}"),
        }
        delays = [QUEUED_AFTER_SECONDS if kind.endswith("queued") else 0.0 for kind in requests]
        timed = [answered_in(send, after) for send, after in zip(requests.values(), delays, strict=True)]
        answers = dict(zip(requests, await asyncio.gather(*timed), strict=True))
        slowest = max(took for _, took in answers.values())
        late = {kind: round(took, 2) for kind, (_, took) in answers.items() if took > SLACK_DEADLINE_SECONDS}
        assert late == {}, f"answered late or never: {late}"
        # The mention's and the click's authors are told in Slack, beside the HTTP answer.
        told = await poll(
            lambda: _both_told(slack), timeout=SLACK_DEADLINE_SECONDS, what="the mention's and the click's authors"
        )
        stored = await row_counts(database_engine)
        half_stored = await carrying(database_engine, SILENT_MARK)

        proxy.resume()
        recovered_in = await wait_for_health(bot, 200, within=10)
        after = await bot.slash("note INC-1 after the silence")
        figures(
            "silent_database_host",
            requests=len(answers),
            slowest_answer_s=round(slowest, 2),
            answers_s={kind: round(took, 2) for kind, (_, took) in answers.items()},
            half_stored=half_stored,
            healthz_200_after_resume_s=round(recovered_in, 2),
        )
        # A mention's answer is Slack's business (a 200, or a 5xx that has Slack send it again later).
        for kind, (answer, _) in answers.items():
            assert answer is not None
            assert kind == "mention note" or answer.status == 200, (kind, answer)
            assert not kind.startswith("slash") or answer.json()["text"] == UNAVAILABLE_TEXT, (kind, answer)
        form = answers["form declare"][0]
        assert form is not None
        assert form.json() == {"response_action": "errors", "errors": {ids.DECLARE_TITLE_BLOCK: UNAVAILABLE_TEXT}}
        assert told
        assert stored == before
        assert half_stored == 0
        assert "after the silence" in after.json()["text"], after
        receiver_errors = [r for r in captured_logs.errors() if r.name.startswith("bot.receivers")]
        assert receiver_errors == [], captured_logs.describe(receiver_errors)
    finally:
        proxy.resume()  # what still waits on the host gets its answer, and the bot can stop
        await bot.stop()


async def _first(pending: Awaitable[tuple[Response, object]]) -> Response:
    return (await pending)[0]


async def _both_told(slack: LocalSlack) -> bool:
    return bool(slack.ephemerals(BOB)) and bool(try_again_ephemerals(slack, CAROL))
