"""Hostile and malformed input at every entry point, correctly signed, over HTTP to the real app.

Property: whatever arrives (missing or wrong-typed fields, huge or empty strings, unicode, control
characters, markup), the bot answers below 500, logs no error, and a request it refuses changes no
incident. Afterwards every message queued was accepted by (the fake) Slack, no message carries a
broadcast or a link someone typed, and every incident's state equals the replay of its events.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.commands.grammar import Parsed, ParseError, parse
from bot.local_slack import LocalSlack
from bot.local_slack.payloads import FORM_TYPE, JSON_TYPE, interaction_form
from bot.views.listings import error_text
from domain.evolve import replay
from domain.incident import Undeclared
from storage.schema import incident_events, incidents, outbox
from tests.e2e.harness import CHANNEL, BotUnderTest, Response
from tests.reliability.fuzzing import (
    EXAMPLES,
    HOSTILE_TEXT,
    block_actions,
    command_text,
    event_envelopes,
    run_examples,
    slash_bodies,
    view_submissions,
)
from tests.reliability.support import CapturedLogs, figures, live_markup

pytestmark = pytest.mark.slow

REFUSAL = "⚠️"
# The pings the bot writes itself: the people who act (whose ids fuzzing varies) and channels.
# Whether text someone typed can pass for one of these is the business of test_mention_injection.
BOT_MARKUP = [re.compile(r"<@[UW][A-Z0-9]+>"), re.compile(r"<#[CGD][A-Z0-9]+>")]


@dataclass(frozen=True)
class Snapshot:
    incidents: int
    events: int
    last_outbox_id: int


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    applied: int = 0
    refused: int = 0
    rejected: int = 0
    unchanged: int = 0

    def record(self, status: int, before: Snapshot, after: Snapshot, refused: bool) -> None:
        self.statuses[status] += 1
        if status != 200:
            self.rejected += 1
        elif refused:
            self.refused += 1
        elif after.events > before.events:
            self.applied += 1
        else:
            self.unchanged += 1

    def figures(self, entry_point: str, examples: int, errors: int) -> None:
        figures(
            f"fuzz_{entry_point}",
            examples=examples,
            statuses={str(k): v for k, v in sorted(self.statuses.items())},
            applied=self.applied,
            refused=self.refused,
            rejected_4xx=self.rejected,
            unchanged=self.unchanged,
            server_errors=sum(v for k, v in self.statuses.items() if k >= 500),
            error_logs=errors,
        )


# Written later, by the dispatcher, for an earlier request (a stakeholder update being drafted):
# what one request did is told apart from these.
BACKGROUND_EVENTS = ["ai_draft_created"]
BACKGROUND_KINDS = {"slack.thread_message"}


async def snapshot(bot: BotUnderTest) -> Snapshot:
    async with bot.observer.connect() as connection:
        count_incidents = select(func.count()).select_from(incidents)
        count_events = select(func.count()).where(incident_events.c.type.not_in(BACKGROUND_EVENTS))
        last_outbox = select(func.coalesce(func.max(outbox.c.id), 0))
        return Snapshot(
            int((await connection.execute(count_incidents)).scalar_one()),
            int((await connection.execute(count_events)).scalar_one()),
            int((await connection.execute(last_outbox)).scalar_one()),
        )


async def queued_since(bot: BotUnderTest, last_id: int) -> list[Any]:
    async with bot.observer.connect() as connection:
        query = select(outbox.c.kind, outbox.c.payload).where(outbox.c.id > last_id)
        return list((await connection.execute(query)).mappings())


def refused_in_outbox(rows: list[Any]) -> bool:
    return any(row["kind"] == "slack.ephemeral" and str(row["payload"]["text"]).startswith(REFUSAL) for row in rows)


async def exchange(bot: BotUnderTest, tally: Tally, body: str, content_type: str, kind: str) -> Response:
    """Send one signed request; check the answer and that a refusal changed no incident."""
    before = await snapshot(bot)
    response = await bot.post(body, content_type)
    assert response.status < 500, (response, body[:500])
    after = await snapshot(bot)
    if response.status != 200:
        # Refused at the door (unparseable, unhandled): nothing at all happened.
        queued = [row["kind"] for row in await queued_since(bot, before.last_outbox_id)]
        assert [kind for kind in queued if kind not in BACKGROUND_KINDS] == [], (response, body[:500])
        assert (after.incidents, after.events) == (before.incidents, before.events), (response, body[:500])
        tally.record(response.status, before, after, refused=True)
        return response
    if kind == "slash":
        refused = answer_text(response).startswith(REFUSAL)
    elif kind == "view":
        refused = response.text.startswith("{") and response.json().get("response_action") == "errors"
    else:
        refused = refused_in_outbox(await queued_since(bot, before.last_outbox_id))
    if refused:
        assert (after.incidents, after.events) == (before.incidents, before.events), (response, body[:500])
    tally.record(response.status, before, after, refused=refused)
    return response


def answer_text(response: Response) -> str:
    """A slash command's ephemeral answer: JSON with ``text``, or (an ack with text only) plain text."""
    if response.text.startswith("{"):
        return str(response.json().get("text", ""))
    return response.text


