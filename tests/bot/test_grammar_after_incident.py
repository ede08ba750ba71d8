"""The grammar of SPEC §10's reading verbs: ``postmortem [INC-42] [draft]``, ``catchup [INC-42]`` and
``report [INC-42]``, the incident right after the verb, at both entry points."""

from __future__ import annotations

import pytest

from bot.commands.grammar import Parsed, Verb, help_text, usage_for
from tests.bot.test_grammar import refused, slash, thread


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postmortem", Parsed(Verb.POSTMORTEM)),
        ("postmortem INC-42", Parsed(Verb.POSTMORTEM, number=42)),
        ("postmortem draft", Parsed(Verb.POSTMORTEM, draft=True)),
        ("postmortem INC-42 draft", Parsed(Verb.POSTMORTEM, number=42, draft=True)),
        ("postmortem 42 Draft.", Parsed(Verb.POSTMORTEM, number=42, draft=True)),
        ("catchup", Parsed(Verb.CATCHUP)),
        ("catch-up #7", Parsed(Verb.CATCHUP, number=7)),
        ("report INC-42", Parsed(Verb.REPORT, number=42)),
        ("report", Parsed(Verb.REPORT)),
    ],
)
def test_slash_forms(text: str, expected: Parsed) -> None:
    assert slash(text) == expected


def test_in_the_incidents_thread_the_incident_may_go_unsaid() -> None:
    assert thread("postmortem draft") == Parsed(Verb.POSTMORTEM, draft=True)
    assert thread("catchup") == Parsed(Verb.CATCHUP)
    assert thread("report") == Parsed(Verb.REPORT)


def test_anything_else_is_refused_with_the_usage() -> None:
    error = refused("postmortem INC-42 write it")
    assert error.message == "`postmortem` takes only `draft`; I didn't expect “write it”."
    assert error.usage == usage_for(Verb.POSTMORTEM, slash=True)
    assert refused("postmortem draft INC-42").message == (
        "Name the incident before `draft`: `/incident postmortem INC-42 draft`."
    )
    assert refused("report INC-42 now").message == (
        "`report` takes no arguments besides the incident; I didn't expect “now”."
    )
    assert refused("catchup please", entry="thread").message == (
        "`catchup` takes no arguments besides the incident; I didn't expect “please”."
    )


def test_help_shows_them() -> None:
    lines = help_text(slash=True).splitlines()
    assert (
        "• `/incident postmortem [INC-42] [draft]` — write the postmortem of a resolved or closed incident (a form);"
        " `draft`: AI drafts it from the timeline, e.g. `/incident postmortem INC-42 draft`"
    ) in lines
    assert "• `/incident catchup [INC-42]` — catch up: the incident so far and what to do next, for you alone" in lines
    assert "• `/incident report [INC-42]` — a link to the incident's report (Markdown) in the console" in lines
    assert "`catch-up` = `catchup`" in help_text(slash=False)
