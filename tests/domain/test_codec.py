"""Events survive encode_payload -> JSON -> decode_event unchanged, for every event type."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from typing import Any

import pytest

from domain import events as ev
from domain.codec import decode_event, encode_payload, slack_source
from domain.commands import (
    SYSTEM_ACTOR,
    Acknowledge,
    AddFollowUp,
    AddNote,
    Assign,
    ChangeSeverity,
    Close,
    CompleteFollowUp,
    CompleteRunbookStep,
    EditPostmortem,
    PinMessage,
    PostStakeholderUpdate,
    RecordAiDraft,
    RecordCardClock,
    RecordCardRefusal,
    RecordMessageDeletion,
    RecordMessageEdit,
    RecordPostmortemDraft,
    RecordSlaBreach,
    RemindFollowUp,
    Reopen,
    RepostCard,
    Resolve,
    SetPublic,
    Snooze,
    UnpinMessage,
)
from domain.incident import SlackSource
from domain.pinned import PinnedBy
from domain.postmortem import PostmortemField, PostmortemText
from domain.severity import Severity
from domain.sla import ClockKind
from tests.builders import RESOLVED, alert, at, declared, record_alerts
from tests.domain.paths import ALICE, BOB, run_commands


def roundtrip(event: ev.Event) -> ev.Event:
    payload = json.loads(json.dumps(encode_payload(event)))
    return decode_event(event.type, payload, actor=event.actor, at=event.at, source=slack_source(event))


def _every_event_type() -> list[ev.Event]:
    run = declared(severity=Severity.SEV2)
    source = SlackSource(channel_id="C1", ts="1700000001.000200")
    run.do(RecordCardRefusal(actor=SYSTEM_ACTOR, error="not_in_channel"), at(seconds=1))
    run.do(RepostCard(actor=ALICE, source=source), at(seconds=30))
    run.do(AddNote(actor=ALICE, text="first\nsecond", source=source), at(minutes=1))
    run.do(
        RecordAiDraft(actor=SYSTEM_ACTOR, text="Draft", model="m-1", based_on=(1, 2), ai_written=True), at(minutes=2)
    )
    run.do(Snooze(actor=ALICE, duration=timedelta(minutes=20)), at(minutes=3))
    run.do(RecordCardClock(actor=SYSTEM_ACTOR, due_at=at(minutes=15)), at(minutes=15))
    run.do(RecordSlaBreach(actor=SYSTEM_ACTOR, kind=ClockKind.ACK, due_at=at(minutes=23)), at(minutes=24))
    run.do(Assign(actor=ALICE, commander=BOB), at(minutes=25))
    run.do(ChangeSeverity(actor=BOB, severity=Severity.SEV1), at(minutes=26))
    run.do(Acknowledge(actor=BOB, source=SlackSource(channel_id="C1")), at(minutes=27))
    run.do(PostStakeholderUpdate(actor=BOB, text="We know", model=None), at(minutes=28))
    run.do(Resolve(actor=BOB, summary="Fixed"), at(hours=1))
    run.do(Reopen(actor=BOB, reason=None), at(hours=2))
    run.do(Resolve(actor=BOB), at(hours=3))
    run.do(RecordAiDraft(actor=SYSTEM_ACTOR, text="Post", model=None, based_on=(), ai_written=False), at(hours=4))
    drafted = (PostmortemText(PostmortemField.SUMMARY, "Rolled back [#13]"),)
    run.do(
        RecordPostmortemDraft(actor=BOB, texts=drafted, model="m-1", based_on=(1, 13), ai_written=True, dropped=1),
        at(1, hours=4),
    )
    run.do(
        EditPostmortem(actor=BOB, texts=(PostmortemText(PostmortemField.ROOT_CAUSE, "A bad deploy"),)), at(2, hours=4)
    )
    run.do(Close(actor=BOB), at(hours=5))
    run.do(AddFollowUp(actor=ALICE, text="Alert on queue depth", owner=BOB, due=timedelta(days=1)), at(hours=6))
    run.do(RemindFollowUp(actor=SYSTEM_ACTOR, number=1, due_at=at(days=1, hours=6)), at(days=1, hours=6))
    run.do(CompleteFollowUp(actor=BOB, number=1, source=source), at(days=2))
    return run.events + _pinned_message_events() + _alert_events() + _runbook_events() + _publicity_events()


def _publicity_events() -> list[ev.Event]:
    """Put on the status page under a public title, then taken off (SPEC §14)."""
    run = declared()
    run.do(SetPublic(actor=ALICE, public=True, title="Checkout is slow"), at(minutes=1))
    run.do(SetPublic(actor=ALICE, public=False), at(minutes=2))
    return run.events[1:]


def _runbook_events() -> list[ev.Event]:
    run = declared(service="checkout")
    done = CompleteRunbookStep(actor=ALICE, step=1, text="Check the dashboard", message=SlackSource("C1", "17.1"))
    run.do(done, at(minutes=1))
    return run.events[1:]


def _alert_events() -> list[ev.Event]:
    """Two alerts fire (enough for the escalation suggestion), then both resolve (the question)."""
    run = declared()
    run.do(record_alerts(alert("fp1"), alert("fp2", name="DiskFull"), escalate_at=2), at(minutes=1))
    run.do(record_alerts(alert("fp1", RESOLVED), alert("fp2", RESOLVED)), at(minutes=2))
    return run.events[1:]


def _pinned_message_events() -> list[ev.Event]:
    """A message pinned by 📌 (its text fetched later), edited, unpinned, pinned again and deleted."""
    run = declared()
    about: dict[str, Any] = {
        "channel_id": "C1",
        "ts": "1700000001.000200",
        "source": SlackSource("C1", "1700000001.000200"),
    }
    run.do(PinMessage(actor=ALICE, **about, author=BOB, text=None, pinned_by=PinnedBy.REACTION), at(minutes=1))
    run.do(PinMessage(actor=ALICE, **about, author=BOB, text="failover done", pinned_by=PinnedBy.REACTION), at(2))
    run.do(RecordMessageEdit(actor=BOB, **about, text="failover done (EU)"), at(minutes=3))
    run.do(UnpinMessage(actor=ALICE, **about), at(minutes=4))
    run.do(PinMessage(actor=BOB, **about, author=BOB, text="failover done (EU)", pinned_by=PinnedBy.PIN), at(5))
    run.do(RecordMessageDeletion(actor=SYSTEM_ACTOR, **about), at(minutes=6))
    return run.events[1:]


def test_the_scenario_produces_every_event_type() -> None:
    assert {e.type for e in _every_event_type()} == set(ev.EVENT_TYPES)


@pytest.mark.parametrize("event", _every_event_type(), ids=lambda e: e.type)
def test_event_roundtrips_through_json(event: ev.Event) -> None:
    payload = encode_payload(event)
    assert not {"actor", "at", "source", "type"} & payload.keys()
    assert json.loads(json.dumps(payload)) == payload
    assert roundtrip(event) == event


def test_payload_shapes_are_plain_json() -> None:
    events = run_commands([(at(minutes=1), ChangeSeverity(actor=ALICE, severity=Severity.SEV1))]).events
    declared_payload = encode_payload(events[0])
    assert declared_payload["ref"] == {"workspace_id": "T0001", "number": 42}
    assert declared_payload["severity"] == 2
    assert declared_payload["clocks"]["ack_due_at"] == at(minutes=15).isoformat()
    changed = encode_payload(events[1])
    assert (changed["previous"], changed["current"]) == (2, 1)


def test_decoding_keeps_the_instant_of_non_utc_times() -> None:
    event = ev.SlaBreached(
        actor=SYSTEM_ACTOR,
        at=at(),
        kind=ClockKind.UPDATE,
        due_at=at().astimezone(timezone(timedelta(hours=5, minutes=30))),
        clocks=declared().incident.clocks,
    )
    decoded = roundtrip(event)
    assert isinstance(decoded, ev.SlaBreached)
    assert decoded.due_at == at()
    assert decoded.due_at.utcoffset() == timedelta(hours=5, minutes=30)


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event type 'exploded'"):
        decode_event("exploded", {}, actor=ALICE, at=at(), source=None)
