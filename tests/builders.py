"""What the tests build incidents with and read cards by, written once: the start time and moments
after it, the Declare command, an incident story driven by real commands (decided, then folded, its
events numbered as the event store numbers them) and readers of a card as Slack shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict, Unpack

import pytest

from bot.local_slack import Message
from bot.local_slack.payloads import find_control
from domain import events as ev
from domain.alerts import AlertLink, AlertNotification, AlertSignal, AlertStatus
from domain.commands import AnyCommand, Declare, RecordAlerts
from domain.decide import decide
from domain.errors import DomainError
from domain.evolve import evolve
from domain.incident import Incident, IncidentRef, IncidentState, Undeclared
from domain.postmortem import NONE_REQUIRED, PostmortemPolicy
from domain.severity import Severity
from domain.sla import DEFAULT_POLICY, SlaPolicy
from storage.stored import RecordedEvent

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
"""When every test incident is declared, unless a test says otherwise."""
REF = IncidentRef("T0001", 42)
REPORTER = "U0REPORTER"
CHANNEL = "C0INCIDENTS"
THREAD_TS = "1700000000.000100"


def at(minutes: float = 0, *, days: float = 0, hours: float = 0, seconds: float = 0) -> datetime:
    """A moment measured from :data:`T0`."""
    return T0 + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


class DeclareDetails(TypedDict, total=False):
    """What a test may set on a Declare besides its title and severity."""

    actor: str
    channel_id: str
    thread_ts: str | None
    description: str
    service: str | None


def declare_command(
    title: str = "Checkout is failing", *, severity: Severity = Severity.SEV2, **details: Unpack[DeclareDetails]
) -> Declare:
    """``REPORTER`` declares in ``CHANNEL``'s thread ``THREAD_TS`` unless ``details`` say otherwise."""
    defaults: DeclareDetails = {"actor": REPORTER, "channel_id": CHANNEL, "thread_ts": THREAD_TS}
    return Declare(title=title, severity=severity, **(defaults | details))


# ---------------------------------------------------------------------- an incident's story
@dataclass
class Story:
    """An incident driven through real commands: decide, then fold each event with evolve; its
    history numbered 1, 2, 3… like the event store's. ``at`` is when the last command was done."""

    state: IncidentState
    policy: SlaPolicy = DEFAULT_POLICY
    history: list[RecordedEvent] = field(default_factory=list)
    at: datetime = T0
    postmortem: PostmortemPolicy = NONE_REQUIRED

    def do(self, command: AnyCommand, now: datetime | None = None) -> list[ev.Event]:
        """Do ``command`` at ``now`` (a minute after the last command unless given); its events."""
        self.at = now if now is not None else self.at + timedelta(minutes=1)
        produced = decide(self.state, command, self.at, self.policy, self.postmortem)
        for event in produced:
            self.state = evolve(self.state, event)
            self.history.append(RecordedEvent(len(self.history) + 1, event))
        return produced

    def then(self, command: AnyCommand, *, minutes: float = 1) -> Story:
        """:meth:`do` ``minutes`` after the last command, for telling a story in one expression."""
        self.do(command, self.at + timedelta(minutes=minutes))
        return self

    def refuse(self, command: AnyCommand, now: datetime, error: type[DomainError]) -> DomainError:
        """Assert the command is refused with ``error`` and that nothing changed."""
        before, count = self.state, len(self.history)
        with pytest.raises(error) as caught:
            self.do(command, now)
        assert self.state == before
        assert len(self.history) == count
        assert caught.value.message == str(caught.value)
        return caught.value

    @property
    def events(self) -> list[ev.Event]:
        return [item.event for item in self.history]

    @property
    def timeline(self) -> list[tuple[int, ev.Event]]:
        """``(seq, event)`` pairs, oldest first, as the timeline verb lists them."""
        return [(item.seq, item.event) for item in self.history]

    @property
    def incident(self) -> Incident:
        assert isinstance(self.state, Incident), f"{self.state} is not declared"
        return self.state


def declared(
    title: str = "Checkout is failing",
    *,
    severity: Severity = Severity.SEV2,
    ref: IncidentRef = REF,
    now: datetime = T0,
    policy: SlaPolicy = DEFAULT_POLICY,
    **details: Unpack[DeclareDetails],
) -> Story:
    """A story whose incident was declared at ``now``."""
    story = Story(Undeclared(ref), policy)
    story.do(declare_command(title, severity=severity, **details), now)
    return story


# ---------------------------------------------------------------------- alerts
FIRING = AlertStatus.FIRING
RESOLVED = AlertStatus.RESOLVED
GROUP = '{}/{team="payments"}:{alertname="HighLatency"}'


def alert(fingerprint: str, status: AlertStatus = FIRING, *, name: str = "HighLatency", **labels: str) -> AlertSignal:
    """One alert as a receiver normalises it; ``labels`` beside its ``alertname``."""
    pairs = tuple(sorted({"alertname": name, **labels}.items()))
    link = AlertLink(f"https://prometheus.example/graph?g0.expr={name}", "Source")
    return AlertSignal(fingerprint, status, pairs, name, starts_at=T0, ends_at=None, links=(link,))


def alert_notification(
    *alerts: AlertSignal, group_key: str = GROUP, source: str = "alertmanager", service: str | None = None
) -> AlertNotification:
    return AlertNotification(source=source, group_key=group_key, alerts=alerts, service=service)


def record_alerts(
    *alerts: AlertSignal, group_key: str = GROUP, escalate_at: int = 20, auto_resolve: bool = False
) -> RecordAlerts:
    """What an alert notification asks of the incident it reached."""
    return RecordAlerts(
        actor="alertmanager", group_key=group_key, signals=alerts, escalate_at=escalate_at, auto_resolve=auto_resolve
    )


# ---------------------------------------------------------------------- reading a card
def card_field(card: Message, name: str) -> str:
    """The value of one of the card's fields, e.g. ``card_field(card, "Severity") == "SEV1 · critical"``."""
    for block in card.blocks or []:
        for item in block.get("fields", []) if block.get("type") == "section" else []:
            label, _, value = str(item["text"]).partition("\n")
            if label == f"*{name}*":
                return value
    raise AssertionError(f"the card has no {name!r} field: {card.blocks}")


def card_header(card: Message) -> str:
    assert card.blocks, "the card has no blocks"
    assert card.blocks[0]["type"] == "header"
    return str(card.blocks[0]["text"]["text"])


def controls(message: Message) -> list[str]:
    """The action_ids of ``message``'s buttons and menus, in order."""
    return [
        element["action_id"]
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


def card_control(card: Message, action_id: str) -> dict[str, Any]:
    """The button or menu ``action_id`` on the card."""
    assert action_id in controls(card), f"no control {action_id} on the card: {controls(card)}"
    return dict(find_control(card.blocks, action_id)[1])


def card_context(card: Message) -> list[str]:
    return [
        str(element.get("text", ""))
        for block in card.blocks or []
        if block.get("type") == "context"
        for element in block.get("elements", [])
    ]
