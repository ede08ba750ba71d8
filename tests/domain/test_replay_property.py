"""Property: whatever people type, the live state is the fold of the accepted events, and so is
the fold of those events after a trip through the codec and JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain import commands as cmd
from domain import events as ev
from domain.codec import decode_event, encode_payload
from domain.decide import decide
from domain.errors import DomainError
from domain.evolve import evolve, replay
from domain.incident import Incident, IncidentState, SlackSource, Undeclared
from domain.lifecycle import Status
from domain.severity import Severity
from domain.sla import STOPPED, ClockKind
from tests.builders import CHANNEL, REF, T0
from tests.domain.paths import ALICE, BOB

ACTORS = st.sampled_from([ALICE, BOB, "U_CAROL", cmd.SYSTEM_ACTOR])
SOURCES = st.one_of(
    st.none(),
    st.builds(SlackSource, channel_id=st.sampled_from(["C1", "C2"]), ts=st.sampled_from([None, "1700000000.000100"])),
)
TEXT = st.one_of(
    st.text(max_size=24),
    st.sampled_from(["", "   ", "Rolled back\nwatching", "ctrl\x00\x07\x1b chars", "x" * 130, "y" * 3000]),
)
OPTIONAL_TEXT = st.one_of(st.none(), TEXT)
SEVERITIES = st.sampled_from(list(Severity))
SNOOZES = st.one_of(
    st.sampled_from([timedelta(0), timedelta(minutes=-5), timedelta(hours=24), timedelta(hours=25)]),
    st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(hours=6)),
)
KINDS = [
    "declare",
    "ack",
    "severity",
    "assign",
    "status",
    "resolve",
    "reopen",
    "close",
    "note",
    "update",
    "draft",
    "breach",
    "snooze",
    "card refused",
    "repost",
]


def _draw_command(data: st.DataObject, state: IncidentState, now: datetime) -> tuple[cmd.AnyCommand, datetime]:
    """A command of a random type with plausible (sometimes invalid) arguments, and when it runs."""
    undeclared = isinstance(state, Undeclared)
    kind = "declare" if undeclared and data.draw(st.booleans()) else data.draw(st.sampled_from(KINDS), label="kind")
    actor, source = data.draw(ACTORS), data.draw(SOURCES)
    version = state.version if isinstance(state, Incident) else 0
    match kind:
        case "declare":
            command: cmd.AnyCommand = cmd.Declare(
                actor=actor,
                source=source,
                title=data.draw(st.one_of(st.sampled_from(["Checkout is down", " DB\nlatency "]), TEXT)),
                severity=data.draw(SEVERITIES),
                channel_id=CHANNEL,
                thread_ts=data.draw(st.sampled_from([None, "1700000000.000100"])),
                description=data.draw(TEXT),
                service=data.draw(OPTIONAL_TEXT),
            )
        case "ack":
            command = cmd.Acknowledge(actor=actor, source=source)
        case "severity":
            command = cmd.ChangeSeverity(actor=actor, source=source, severity=data.draw(SEVERITIES))
        case "assign":
            commander = data.draw(st.sampled_from([ALICE, BOB, "U_CAROL", "", "  "]))
            command = cmd.Assign(actor=actor, source=source, commander=commander)
        case "status":
            status = data.draw(st.sampled_from(list(Status)))
            command = cmd.ChangeStatus(actor=actor, source=source, status=status, summary=data.draw(OPTIONAL_TEXT))
        case "resolve":
            command = cmd.Resolve(actor=actor, source=source, summary=data.draw(OPTIONAL_TEXT))
        case "reopen":
            command = cmd.Reopen(actor=actor, source=source, reason=data.draw(OPTIONAL_TEXT))
        case "close":
            command = cmd.Close(actor=actor, source=source)
        case "note":
            command = cmd.AddNote(actor=actor, source=source, text=data.draw(TEXT))
        case "update":
            model = data.draw(st.sampled_from([None, "claude-x"]))
            command = cmd.PostStakeholderUpdate(actor=actor, source=source, text=data.draw(TEXT), model=model)
        case "draft":
            based_on = data.draw(st.lists(st.integers(0, version + 2), max_size=4).map(tuple))
            command = cmd.RecordAiDraft(
                actor=actor,
                source=source,
                text=data.draw(TEXT),
                model=data.draw(st.sampled_from([None, "claude-x"])),
                based_on=based_on,
                ai_written=data.draw(st.booleans()),
            )
        case "breach":
            clock = data.draw(st.sampled_from(list(ClockKind)))
            due = state.clocks.due(clock) if isinstance(state, Incident) else None
            seen = data.draw(st.sampled_from(["due, caught up", "due, as is", "made up"]))
            if due is None or seen == "made up":
                due = now + timedelta(minutes=data.draw(st.integers(-120, 120)))
            elif seen == "due, caught up":
                now = max(now, due)  # the scheduler wakes up when the clock is due
            command = cmd.RecordSlaBreach(actor=cmd.SYSTEM_ACTOR, kind=clock, due_at=due)
        case "card refused":
            error = data.draw(st.one_of(st.sampled_from(["not_in_channel", "is_archived"]), TEXT))
            command = cmd.RecordCardRefusal(actor=cmd.SYSTEM_ACTOR, error=error)
        case "repost":
            command = cmd.RepostCard(actor=actor, source=source)
        case _:
            command = cmd.Snooze(actor=actor, source=source, duration=data.draw(SNOOZES))
    return command, now


def _check_invariants(state: Incident, history: list[ev.Event]) -> None:
    assert state.version == len(history)
    assert (state.status is Status.DECLARED) == (state.acknowledged_at is None)
    assert (state.resolved_at is not None) == (state.status in (Status.RESOLVED, Status.CLOSED))
    assert (state.closed_at is not None) == (state.status is Status.CLOSED)
    if state.is_open:
        assert (state.clocks.ack_due_at is None) == (state.acknowledged_at is not None)
        assert (state.clocks.update_due_at is None) == (state.severity is Severity.SEV4)
    else:
        assert state.clocks == STOPPED


def _decoded(event: ev.Event) -> ev.Event:
    payload = json.loads(json.dumps(encode_payload(event)))
    return decode_event(event.type, payload, actor=event.actor, at=event.at, source=event.source)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_live_state_is_the_replay_of_accepted_events(data: st.DataObject) -> None:
    state: IncidentState = Undeclared(REF)
    history: list[ev.Event] = []
    now = T0
    for _ in range(data.draw(st.integers(1, 40), label="steps")):
        now += timedelta(seconds=data.draw(st.integers(0, 3 * 3600), label="advance"))
        command, now = _draw_command(data, state, now)
        try:
            produced = decide(state, command, now)
        except DomainError:
            event(f"refused {type(command).__name__}")
            continue
        event(f"accepted {type(command).__name__}")
        assert produced
        assert all(fact.at == now for fact in produced)
        for fact in produced:
            state = evolve(state, fact)
        history.extend(produced)
        assert isinstance(state, Incident)
        _check_invariants(state, history)

    assert replay(Undeclared(REF), history) == state
    decoded = [_decoded(fact) for fact in history]
    assert decoded == history
    assert replay(Undeclared(REF), decoded) == state
    if isinstance(state, Incident):
        assert state.version == len(history)
    else:
        assert history == []
