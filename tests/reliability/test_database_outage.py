"""Postgres restarted while commands flow (SPEC §7, §8).

The bot runs against a throwaway Postgres cluster of the test's own. The cluster is stopped with
``pg_ctl stop -m fast``; every slash command, click and modal submission sent meanwhile gets a 200
and a clear "try again in a moment" for its author, and none is half-applied (no event, no outbox
row, no idempotency key). A mention is an event, which Slack sends again unless it got a 200: it
gets a 503, its author hears that Slack will resend it, and once the database is back the resend is
applied, once. ``/healthz`` says 503. Once the cluster is back the
same bot, not restarted, takes commands again (``pool_pre_ping`` replaces the dead connections), and
every incident's state equals the replay of its events.
"""

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Table, Text, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.local_slack import LocalSlack
from bot.local_slack.payloads import mention_event
from bot.receivers.slack.replies import SLACK_LAST_RETRY
from bot.views import action_ids as ids
from bot.views.listings import RESENT_LATER_TEXT, UNAVAILABLE_TEXT
from bot.views.modals import declare_modal, resolve_modal
from domain import events as ev
from domain.evolve import replay
from domain.incident import IncidentRef, Undeclared
from domain.lifecycle import Status
from domain.severity import Severity
from storage.schema import incident_events, incidents, outbox, processed_requests
from tests.e2e.card_support import declared_count
from tests.e2e.harness import ALICE, BOB, CHANNEL, BotUnderTest, Response
from tests.reliability.cluster import ThrowawayCluster
from tests.reliability.support import CapturedLogs, figures

pytestmark = pytest.mark.slow

OUTAGE_MARK = "during-the-outage"
# The dispatcher's lease (60 s) plus room: how long a delivery cut off by the outage may wait.
DRAIN_SECONDS = 90.0


@dataclass
class Tally:
    sent: int = 0
    applied: int = 0
    refused_try_again: int = 0
    lost: int = 0
    half_applied: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.sent += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:

        async def count(table: Table) -> int:
            return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())

        return {
            "incidents": await count(incidents),
            "events": await count(incident_events),
            "outbox": await count(outbox),
            "processed_requests": await count(processed_requests),
        }


async def carrying(engine: AsyncEngine, text: str) -> int:
    """How many stored events or outbox payloads carry ``text`` (the outage commands' marker)."""
    async with engine.connect() as connection:
        stored = incident_events.c.payload.cast(Text).contains(text)
        queued = outbox.c.payload.cast(Text).contains(text)
        in_events = select(func.count()).select_from(incident_events).where(stored)
        in_outbox = select(func.count()).select_from(outbox).where(queued)
        return int((await connection.execute(in_events)).scalar_one()) + int(
            (await connection.execute(in_outbox)).scalar_one()
        )


async def health(bot: BotUnderTest) -> int:
    return (await bot.get("/healthz")).status


