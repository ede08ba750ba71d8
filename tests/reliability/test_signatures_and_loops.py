"""What tests/e2e/test_request_security.py leaves out: the modal-submission path, bodies that are
not Slack payloads, a replay (inside and outside Slack's five minutes), and the bot's own messages
and other bots' (ignored: answering them could start a loop)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.local_slack import LocalSlack
from bot.local_slack.payloads import (
    FORM_TYPE,
    JSON_TYPE,
    event_envelope,
    interaction_form,
    view_submission,
)
from bot.local_slack.signing import signature_headers
from bot.views import action_ids as ids
from bot.views.modals import declare_modal
from storage.schema import incident_events, incidents, outbox, processed_requests
from tests.e2e.harness import ALICE, CHANNEL, SIGNING_SECRET, BotUnderTest
from tests.reliability.support import CapturedLogs, figures

pytestmark = pytest.mark.slow

SIX_MINUTES = 6 * 60


async def totals(bot: BotUnderTest) -> dict[str, int]:
    async with bot.observer.connect() as connection:
        counts = {}
        for name, table in (
            ("incidents", incidents),
            ("events", incident_events),
            ("outbox", outbox),
            ("keys", processed_requests),
        ):
            counts[name] = int((await connection.execute(select(func.count()).select_from(table))).scalar_one())
        return counts


def declare_submission(bot: BotUnderTest, title: str, view_id: str) -> str:
    values: dict[str, dict[str, Any]] = {
        ids.DECLARE_TITLE_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": title}},
        ids.DECLARE_SEVERITY_BLOCK: {ids.INPUT: {"selected_option": {"value": "SEV2"}}},
    }
    return interaction_form(
        view_submission(bot.slack.state, ALICE, declare_modal(CHANNEL), values, team_id=bot.workspace, view_id=view_id)
    )


def forged(body: str) -> dict[str, str]:
    return signature_headers("not-the-signing-secret", body)


def stale(body: str) -> dict[str, str]:
    return signature_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - SIX_MINUTES)


async def test_a_forged_or_stale_modal_submission_is_refused(bot: BotUnderTest, slack: LocalSlack) -> None:
    before = await totals(bot)
    body = declare_submission(bot, "Forged outage", "V0FORGED01")
    statuses = [(await bot.post(body, FORM_TYPE, headers=sign(body), signed=False)).status for sign in (forged, stale)]
    assert statuses == [401, 401]
    await asyncio.sleep(0.2)
    assert await totals(bot) == before
    assert [c for c in slack.calls if c.method != "auth.test"] == [], slack.summary()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", JSON_TYPE),
        ("[1, 2, 3]", JSON_TYPE),
        ('{"type": "event_callback", "event": "app_mention"}', JSON_TYPE),
        ("payload=%7Bnot-json", FORM_TYPE),
        ('payload={"type":"block_actions","actions":[]}', FORM_TYPE),
        ('payload={"type":"view_submission","view":"x"}', FORM_TYPE),
    ],
    ids=["broken-json", "json-list", "event-not-object", "broken-payload", "no-actions", "view-not-object"],
)
async def test_a_body_that_is_no_slack_payload_is_refused_without_a_500(
    bot: BotUnderTest, slack: LocalSlack, body: str, content_type: str
) -> None:
    """Bolt reads such a body before checking its signature, and raised on it (a 500): now the
    signature is checked first, so a forgery gets 401, and the same body correctly signed gets 400
    naming what is wrong with it."""
    before = await totals(bot)
    forged_status = (await bot.post(body, content_type, headers=forged(body), signed=False)).status
    signed = await bot.post(body, content_type)
    assert (forged_status, signed.status) == (401, 400)
    assert signed.text.startswith("not a Slack payload: ")
    assert await totals(bot) == before


def nested_json(depth: int) -> str:
    return '{"type": "event_callback", "event": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (nested_json(100_000), JSON_TYPE, "nested too deeply"),
        ("payload=" + "%5B" * 100_000, FORM_TYPE, "nested too deeply"),
        ('{"type": "event_callback"}', "application/json; charset=x-no-such-charset", "charset"),
        ('{"type": "event_callback"}', "application/json; charset=latin-1", "charset"),
    ],
    ids=["json-100k-deep", "form-payload-100k-deep", "unknown-charset", "other-charset"],
)
async def test_hostile_bodies_are_refused_before_parsing_with_a_4xx_and_no_traceback(
    bot: BotUnderTest, captured_logs: CapturedLogs, body: str, content_type: str, problem: str
) -> None:
    """An unsigned body nested 100,000 deep, or declaring a charset Python does not know, made the
    bot log a traceback and answer 500. The signature is now checked first, over the raw bytes, so
    such a body is refused with 401 unparsed; signed, it gets a 400 naming the problem."""
    before = await totals(bot)
    unsigned = await bot.post(body, content_type, headers=forged(body), signed=False)
    signed = await bot.post(body, content_type)
    assert (unsigned.status, signed.status) == (401, 400)
    assert problem in signed.text
    assert captured_logs.errors() == [], captured_logs.describe(captured_logs.errors())
    refusals = [r for r in captured_logs.records if r.name == "bot.receivers.slack.endpoint"]
    assert [r.levelname for r in refusals] == ["INFO", "WARNING"], captured_logs.describe(refusals)
    assert all(r.exc_info is None for r in captured_logs.records)
    assert await totals(bot) == before


async def test_a_signed_view_submission_without_a_view_type_gets_400_and_one_log_line(
    bot: BotUnderTest, captured_logs: CapturedLogs
) -> None:
    """Bolt logged two ERROR lines (KeyError 'type') for it; error logs must mean something."""
    values: dict[str, dict[str, Any]] = {ids.DECLARE_TITLE_BLOCK: {ids.INPUT: {"value": "Typeless view"}}}
    payload = view_submission(
        bot.slack.state, ALICE, declare_modal(CHANNEL), values, team_id=bot.workspace, view_id="V0TYPELESS"
    )
    del payload["view"]["type"]
    before = await totals(bot)
    response = await bot.interact(payload)
    assert (response.status, response.text) == (400, "not a Slack payload: view without a type")
    assert captured_logs.errors() == [], captured_logs.describe(captured_logs.errors())
    said = [r for r in captured_logs.records if r.levelno >= logging.WARNING]
    assert [(r.name, getattr(r, "problem", None)) for r in said] == [
        ("bot.receivers.slack.endpoint", "view without a type")
    ]
    assert await totals(bot) == before


async def test_a_body_that_is_not_utf8_is_refused_without_a_500(bot: BotUnderTest) -> None:
    before = await totals(bot)
    body = b'{"type": "event_callback", "event": {"type": "app_mention", "text": "\xff\xfe\xed"}}'
    stamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": JSON_TYPE, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{bot.url}/slack/events", data=body, headers=headers) as response,
    ):
        status = response.status
    assert status == 400, "refused: Slack sends UTF-8"
    assert await totals(bot) == before


async def test_a_replay_inside_the_window_applies_once_and_outside_it_is_refused(bot: BotUnderTest) -> None:
    """Slack resends a request (or someone captured one): inside five minutes its idempotency key
    makes the copy a no-op; after five minutes the signature's timestamp refuses it."""
    body = declare_submission(bot, "Replayed outage", "V0REPLAY01")
    first = await bot.post(body, FORM_TYPE)
    assert first.status == 200
    once = await totals(bot)
    again = await bot.post(body, FORM_TYPE)  # a fresh signature over the same body: a retry
    late = await bot.post(body, FORM_TYPE, headers=stale(body), signed=False)
    assert (again.status, late.status) == (200, 401)
    assert await totals(bot) == once
    assert once["incidents"] == 1
    figures("replay", sent=3, applied=1, deduplicated=1, refused_stale=1)