async def check_aftermath(bot: BotUnderTest, slack: LocalSlack, logs: CapturedLogs) -> int:
    """What must hold once the examples ran; returns the number of error logs (0)."""
    # Refusals queue a reply each, and delivery keeps to Slack's pace per channel.
    await bot.settle(within=30 + EXAMPLES / 5)
    async with bot.observer.connect() as connection:
        failed = (await connection.execute(select(outbox).where(outbox.c.failed_at.is_not(None)))).mappings().all()
        workspaces = (await connection.execute(select(incidents.c.workspace_id, incidents.c.number))).all()
    refused_by_slack = [
        (row["kind"], row["last_error"], str(row["payload"])[:300])
        for row in failed
        if not addressed_to_a_stranger(row["payload"], row["last_error"])
    ]
    assert refused_by_slack == [], "every message the bot queued was accepted by Slack"
    for workspace, number in workspaces:
        bot.workspace, home = workspace, bot.workspace
        try:
            stored = await bot.stored(number)
        finally:
            bot.workspace = home
        history = [item.event for item in await bot.firebreak.service.history(stored.id)]
        assert replay(Undeclared(stored.incident.ref), history) == stored.incident
    for call in slack.calls:
        assert live_markup(call.args, BOT_MARKUP) == [], (call.method, live_markup(call.args, BOT_MARKUP))
    errors = [r for r in logs.errors() if not addressed_to_a_stranger({}, str(getattr(r, "error", "")))]
    assert errors == [], logs.describe(errors) + "\n" + "\n".join(logs.text().splitlines()[-60:])
    return len(errors)


def addressed_to_a_stranger(payload: dict[str, Any], error: str | None) -> bool:
    """A reply to a user id no one has (fuzzing makes them up): Slack refuses it, rightly, and the
    refusal is final. Anything else Slack refused is a message the bot should not have made."""
    known = {"U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"}
    return str(error).endswith("user_not_found") and payload.get("user") not in known


async def declared_card(bot: BotUnderTest) -> str:
    response = await bot.slash("declare Fuzz target sev3")
    assert response.status == 200
    card = await bot.card(1)
    await bot.settle()
    return card.ts


# ---------------------------------------------------------------------- the entry points
async def test_events_api(bot: BotUnderTest, slack: LocalSlack, captured_logs: CapturedLogs) -> None:
    card_ts = await declared_card(bot)
    _, mentioned = await bot.mention("fuzzed thread sev4")
    await bot.settle()
    tally = Tally()

    async def check(envelope: dict[str, Any]) -> None:
        await exchange(bot, tally, json.dumps(envelope), JSON_TYPE, "event")

    strategy = event_envelopes(bot.workspace, CHANNEL, [card_ts, mentioned.ts])
    await asyncio.to_thread(run_examples, asyncio.get_running_loop(), strategy, check)
    tally.figures("events", sum(tally.statuses.values()), await check_aftermath(bot, slack, captured_logs))


