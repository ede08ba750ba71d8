"""``public [INC-42] on [public title]`` and ``… off`` (SPEC §14): the grammar, the domain's decision
(a timeline event folded into the incident), and the text the public may read."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce

import pytest

from bot.commands.grammar import Parsed, Verb, to_command, usage_for
from bot.views.public_status import public_text
from domain import commands as cmd
from domain import events as ev
from domain.decide import decide
from domain.errors import InvalidValue, NothingToChange
from domain.evolve import evolve
from domain.incident import Incident, IncidentRef, IncidentState, Undeclared
from domain.publicity import shown_title
from domain.severity import Severity
from tests.bot.test_grammar import refused, slash, thread

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _fold(state: IncidentState, events: list[ev.Event]) -> Incident:
    folded = reduce(evolve, events, state)
    assert isinstance(folded, Incident)
    return folded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("public on", Parsed(Verb.PUBLIC, public=True)),
        ("public INC-42 on", Parsed(Verb.PUBLIC, number=42, public=True)),
        ("public 42 ON Checkout is slow", Parsed(Verb.PUBLIC, number=42, public=True, text="Checkout is slow")),
        ("public INC-42 off", Parsed(Verb.PUBLIC, number=42, public=False)),
        ("public off.", Parsed(Verb.PUBLIC, public=False)),
    ],
)
def test_slash_forms(text: str, expected: Parsed) -> None:
    assert slash(text) == expected


def test_in_the_thread_the_incident_may_go_unsaid() -> None:
    assert thread("public on Search is slow") == Parsed(Verb.PUBLIC, public=True, text="Search is slow")


@pytest.mark.parametrize("text", ["public", "public INC-4", "public maybe", "public off Search"])
def test_anything_else_is_refused_with_the_usage(text: str) -> None:
    error = refused(text)
    assert error.message.startswith("`public` takes `on`")
    assert error.usage == usage_for(Verb.PUBLIC, slash=True)


def test_the_decision_is_an_event_and_the_incident_shows_under_its_public_title() -> None:
    ref = IncidentRef("T1", 1)
    declare = cmd.Declare(actor="U1", title="db <@U2> down", severity=Severity.SEV2, channel_id="C1")
    history = decide(Undeclared(ref), declare, NOW)
    incident = _fold(Undeclared(ref), history)
    on = to_command(slash("public INC-1 on Checkout is slow"), actor="U1", source=None)
    events = decide(incident, on, NOW)
    assert events == [ev.PublicityChanged(actor="U1", at=NOW, public=True, title="Checkout is slow")]
    public = _fold(incident, events)
    assert public.public
    assert shown_title(public) == "Checkout is slow"
    with pytest.raises(NothingToChange):
        decide(public, on, NOW)
    untitled = _fold(public, decide(public, cmd.SetPublic(actor="U1", public=True), NOW))
    assert shown_title(untitled) == "db <@U2> down"
    off = _fold(untitled, decide(untitled, cmd.SetPublic(actor="U1", public=False, title="ignored"), NOW))
    assert not off.public
    assert off.public_title is None
    with pytest.raises(InvalidValue):
        decide(off, cmd.SetPublic(actor="U1", public=True, title="x" * 121), NOW)


@pytest.mark.parametrize(
    ("typed", "public"),
    [
        ("<@U0BOB> restarted it", "a responder restarted it"),
        ("<@U0BOB|bob> and <!subteam^S1|@db> in <#C1|ops>", "a responder and a team in a channel"),
        ("see <https://acme.slack.com/archives/C1/p1|the thread>", "see the thread"),
        ("see <https://acme.slack.com/archives/C1/p1>", "see"),
        ("console <https://fb.example.com/incidents/INC-4|here>", "console here"),
        ("docs <https://docs.example.com/x|here>", "docs here (https://docs.example.com/x)"),
        ("a &lt;b&gt; &amp; <!here>", "a <b> & @here"),
    ],
)
def test_responders_text_reads_without_people_channels_or_internal_links(typed: str, public: str) -> None:
    assert public_text(typed) == public
