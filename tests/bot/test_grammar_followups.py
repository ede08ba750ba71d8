"""``followup`` and ``followups`` (SPEC §10): the incident right after the verb, as for every verb."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.commands.grammar import Parsed, Verb, help_text, to_command, usage_for
from domain import commands as cmd
from tests.bot.test_grammar import SOURCE, channel, refused, slash, thread

ADD = Parsed(Verb.FOLLOWUP, text="Alert on queue depth")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("followup INC-42 Alert on queue depth", ADD),
        ("follow-up #42 Alert on queue depth", ADD),
        ("followup 42 Alert on queue depth", ADD),
        ("followup INC-42 Alert on queue depth <@U0BOB|bob>", Parsed(Verb.FOLLOWUP, text=ADD.text, user_id="U0BOB")),
        (
            "followup INC-42 Alert on queue depth due 2026-12-20",
            Parsed(Verb.FOLLOWUP, text=ADD.text, due=date(2026, 12, 20)),
        ),
        (
            "followup INC-42 Alert on queue depth <@U0BOB> due 2w",
            Parsed(Verb.FOLLOWUP, text=ADD.text, user_id="U0BOB", due=timedelta(weeks=2)),
        ),
        (
            "followup INC-42 Alert on queue depth due 36h <@U0BOB>.",
            Parsed(Verb.FOLLOWUP, text=ADD.text, user_id="U0BOB", due=timedelta(hours=36)),
        ),
        ("followup INC-42 done 3", Parsed(Verb.FOLLOWUP, item=3)),
        ("FOLLOWUP 42 Done #3", Parsed(Verb.FOLLOWUP, item=3)),
        ("followups INC-42", Parsed(Verb.FOLLOWUPS)),
        ("follow-ups 42", Parsed(Verb.FOLLOWUPS)),
    ],
)
def test_slash_followups_name_the_incident_right_after_the_verb(text: str, expected: Parsed) -> None:
    assert slash(text) == replace(expected, number=42)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "followup Alert on queue depth <@U0BOB> due 3d",
            Parsed(Verb.FOLLOWUP, text=ADD.text, user_id="U0BOB", due=timedelta(days=3)),
        ),
        ("followup done 1", Parsed(Verb.FOLLOWUP, item=1)),
        ("followups", Parsed(Verb.FOLLOWUPS)),
        # In its thread the thread names the incident, so a number starts the text.
        ("followup 3 replicas need a budget", Parsed(Verb.FOLLOWUP, text="3 replicas need a budget")),
    ],
)
def test_followups_by_mention_in_the_incidents_thread(text: str, expected: Parsed) -> None:
    assert thread(text) == expected


def test_a_mention_outside_a_thread_names_the_incident_like_the_slash_command() -> None:
    assert channel("followup INC-7 done 2") == Parsed(Verb.FOLLOWUP, number=7, item=2)


def test_mentions_and_the_word_due_inside_the_text_stay_text() -> None:
    parsed = thread("followup ask <@U0BOB> why the cert was due so soon <@U0CAROL>")
    assert parsed == Parsed(Verb.FOLLOWUP, text="ask <@U0BOB> why the cert was due so soon", user_id="U0CAROL")


def test_text_keeps_its_lines() -> None:
    assert thread("followup Alert on\nqueue depth due 3d").text == "Alert on\nqueue depth"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("followup INC-42", "What should the follow-up say?"),
        ("followup INC-42 <@U0BOB> due 3d", "What should the follow-up say?"),
        ("followup INC-42 fix retries due", "Due when? Give a date like 2026-12-20 or a duration like 3d, 2w or 36h."),
        (
            "followup INC-42 fix retries due friday",
            "“friday” is not a due date: give a date like 2026-12-20 or a duration like 3d, 2w or 36h.",
        ),
        (
            "followup INC-42 fix retries due 2026-13-01",
            "“2026-13-01” is not a day on the calendar: give a date like 2026-12-20 or a duration like 3d, 2w or 36h.",
        ),
        (
            "followup INC-42 fix retries @bob",
            "“@bob” is not a person's Slack mention: pick the owner with Slack's @-autocomplete so it becomes a real"
            " mention.",
        ),
        (
            "followup INC-42 fix retries <!here>",
            "“&lt;!here&gt;” is not a person's Slack mention: pick the owner with Slack's @-autocomplete so it"
            " becomes a real mention.",
        ),
        ("followup INC-42 done", "Which follow-up is done? Give its number; `followups` lists them."),
        ("followup INC-42 done two", "“two” is not a follow-up number; `followups` lists them."),
        ("followup INC-42 done 0", "“0” is not a follow-up number; `followups` lists them."),
    ],
)
def test_bad_followups_are_refused_with_the_usage(text: str, message: str) -> None:
    error = refused(text)
    assert error.message == message
    assert error.usage == usage_for(Verb.FOLLOWUP, slash=True)


def test_followups_takes_nothing_else() -> None:
    error = refused("followups INC-42 open", entry="thread")
    assert error.message == "`followups` takes no arguments besides the incident; I didn't expect “open”."


def test_followup_commands() -> None:
    added = to_command(slash("followup INC-42 Alert <@U0BOB> due 2w"), actor="U1", source=SOURCE)
    assert added == cmd.AddFollowUp(actor="U1", source=SOURCE, text="Alert", owner="U0BOB", due=timedelta(weeks=2))
    mine = to_command(thread("followup Alert"), actor="U1", source=SOURCE)
    assert mine == cmd.AddFollowUp(actor="U1", source=SOURCE, text="Alert", owner=None, due=None)
    done = to_command(thread("followup done 2"), actor="U1", source=SOURCE)
    assert done == cmd.CompleteFollowUp(actor="U1", source=SOURCE, number=2)
    with pytest.raises(ValueError, match="not a change to an incident"):
        to_command(thread("followups"), actor="U1", source=SOURCE)


def test_help_shows_the_followup_verbs_at_both_entry_points() -> None:
    slash_help = help_text(slash=True).splitlines()
    assert (
        "• `/incident followup [INC-42] <text> [@owner] [due <date | duration>] | done <n>` — add a follow-up"
        " (yours unless you name an owner; due e.g. 2026-12-20 or 2w), or mark #n done,"
        " e.g. `/incident followup INC-42 alert on queue depth @alice due 2w`"
    ) in slash_help
    assert "• `/incident followups [INC-42]` — the incident's follow-ups, with owners and due dates" in slash_help
    mention_help = help_text(slash=False).splitlines()
    assert "• `@firebreak followups` — the incident's follow-ups, with owners and due dates" in mention_help
    assert "`follow-up` = `followup`" in mention_help[-1]