def event(**fields: Any) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "channel": CHANNEL,
        "ts": f"1700000{int(time.time() * 1000) % 1000000}.000001",
    } | fields


async def test_messages_from_the_bot_itself_and_from_other_bots_are_ignored(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    bot_user = slack.state.bot_user_id
    declare = f"<@{bot_user}> declare loop test sev1"
    loops = [
        event(user=bot_user, text=declare),  # the bot's own user
        event(user=bot_user, bot_id="B0FIREBOT", text=declare),  # the bot's own message
        event(bot_id="B0FIREBOT", text=declare),
        event(user="U0OTHERBOT", bot_id="B0OTHERBOT", text=declare),  # another bot
        event(bot_id="B0OTHERBOT", subtype="bot_message", text=declare),
        event(user=ALICE, subtype="message_changed", text=declare),  # an edit is not a new request
        event(user=ALICE, bot_id="B0OTHERBOT", text=declare),  # posted by an app as a user
    ]
    before = await totals(bot)
    statuses = [
        (await bot.post(json.dumps(event_envelope(slack.state, e, team_id=bot.workspace)), JSON_TYPE)).status
        for e in loops
    ]
    await asyncio.sleep(0.3)
    await bot.settle()

    assert statuses == [200] * len(loops)
    assert await totals(bot) == before
    assert [c for c in slack.calls if c.method != "auth.test"] == [], slack.summary()

    # The control: the same mention from a person is a declaration.
    person = await bot.post(
        json.dumps(event_envelope(slack.state, event(user=ALICE, text=declare), team_id=bot.workspace)), JSON_TYPE
    )
    assert person.status == 200
    assert (await bot.incident(1)).title == "loop test"
    figures("bot_loops", bot_or_self_events_sent=len(loops), applied=0, slack_calls=0)