async def wait_for_health(bot: BotUnderTest, status: int, within: float) -> float:
    started = time.monotonic()
    while (current := await health(bot)) != status:
        if time.monotonic() - started > within:
            raise AssertionError(f"/healthz stayed {current}, not {status}, for {within}s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def drain(bot: BotUnderTest, within: float) -> float:
    started = time.monotonic()
    await bot.settle(within=within)
    return time.monotonic() - started


def try_again_ephemerals(slack: LocalSlack, user: str) -> list[str]:
    return [e.text for e in slack.ephemerals(user) if e.text == UNAVAILABLE_TEXT]


async def assert_state_is_replay(bot: BotUnderTest, numbers: range) -> None:
    for number in numbers:
        stored = await bot.stored(number)
        history = [item.event for item in await bot.firebreak.service.history(stored.id)]
        assert replay(Undeclared(IncidentRef(bot.workspace, number)), history) == stored.incident, f"INC-{number}"


async def test_commands_during_a_postgres_restart_are_refused_cleanly_and_work_again_after(
    throwaway_cluster: ThrowawayCluster, slack: LocalSlack, workspace: str, captured_logs: CapturedLogs
) -> None:
    bot = await BotUnderTest(slack, throwaway_cluster.url, workspace).start()
    tally = Tally()
    try:
        # ---------------------------------------------------------------- before: two incidents
        declared = await bot.slash("declare Checkout errors sev2")
        assert "Declared INC-1" in declared.json()["text"]
        response, mentioned = await bot.mention("search is slow sev3")
        assert response.status == 200
        card = copy.deepcopy(await bot.card(1))
        await bot.card(2)
        await bot.settle()
        assert await health(bot) == 200
        engine = bot.firebreak.engine
        before = await row_counts(engine)

        # ---------------------------------------------------------------- the outage
        await throwaway_cluster.stop(mode="fast")
        outage_started = time.monotonic()
        assert await health(bot) == 503

        slash_texts = [
            f"note INC-1 {OUTAGE_MARK} slash note",
            "ack INC-1",
            f"declare {OUTAGE_MARK} new incident sev1",
            "sev INC-2 1",
            "list",
        ]
        for text in slash_texts:
            tally.count("slash")
            answer = await bot.slash(text, user=ALICE)
            assert answer.status == 200, (text, answer)
            assert answer.json()["text"] == UNAVAILABLE_TEXT, (text, answer.json())
            tally.refused_try_again += 1

        mention_texts: list[tuple[str, str | None]] = [
            (f"note {OUTAGE_MARK} mention note", mentioned.ts),  # in INC-2's thread
            (f"{OUTAGE_MARK} declared by mention sev2", None),  # a new declaration
            ("list", None),
        ]
        outage_mentions: list[tuple[dict[str, object], str]] = []
        for number, (text, thread) in enumerate(mention_texts):
            tally.count("mention")
            event, _ = mention_event(slack.state, user=BOB, channel=CHANNEL, text=text, thread_ts=thread)
            outage_mentions.append((event, f"Ev0OUTAGE{number}"))
            answer = await bot.send_event(event, event_id=f"Ev0OUTAGE{number}")
            assert answer.status == 503, (text, answer)  # not stored: Slack must send it again
        told = [e.text for e in slack.ephemerals(BOB)]
        assert told == [RESENT_LATER_TEXT] * len(mention_texts), slack.summary()
        # Slack's last resend of one of them, and the database is still down: now "try again".
        last_try = await bot.send_event(outage_mentions[0][0], event_id=outage_mentions[0][1], retry=SLACK_LAST_RETRY)
        assert last_try.status == 503
        assert len(try_again_ephemerals(slack, BOB)) == 1, slack.summary()
        tally.refused_try_again += len(mention_texts)

        # The declare form needs no database to open: it opens, and its submission is refused below.
        assert (await bot.slash("", user=ALICE)).text == ""
        assert len(slack.views()) == 1

        clicks: list[tuple[str, dict[str, str]]] = [
            (ids.ACK, {}),
            (ids.SEVERITY, {"option_value": Severity.SEV1.name}),
            (ids.STATUS, {"option_value": Status.IDENTIFIED.value}),
        ]
        carol_before = len(slack.ephemerals("U0CAROL"))
        for action_id, chosen in clicks:
            tally.count("click")
            answer = await bot.click(card, action_id, user="U0CAROL", **chosen)
            assert answer.status == 200, (action_id, answer)
        assert len(try_again_ephemerals(slack, "U0CAROL")) - carol_before == len(clicks), slack.summary()
        tally.refused_try_again += len(clicks)

        submissions = [
            (declare_modal(CHANNEL), declare_values(f"{OUTAGE_MARK} from the form"), ids.DECLARE_TITLE_BLOCK),
            (resolve_modal(IncidentRef(workspace, 1)), resolve_values("fixed"), ids.RESOLVE_SUMMARY_BLOCK),
        ]
        for view, values, block in submissions:
            tally.count("view_submission")
            answer = await bot.submit_view(view, values)
            assert answer.status == 200
            assert answer.json() == {"response_action": "errors", "errors": {block: UNAVAILABLE_TEXT}}
            tally.refused_try_again += 1

        assert await health(bot) == 503
        outage_commands = tally.sent

        # ---------------------------------------------------------------- back again
        await throwaway_cluster.start()
        outage_seconds = time.monotonic() - outage_started
        recovered_in = await wait_for_health(bot, 200, within=10)
        assert await row_counts(engine) == before, "nothing of the outage's commands was recorded"
        tally.half_applied = await carrying(engine, OUTAGE_MARK)
        assert tally.half_applied == 0

        # The same commands, now accepted, by the same bot process.
        after: list[Response] = []
        for text in ("ack INC-1", "note INC-1 after the restart", "sev INC-2 1"):
            tally.count("slash")
            after.append(await bot.slash(text, user=ALICE))
        assert all(r.status == 200 and r.json()["text"] != UNAVAILABLE_TEXT for r in after), after
        tally.count("mention")
        answer, _ = await bot.mention("note after the restart by mention", user=BOB, thread_ts=mentioned.ts)
        assert answer.status == 200
        tally.count("click")
        assert (await bot.click(card, ids.STATUS, user="U0CAROL", option_value=Status.IDENTIFIED.value)).status == 200
        tally.count("view_submission")
        resolved = await bot.submit_view(resolve_modal(IncidentRef(workspace, 2)), resolve_values("index rebuilt"))
        assert resolved.status == 200
        assert resolved.json() is None, resolved
        tally.count("slash")
        declared_after = await bot.slash("declare Payments down sev1")
        assert "Declared INC-3" in declared_after.json()["text"]
        await bot.card(3)
        await bot.settle(within=10)

        first = [item.event for item in await bot.firebreak.service.history((await bot.stored(1)).id)]
        second = [item.event for item in await bot.firebreak.service.history((await bot.stored(2)).id)]
        applied = [
            any(isinstance(e, ev.Acknowledged) for e in first),
            any(isinstance(e, ev.NoteAdded) and e.text == "after the restart" for e in first),
            any(isinstance(e, ev.StatusChanged) and e.current is Status.IDENTIFIED for e in first),
            any(isinstance(e, ev.SeverityChanged) and e.current is Severity.SEV1 for e in second),
            any(isinstance(e, ev.NoteAdded) and e.text == "after the restart by mention" for e in second),
            any(isinstance(e, ev.Resolved) and e.summary == "index rebuilt" for e in second),
            (await bot.incident(3)).title == "Payments down",
        ]
        assert all(applied), applied
        tally.applied = sum(applied)
        tally.lost = len(applied) - tally.applied + (outage_commands - tally.refused_try_again)
        assert (await bot.incident(1)).status is Status.IDENTIFIED
        assert (await bot.incident(2)).status is Status.RESOLVED
        # Slack's resend of the mention that declared during the outage is applied now, once.
        declaration_event, declaration_id = outage_mentions[1]
        for retry in (1, 2):
            resent = await bot.send_event(declaration_event, event_id=declaration_id, retry=retry)
            assert resent.status == 200
        assert (await bot.incident(4)).title == f"{OUTAGE_MARK} declared by mention"
        assert await declared_count(bot) == 4
        await assert_state_is_replay(bot, range(1, 5))
        assert await health(bot) == 200

        # Expected while the database is down: warnings. No receiver logged a traceback.
        receiver_errors = [r for r in captured_logs.errors() if r.name.startswith("bot.receivers")]
        assert receiver_errors == [], captured_logs.describe(receiver_errors)
        unavailable = [r for r in captured_logs.records if "database unavailable" in r.getMessage()]
        assert len(unavailable) >= outage_commands
        dispatcher_errors = [r for r in captured_logs.errors() if r.name.startswith("bot.delivery")]
        figures(
            "postgres_restart",
            sent=tally.sent,
            sent_during_outage=outage_commands,
            refused_try_again=tally.refused_try_again,
            applied_after=tally.applied,
            lost=tally.lost,
            half_applied=tally.half_applied,
            by_kind=tally.kinds,
            outage_s=round(outage_seconds, 2),
            healthz_200_after_restart_s=round(recovered_in, 2),
            dispatcher_error_logs_during_outage=len(dispatcher_errors),
        )
    finally:
        await bot.stop()


def declare_values(title: str) -> dict[str, dict[str, object]]:
    return {
        ids.DECLARE_TITLE_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": title}},
        ids.DECLARE_SEVERITY_BLOCK: {
            ids.INPUT: {"type": "static_select", "selected_option": {"value": Severity.SEV2.name}}
        },
        ids.DECLARE_DESCRIPTION_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": None}},
        ids.DECLARE_SERVICE_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": None}},
    }


def resolve_values(summary: str) -> dict[str, dict[str, object]]:
    return {ids.RESOLVE_SUMMARY_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": summary}}}


async def test_a_stream_of_commands_through_a_postgres_restart_loses_nothing(
    throwaway_cluster: ThrowawayCluster, slack: LocalSlack, workspace: str, captured_logs: CapturedLogs
) -> None:
    """Commands keep arriving while Postgres stops (some mid-transaction) and starts again: each
    is either applied once (and its audit line posted once) or answered "try again"; none is
    acknowledged and then missing, and none is half-applied."""
    bot = await BotUnderTest(slack, throwaway_cluster.url, workspace).start()
    try:
        assert "Declared INC-1" in (await bot.slash("declare Stream target sev2")).json()["text"]
        card = await bot.card(1)
        await bot.settle()
        outcomes: dict[str, str] = {}
        stop_sending = asyncio.Event()

        async def stream() -> None:
            number = 0
            while not stop_sending.is_set():
                number += 1
                note = f"stream-{number:04d}"
                answer = await bot.slash(f"note INC-1 {note}")
                assert answer.status == 200, answer
                text = answer.json()["text"]
                outcomes[note] = "refused" if text == UNAVAILABLE_TEXT else "accepted"
                assert outcomes[note] == "refused" or note in text, text
                await asyncio.sleep(0.01)

        sender = asyncio.create_task(stream())
        await asyncio.sleep(0.5)
        await throwaway_cluster.stop(mode="fast")
        down_at = time.monotonic()
        await asyncio.sleep(2.5)  # long enough for the dispatcher to sweep, and fail, a few times
        await throwaway_cluster.start()
        outage_seconds = time.monotonic() - down_at
        await wait_for_health(bot, 200, within=10)
        await asyncio.sleep(1.0)
        stop_sending.set()
        await sender

        # A row leased to a delivery that the outage interrupted waits out its lease (60 s).
        drained_in = await drain(bot, within=DRAIN_SECONDS)

        stored = await bot.stored(1)
        history = await bot.firebreak.service.history(stored.id)
        notes = [item.event.text for item in history if isinstance(item.event, ev.NoteAdded)]
        accepted = [note for note, outcome in outcomes.items() if outcome == "accepted"]
        refused = [note for note, outcome in outcomes.items() if outcome == "refused"]
        lost = [note for note in accepted if notes.count(note) != 1]
        applied_though_refused = [note for note in refused if note in notes]

        # Every applied note's audit line reached the thread (lines may be merged into one message).
        thread = [m for m in slack.messages(CHANNEL, card.ts) if m.ts != card.ts]
        lines = [line for message in thread for line in message.text.splitlines()]
        posted = {note: sum(line.endswith(f" {note}") for line in lines) for note in notes}
        duplicates = sum(count - 1 for count in posted.values() if count > 1)
        missing = [note for note, count in posted.items() if count == 0]
        receiver_errors = [r for r in captured_logs.errors() if r.name.startswith("bot.receivers")]
        figures(
            "postgres_restart_stream",
            sent=len(outcomes),
            applied=len(notes),
            refused_try_again=len(refused),
            lost=len(lost),
            applied_though_refused=len(applied_though_refused),
            audit_lines_posted=sum(posted.values()),
            audit_lines_missing=len(missing),
            audit_line_duplicates=duplicates,
            outage_s=round(outage_seconds, 2),
            outbox_drained_after_restart_s=round(drained_in, 1),
            dispatcher_error_logs=len([r for r in captured_logs.errors() if r.name.startswith("bot.delivery")]),
        )
        assert len(notes) == len(set(notes)), "no note applied twice"
        assert lost == []
        assert refused, "some commands arrived while the database was down"
        assert applied_though_refused == [], applied_though_refused
        assert missing == []
        await assert_state_is_replay(bot, range(1, 2))
        assert receiver_errors == [], captured_logs.describe(receiver_errors)
        # Duplicates are counted above, not asserted: see the test below.
    finally:
        await bot.stop()


async def test_a_message_slack_took_while_postgres_was_down_is_not_sent_again(
    throwaway_cluster: ThrowawayCluster, slack: LocalSlack, workspace: str
) -> None:
    bot = await BotUnderTest(slack, throwaway_cluster.url, workspace).start()
    try:
        assert "Declared INC-1" in (await bot.slash("declare In-flight target sev2")).json()["text"]
        card = await bot.card(1)
        await bot.settle()
        # Slack takes the next message, but answers only after Postgres has gone away.
        slack.hang("chat.postMessage", seconds=2.0, times=1, process=True)
        assert "in-flight-note" in (await bot.slash("note INC-1 in-flight-note")).json()["text"]
        await asyncio.sleep(0.3)  # the dispatcher has claimed the row and is waiting on Slack
        await throwaway_cluster.stop(mode="fast")
        await asyncio.sleep(2.5)
        await throwaway_cluster.start()
        await wait_for_health(bot, 200, within=10)
        drained_in = await drain(bot, within=DRAIN_SECONDS)

        thread = [m for m in slack.messages(CHANNEL, card.ts) if m.ts != card.ts]
        posted = sum(line.endswith(" in-flight-note") for m in thread for line in m.text.splitlines())
        figures("postgres_down_during_a_send", posted=posted, duplicates=posted - 1, drained_s=round(drained_in, 1))
        assert posted == 1
    finally:
        await bot.stop()
