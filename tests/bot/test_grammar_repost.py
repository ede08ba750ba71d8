"""``repost``: post an incident's card again once whatever made Slack refuse it is fixed."""

from __future__ import annotations

import pytest

from bot.commands.grammar import Parsed, Verb, help_text, to_command, usage_for
from domain import commands as cmd
from tests.bot.test_grammar import SOURCE, channel, refused, slash, thread


@pytest.mark.parametrize(
    ("text", "number"), [("repost", None), ("repost INC-4", 4), ("repost #4", 4), ("repost 4", 4), ("REPOST inc-4", 4)]
)
def test_slash_repost_names_the_incident_or_leaves_it_to_the_channel(text: str, number: int | None) -> None:
    assert slash(text) == Parsed(Verb.REPOST, number=number)


def test_repost_in_the_incidents_thread() -> None:
    assert thread("repost") == Parsed(Verb.REPOST)


def test_repost_outside_a_thread_is_the_command_not_a_title() -> None:
    assert channel("repost INC-4") == Parsed(Verb.REPOST, number=4)


def test_repost_takes_nothing_else() -> None:
    error = refused("repost INC-4 please")
    assert error.message == "`repost` takes no arguments besides the incident; I didn't expect “please”."
    assert error.usage == usage_for(Verb.REPOST, slash=True)


def test_repost_is_a_command_on_the_incident() -> None:
    command = to_command(Parsed(Verb.REPOST, number=4), actor="U1", source=SOURCE)
    assert command == cmd.RepostCard(actor="U1", source=SOURCE)


def test_help_says_when_to_repost() -> None:
    line = "`/incident repost [INC-42]` — post the incident's card again after Slack refused it (invite me first)"
    assert f"• {line}" in help_text(slash=True).splitlines()
    assert "• `@firebreak repost` — post the incident's card again" in help_text(slash=False)