async def test_slash_commands(bot: BotUnderTest, slack: LocalSlack, captured_logs: CapturedLogs) -> None:
    await declared_card(bot)
    tally = Tally()

    async def check(body: str) -> None:
        await exchange(bot, tally, body, FORM_TYPE, "slash")

    strategy = slash_bodies(bot.workspace, CHANNEL, slack.response_url("fuzz"))
    await asyncio.to_thread(run_examples, asyncio.get_running_loop(), strategy, check)
    tally.figures("slash_commands", sum(tally.statuses.values()), await check_aftermath(bot, slack, captured_logs))


async def test_block_actions(bot: BotUnderTest, slack: LocalSlack, captured_logs: CapturedLogs) -> None:
    card_ts = await declared_card(bot)
    tally = Tally()

    async def check(payload: dict[str, Any]) -> None:
        await exchange(bot, tally, interaction_form(payload), FORM_TYPE, "action")

    strategy = block_actions(bot.workspace, CHANNEL, card_ts, slack.response_url("fuzz"))
    await asyncio.to_thread(run_examples, asyncio.get_running_loop(), strategy, check)
    tally.figures("block_actions", sum(tally.statuses.values()), await check_aftermath(bot, slack, captured_logs))


async def test_view_submissions(bot: BotUnderTest, slack: LocalSlack, captured_logs: CapturedLogs) -> None:
    await declared_card(bot)
    tally = Tally()

    async def check(payload: dict[str, Any]) -> None:
        await exchange(bot, tally, interaction_form(payload), FORM_TYPE, "view")

    strategy = view_submissions(bot.workspace, CHANNEL)
    await asyncio.to_thread(run_examples, asyncio.get_running_loop(), strategy, check)
    tally.figures("view_submissions", sum(tally.statuses.values()), await check_aftermath(bot, slack, captured_logs))


async def test_raw_bodies(bot: BotUnderTest, slack: LocalSlack, captured_logs: CapturedLogs) -> None:
    """Not even a Slack payload: bodies of any shape, signed, under either content type."""
    tally = Tally()
    shapes = st.one_of(
        st.text(max_size=300),
        st.sampled_from(["{", "[]", "null", "1", '"x"', "{}", "payload=", "payload=%7B", "payload=[]", "payload=1"]),
        st.sampled_from(['payload={"type":"block_actions"}', 'payload={"type":"view_submission","view":1}']),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
            lambda inner: st.one_of(
                st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
            ),
            max_leaves=10,
        ).map(json.dumps),
        HOSTILE_TEXT,
    )

    async def check(sample: tuple[str, str]) -> None:
        body, content_type = sample
        await exchange(bot, tally, body, content_type, "raw")

    # A str body must be valid UTF-8 to be sent; invalid bytes are test_signatures_and_loops' business.
    sendable = shapes.map(lambda body: body.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
    strategy = st.tuples(sendable, st.sampled_from([JSON_TYPE, FORM_TYPE, "text/plain"]))
    await asyncio.to_thread(run_examples, asyncio.get_running_loop(), strategy, check)
    tally.figures("raw_bodies", sum(tally.statuses.values()), await check_aftermath(bot, slack, captured_logs))


# ---------------------------------------------------------------------- the command parser
@settings(max_examples=500, deadline=None, database=None)
@given(command_text(), st.booleans(), st.booleans())
def test_the_parser_reads_anything_and_its_errors_echo_nothing_live(text: str, slash: bool, in_thread: bool) -> None:
    try:
        parsed = parse(text, slash=slash, in_incident_thread=in_thread)
    except ParseError as error:
        shown = error_text(error.plain_message, error.plain_usage)
        assert "<" not in shown, shown  # everything the person typed is escaped
        assert not re.search(r"@(?:channel|here|everyone)\b", shown), shown
        assert len(shown) <= 3000
        return
    assert isinstance(parsed, Parsed)
    assert parsed.number is None or 0 < parsed.number < 10**9
    if parsed.user_id is not None:
        assert re.fullmatch(r"[UW][A-Z0-9]{1,31}", parsed.user_id), parsed.user_id
