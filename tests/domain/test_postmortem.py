"""Postmortems: written once an incident is over, saved as the fields that changed, folded into the
current text; and the close gate for the severities the policy names."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.codec import decode_event, encode_payload, slack_source
from domain.errors import InvalidTransition, InvalidValue, NothingToChange
from domain.evolve import replay
from domain.incident import Undeclared
from domain.lifecycle import Status
from domain.postmortem import (
    DEFAULT_POSTMORTEM_POLICY,
    NONE_REQUIRED,
    POSTMORTEM_FIELD_MAX,
    Postmortem,
    PostmortemField,
    PostmortemPolicy,
    PostmortemText,
)
from domain.severity import Severity
from tests.builders import REF, Story, at, declared
from tests.domain.paths import ALICE, BOB

ROOT = PostmortemField.ROOT_CAUSE
ACTIONS = PostmortemField.CORRECTIVE_ACTIONS
SUMMARY = PostmortemField.SUMMARY


def edit(*texts: tuple[PostmortemField, str], actor: str = ALICE) -> cmd.EditPostmortem:
    return cmd.EditPostmortem(actor=actor, texts=tuple(PostmortemText(field, text) for field, text in texts))


def saved(story: Story, command: cmd.EditPostmortem, now: datetime | None = None) -> tuple[PostmortemText, ...]:
    """The fields the one event of a save holds."""
    (event,) = story.do(command, now)
    assert isinstance(event, ev.PostmortemEdited)
    assert (event.actor, event.at) == (command.actor, story.at)
    return event.changes


def resolved(severity: Severity = Severity.SEV2, policy: PostmortemPolicy = NONE_REQUIRED) -> Story:
    story = declared(severity=severity)
    story.postmortem = policy
    story.do(cmd.Resolve(actor=ALICE, summary="rolled back"))
    return story


def test_each_save_holds_only_the_fields_it_changed_and_the_state_is_their_fold() -> None:
    story = resolved()
    first = saved(story, edit((SUMMARY, "Checkout failed"), (ROOT, "bad deploy"), (ACTIONS, "")))
    assert first == (PostmortemText(SUMMARY, "Checkout failed"), PostmortemText(ROOT, "bad deploy"))

    # The whole form sent again, one field changed: the event holds that one field.
    second = saved(story, edit((SUMMARY, "Checkout failed"), (ROOT, "  a config push \n"), (ACTIONS, "")), at(hours=1))
    assert second == (PostmortemText(ROOT, "a config push"),)
    assert story.incident.postmortem == Postmortem(summary="Checkout failed", root_cause="a config push")
    # Earlier versions are never lost: the history has them.
    said = [change.text for e in story.events if isinstance(e, ev.PostmortemEdited) for change in e.changes]
    assert said == ["Checkout failed", "bad deploy", "a config push"]
    assert replay(Undeclared(REF), story.events) == story.state


def test_fields_come_out_in_the_postmortems_order_and_a_cleared_field_is_a_change() -> None:
    story = resolved()
    in_order = saved(story, edit((ACTIONS, "add a canary"), (ROOT, "bad deploy")))
    assert in_order == (PostmortemText(ROOT, "bad deploy"), PostmortemText(ACTIONS, "add a canary"))
    assert saved(story, edit((ROOT, "   ")), at(hours=2)) == (PostmortemText(ROOT, ""),)
    assert story.incident.postmortem == Postmortem(corrective_actions="add a canary")


def test_the_event_survives_the_codec_and_json() -> None:
    story = resolved()
    (saved,) = story.do(edit((PostmortemField.WHAT_WENT_WELL, 'paging <fast> & "loud"\nsecond line')))
    payload = json.loads(json.dumps(encode_payload(saved)))
    assert payload == {"changes": [{"field": "what_went_well", "text": 'paging <fast> & "loud"\nsecond line'}]}
    assert decode_event(saved.type, payload, actor=saved.actor, at=saved.at, source=slack_source(saved)) == saved


@pytest.mark.parametrize("status_command", [None, cmd.Acknowledge(actor=BOB)], ids=["declared", "investigating"])
def test_an_open_incident_has_no_postmortem_yet(status_command: cmd.Acknowledge | None) -> None:
    story = declared()
    if status_command is not None:
        story.do(status_command)
    error = story.refuse(edit((ROOT, "bad deploy")), at(hours=1), InvalidTransition)
    assert error.message == (
        f"{REF} is still {story.incident.status}: its postmortem is written once it is resolved. "
        "Resolve it first, then write the postmortem."
    )


def test_a_closed_incident_keeps_its_postmortem_open_to_edits() -> None:
    story = resolved()
    story.do(cmd.Close(actor=ALICE))
    story.do(edit((PostmortemField.PREVENTION, "load tests in CI")))
    assert story.incident.postmortem.prevention == "load tests in CI"


def test_a_save_that_changes_nothing_or_names_a_field_twice_or_is_too_long_is_refused() -> None:
    story = resolved()
    story.do(edit((ROOT, "bad deploy")))
    nothing = story.refuse(edit((ROOT, "bad deploy "), (SUMMARY, "")), at(hours=1), NothingToChange)
    assert nothing.message == f"The postmortem of {REF} already says that; nothing was changed."
    twice = story.refuse(edit((ROOT, "a"), (ROOT, "b")), at(hours=1), InvalidValue)
    assert twice.message == "Give each postmortem field once."
    long = story.refuse(edit((ROOT, "x" * (POSTMORTEM_FIELD_MAX + 1))), at(hours=1), InvalidValue)
    assert long.message == f"The root cause is {POSTMORTEM_FIELD_MAX + 1} characters long; the limit is 3000."


@pytest.mark.parametrize("severity", [Severity.SEV1, Severity.SEV2])
def test_close_of_a_required_severity_waits_for_root_cause_and_corrective_actions(severity: Severity) -> None:
    story = resolved(severity, DEFAULT_POSTMORTEM_POLICY)
    error = story.refuse(cmd.Close(actor=ALICE), at(hours=1), InvalidTransition)
    assert error.message == (
        f"{REF} is {severity.label}, so closing it needs a postmortem with root cause and corrective actions; "
        "still empty: root cause and corrective actions. Fill them in with "
        f"`/incident postmortem {REF}` (or the card's Postmortem button), then close it."
    )
    story.do(edit((ROOT, "bad deploy"), (SUMMARY, "Checkout failed")), at(hours=2))
    error = story.refuse(cmd.ChangeStatus(actor=ALICE, status=Status.CLOSED), at(hours=3), InvalidTransition)
    assert "; still empty: corrective actions. Fill them in with" in error.message
    story.do(edit((ACTIONS, "canary deploys")), at(hours=4))
    (closed,) = story.do(cmd.Close(actor=ALICE), at(hours=5))
    assert isinstance(closed, ev.Closed)


@pytest.mark.parametrize(
    ("severity", "policy"),
    [
        (Severity.SEV3, DEFAULT_POSTMORTEM_POLICY),
        (Severity.SEV4, DEFAULT_POSTMORTEM_POLICY),
        (Severity.SEV1, NONE_REQUIRED),
    ],
)
def test_close_needs_no_postmortem_where_the_policy_does_not_ask_for_one(
    severity: Severity, policy: PostmortemPolicy
) -> None:
    story = resolved(severity, policy)
    (closed,) = story.do(cmd.Close(actor=ALICE), at(hours=1))
    assert isinstance(closed, ev.Closed)


def test_the_policy_may_name_other_severities() -> None:
    story = resolved(Severity.SEV4, PostmortemPolicy(frozenset({Severity.SEV4})))
    error = story.refuse(cmd.Close(actor=ALICE), at(hours=1), InvalidTransition)
    assert error.message.startswith(f"{REF} is SEV4, so closing it needs a postmortem")
