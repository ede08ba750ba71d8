"""Property: whatever people type, the live state is the fold of the accepted events, and so is
the fold of those events after a trip through the codec and JSON."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain import commands as cmd
from domain import events as ev
from domain.alerts import AlertLink, AlertSignal, AlertStatus
from domain.codec import decode_event, encode_payload, slack_source
from domain.decide import decide
from domain.errors import DomainError
from domain.evolve import evolve, replay
from domain.incident import Incident, IncidentState, SlackSource, Undeclared
from domain.lifecycle import Status
from domain.pinned import PinnedBy
from domain.postmortem import (
    DEFAULT_POSTMORTEM_POLICY,
    NONE_REQUIRED,
    PostmortemField,
    PostmortemPolicy,
    PostmortemText,
)
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
    "followup",
    "followup done",
    "followup reminder",
    "postmortem",
    "pin",
    "unpin",
    "edit pinned",
    "delete pinned",
    "alerts",
]
# A few messages, so that pins, unpins, edits and deletions meet the same ones again.
PINNABLE = st.tuples(st.sampled_from(["C1", "C2"]), st.sampled_from(["1700000000.000100", "1700086400.5", "17"]))
DUES: st.SearchStrategy[date | timedelta | None] = st.one_of(
    st.none(),
    st.sampled_from([date(2026, 11, 1), date(2026, 11, 23), date(2026, 12, 20)]),
    st.sampled_from([timedelta(0), timedelta(days=900)]),
    st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=20)),
)


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
        case "followup":
            owner = data.draw(st.sampled_from([None, BOB, "", " "]))
            command = cmd.AddFollowUp(
                actor=actor, source=source, text=data.draw(TEXT), owner=owner, due=data.draw(DUES)
            )
        case "followup done":
            command = cmd.CompleteFollowUp(actor=actor, source=source, number=data.draw(st.integers(0, 4)))
        case "followup reminder":
            command, now = _draw_followup_reminder(data, state, now)
        case "pin" | "unpin" | "edit pinned" | "delete pinned":
            command = _draw_pin_command(data, kind, actor, source)
        case "alerts":
            command = _draw_alerts(data)
        case "postmortem":
            texts = data.draw(
                st.lists(st.builds(PostmortemText, st.sampled_from(list(PostmortemField)), TEXT), max_size=4)
            )
            command = cmd.EditPostmortem(actor=actor, source=source, texts=tuple(texts))
        case _:
            command = cmd.Snooze(actor=actor, source=source, duration=data.draw(SNOOZES))
    return command, now


def _draw_followup_reminder(
    data: st.DataObject, state: IncidentState, now: datetime
) -> tuple[cmd.RemindFollowUp, datetime]:
    """The scheduler's reminder of a follow-up, as it sees one due (it wakes when it is), or made up."""
    followups = state.followups if isinstance(state, Incident) else ()
    number = data.draw(st.integers(1, len(followups) + 1))
    due = followups[number - 1].reminder_due_at if number <= len(followups) else None
    if due is None or data.draw(st.booleans()):
        due = now + timedelta(minutes=data.draw(st.integers(-120, 120)))
    else:
        now = max(now, due)
    return cmd.RemindFollowUp(actor=cmd.SYSTEM_ACTOR, number=number, due_at=due), now


# A few alerts of two groups, so that repeats, resolutions and firing again meet the same ones.
SIGNALS = st.builds(
    AlertSignal,
    fingerprint=st.sampled_from(["fp1", "fp2", "fp3", "fp4"]),
    status=st.sampled_from(list(AlertStatus)),
    labels=st.sampled_from([(), (("alertname", "HighLatency"), ("severity", "critical"))]),
    summary=st.one_of(st.sampled_from(["HighLatency", "Disk\nfull"]), TEXT),
    starts_at=st.none(),
    ends_at=st.none(),
    links=st.sampled_from([(), (AlertLink("https://grafana.example/d/1", "Dashboard"),)]),
)


def _draw_alerts(data: st.DataObject) -> cmd.RecordAlerts:
    """A notification's alerts as a source reports them: new, repeated, resolved, firing again."""
    return cmd.RecordAlerts(
        actor="alertmanager",
        group_key=data.draw(st.sampled_from(['{}:{team="payments"}', "grafana-7"])),
        signals=tuple(data.draw(st.lists(SIGNALS, max_size=5))),
        escalate_at=data.draw(st.integers(1, 4)),
        auto_resolve=data.draw(st.booleans()),
    )


def _draw_pin_command(
    data: st.DataObject, kind: str, actor: str, source: SlackSource | None
) -> cmd.PinMessage | cmd.UnpinMessage | cmd.RecordMessageEdit | cmd.RecordMessageDeletion:
    """Something done in Slack to one of a few messages: pinned (text known or not), unpinned, edited, deleted."""
    channel, ts = data.draw(PINNABLE)
    about: dict[str, Any] = {"actor": actor, "source": source, "channel_id": channel, "ts": ts}
    match kind:
        case "pin":
            author = data.draw(st.sampled_from([None, BOB]))
            how = data.draw(st.sampled_from(list(PinnedBy)))
            return cmd.PinMessage(**about, author=author, text=data.draw(OPTIONAL_TEXT), pinned_by=how)
        case "unpin":
            return cmd.UnpinMessage(**about)
        case "edit pinned":
            return cmd.RecordMessageEdit(**about, text=data.draw(TEXT))
    return cmd.RecordMessageDeletion(**about)


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
    assert [f.number for f in state.followups] == list(range(1, len(state.followups) + 1))
    # Each message once, however often it was pinned.
    assert len({(p.channel_id, p.ts) for p in state.pinned}) == len(state.pinned)
    assert len(state.pinned) == len({(e.channel_id, e.ts) for e in history if isinstance(e, ev.MessagePinned)})
    # Each alert once, and an alert event only where it changed the alert's state.
    fingerprints = [alert.fingerprint for alert in state.alerts.alerts]
    assert len(set(fingerprints)) == len(fingerprints)
    assert state.alerts.firing + state.alerts.resolved == len(fingerprints)


def _check_postmortem_rules(before: IncidentState, produced: list[ev.Event], policy: PostmortemPolicy) -> None:
    """Written only once the incident is over; closed, when its severity needs one, only with one."""
    if not isinstance(before, Incident):
        return
    if any(isinstance(fact, ev.PostmortemEdited) for fact in produced):
        assert not before.is_open
    if any(isinstance(fact, ev.Closed) for fact in produced) and policy.requires(before.severity):
        assert before.postmortem.missing() == ()


def _decoded(event: ev.Event) -> ev.Event:
    payload = json.loads(json.dumps(encode_payload(event)))
    return decode_event(event.type, payload, actor=event.actor, at=event.at, source=slack_source(event))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_live_state_is_the_replay_of_accepted_events(data: st.DataObject) -> None:
    state: IncidentState = Undeclared(REF)
    history: list[ev.Event] = []
    now = T0
    postmortem = data.draw(st.sampled_from([DEFAULT_POSTMORTEM_POLICY, NONE_REQUIRED]), label="postmortem")
    for _ in range(data.draw(st.integers(1, 40), label="steps")):
        now += timedelta(seconds=data.draw(st.integers(0, 3 * 3600), label="advance"))
        command, now = _draw_command(data, state, now)
        try:
            produced = decide(state, command, now, postmortem=postmortem)
        except DomainError:
            event(f"refused {type(command).__name__}")
            continue
        event(f"accepted {type(command).__name__}")
        assert produced
        _check_postmortem_rules(state, produced, postmortem)
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
