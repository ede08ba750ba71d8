"""A command made in the web console: its events say so, through the codec, and a console form's
version refuses a change made over one its author has not seen."""

from __future__ import annotations

import json
from dataclasses import fields

from domain import commands as cmd
from domain import events as ev
from domain.codec import decode_event, encode_payload, slack_source
from domain.errors import ChangedMeanwhile
from domain.incident import ConsoleSource, SlackSource
from domain.lifecycle import Status
from tests.builders import REPORTER, at, declared

CONSOLE = ConsoleSource()


def test_a_console_source_is_kept_in_the_payload_and_none_in_the_slack_columns() -> None:
    story = declared()
    (note,) = story.do(cmd.AddNote(actor=REPORTER, text="db failover", source=CONSOLE), at(minutes=1))
    payload = json.loads(json.dumps(encode_payload(note)))
    assert payload == {"text": "db failover", "via": "console"}
    assert slack_source(note) is None
    decoded = decode_event(note.type, payload, actor=note.actor, at=note.at, source=None)
    assert decoded == note
    assert decoded.source == CONSOLE


def test_a_slack_source_stays_in_the_columns_and_out_of_the_payload() -> None:
    source = SlackSource("C1", "1700000000.000200")
    (note,) = declared().do(cmd.AddNote(actor=REPORTER, text="db failover", source=source), at(minutes=1))
    assert "via" not in encode_payload(note)
    assert slack_source(note) == source


def test_no_event_has_a_field_the_payload_uses_for_the_console() -> None:
    assert all("via" not in {f.name for f in fields(event_type)} for event_type in ev.EVENT_TYPES.values())


def test_every_event_of_a_console_command_carries_the_console() -> None:
    story = declared()
    events = story.do(cmd.ChangeStatus(actor=REPORTER, status=Status.IDENTIFIED, source=CONSOLE), at(minutes=2))
    assert [type(event) for event in events] == [ev.Acknowledged, ev.StatusChanged]
    assert {event.source for event in events} == {CONSOLE}


def test_a_command_at_the_version_it_saw_is_applied() -> None:
    story = declared()
    version = story.incident.version
    story.do(cmd.Acknowledge(actor=REPORTER, source=CONSOLE, expected_version=version), at(minutes=1))
    assert story.incident.acknowledged_at == at(minutes=1)


def test_a_command_over_a_change_its_author_did_not_see_is_refused() -> None:
    story = declared()
    seen = story.incident.version
    story.do(cmd.Assign(actor="U0BOB", commander="U0BOB"), at(minutes=1))
    refused = story.refuse(cmd.Acknowledge(actor=REPORTER, expected_version=seen), at(minutes=2), ChangedMeanwhile)
    assert refused.message == "INC-42 changed since you last saw it. Nothing was changed: review and try again."
