"""Field limits and the request body limit.

A title, note or summary over its limit is refused with a message that says which field, how long
it was and what the limit is, at every entry point, and changes nothing; a request body over the
limit is refused with 413 before it is read, signed or not, and changes nothing.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.local_slack import LocalSlack
from bot.local_slack.payloads import FORM_TYPE, JSON_TYPE, event_envelope, slash_form
from bot.receivers.slack.endpoint import MAX_BODY_BYTES
from bot.views import action_ids as ids
from bot.views.modals import declare_modal, resolve_modal
from domain.incident import IncidentRef
from domain.text import NOTE_MAX, SUMMARY_MAX, TITLE_MAX
from storage.schema import incident_events, outbox, processed_requests
from tests.e2e.harness import ALICE, CHANNEL, BotUnderTest
from tests.reliability.support import figures

pytestmark = pytest.mark.slow


async def totals(bot: BotUnderTest) -> dict[str, int]:
    async with bot.observer.connect() as connection:
        counts = {}
        for name, table in (("events", incident_events), ("outbox", outbox), ("keys", processed_requests)):
            counts[name] = int((await connection.execute(select(func.count()).select_from(table))).scalar_one())
        return counts


def text_value(value: str) -> dict[str, object]:
    return {ids.INPUT: {"type": "plain_text_input", "value": value}}


@pytest.mark.parametrize(
    ("command", "field", "length", "limit"),
    [
        (f"declare {'t' * (TITLE_MAX + 1)}", "title", TITLE_MAX + 1, TITLE_MAX),
        (f"note INC-1 {'n' * (NOTE_MAX + 1)}", "note", NOTE_MAX + 1, NOTE_MAX),
        (f"resolve INC-1 {'s' * (SUMMARY_MAX + 1)}", "summary", SUMMARY_MAX + 1, SUMMARY_MAX),
        (f"status INC-1 resolved {'s' * (SUMMARY_MAX + 5)}", "summary", SUMMARY_MAX + 5, SUMMARY_MAX),
    ],
    ids=["title", "note", "resolve-summary", "status-summary"],
)
async def test_a_field_over_its_limit_is_refused_clearly_by_slash_command(
    bot: BotUnderTest, command: str, field: str, length: int, limit: int
) -> None:
    assert "Declared INC-1" in (await bot.slash("declare Limits target sev3")).json()["text"]
    await bot.settle()
    before = await totals(bot)

    answer = (await bot.slash(command)).json()["text"]

    assert answer.startswith("⚠️"), answer
    assert f"The {field} is {length} characters long; the limit is {limit}." in answer
    after = await totals(bot)
    assert after["events"] == before["events"], "nothing was recorded"
    assert (await bot.incident(1)).version == 1


async def test_a_field_over_its_limit_is_refused_clearly_in_a_thread(bot: BotUnderTest, slack: LocalSlack) -> None:
    response, message = await bot.mention("limits by mention sev3")
    assert response.status == 200
    await bot.card(1)
    await bot.settle()

    await bot.mention("note " + "n" * (NOTE_MAX + 1), thread_ts=message.ts)
    await bot.settle()

    [reply] = [e.text for e in slack.ephemerals(ALICE)]
    assert f"The note is {NOTE_MAX + 1} characters long; the limit is {NOTE_MAX}." in reply
    assert (await bot.incident(1)).version == 1


async def test_a_field_over_its_limit_is_an_inline_error_in_the_forms(bot: BotUnderTest) -> None:
    declared = await bot.submit_view(
        declare_modal(CHANNEL),
        {
            ids.DECLARE_TITLE_BLOCK: text_value("t" * (TITLE_MAX + 1)),
            ids.DECLARE_SEVERITY_BLOCK: {ids.INPUT: {"selected_option": {"value": "SEV2"}}},
        },
    )
    assert declared.json() == {
        "response_action": "errors",
        "errors": {ids.DECLARE_TITLE_BLOCK: f"The title is {TITLE_MAX + 1} characters long; the limit is {TITLE_MAX}."},
    }
    assert "Declared INC-1" in (await bot.slash("declare Limits target sev3")).json()["text"]
    resolved = await bot.submit_view(
        resolve_modal(IncidentRef(bot.workspace, 1)),
        {ids.RESOLVE_SUMMARY_BLOCK: text_value("s" * (SUMMARY_MAX + 1))},
    )
    summary_error = f"The summary is {SUMMARY_MAX + 1} characters long; the limit is {SUMMARY_MAX}."
    assert resolved.json() == {"response_action": "errors", "errors": {ids.RESOLVE_SUMMARY_BLOCK: summary_error}}
    assert (await bot.incident(1)).version == 1


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
async def test_a_body_over_the_limit_gets_413_and_changes_nothing(
    bot: BotUnderTest, slack: LocalSlack, signed: bool
) -> None:
    before, calls = await totals(bot), len(slack.calls)
    padding = "x" * (MAX_BODY_BYTES + 1)
    huge = f"declare Huge {padding}"
    slash = slash_form(
        slack.state, ALICE, CHANNEL, huge, response_url=slack.response_url("huge"), team_id=bot.workspace
    )
    event = json.dumps(
        event_envelope(
            slack.state,
            {"type": "app_mention", "user": ALICE, "channel": CHANNEL, "ts": "1700000099.000001", "text": padding},
            team_id=bot.workspace,
        )
    )

    statuses = [
        (await bot.post(slash, FORM_TYPE, signed=signed)).status,
        (await bot.post(event, JSON_TYPE, signed=signed)).status,
    ]

    assert statuses == [413, 413]
    await bot.settle()
    assert await totals(bot) == before
    assert slack.calls[calls:] == []
    figures(
        "body_limit", limit_bytes=MAX_BODY_BYTES, signed=signed, sent=len(statuses), refused_413=statuses.count(413)
    )


async def test_a_body_just_under_the_limit_is_read_and_its_text_refused_by_length(bot: BotUnderTest) -> None:
    """The limit is on the body, not on what Slack could send: the field limits answer long text."""
    form = slash_form(bot.slack.state, ALICE, CHANNEL, "note INC-1 ", response_url="http://x/y", team_id=bot.workspace)
    overhead = len(form)
    text = "note INC-1 " + "n" * (MAX_BODY_BYTES - overhead - 200)
    assert "Declared INC-1" in (await bot.slash("declare Limits target sev3")).json()["text"]

    answer = await bot.slash(text)

    assert answer.status == 200
    assert "the limit is 2500" in answer.json()["text"]
