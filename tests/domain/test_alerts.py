"""Alerts on an incident (SPEC §11): routing and severity mapping, per-alert firing and resolved
events, repeats that change nothing, the all-resolved question (once, re-armed by a new firing
alert), the escalation suggestion (once), and auto_resolve only when configured."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain import events as ev
from domain.alert_rules import AUTO_RESOLVED_SUMMARY
from domain.alerts import AlertRoute, AlertRouting, AlertStatus, SeverityMapping, route
from domain.commands import SYSTEM_ACTOR, AddNote, Close, Resolve
from domain.errors import InvalidTransition, NothingToChange
from domain.lifecycle import Status
from domain.severity import Severity
from tests.builders import GROUP, RESOLVED, alert, alert_notification, at, declared, record_alerts
from tests.domain.paths import ALICE

PAYMENTS = AlertRoute(match=(("team", "payments"),), service="payments", channel="C0PAYMENTS")


@pytest.mark.parametrize(
    ("label", "severity"),
    [
        ("critical", Severity.SEV1),
        ("error", Severity.SEV2),
        ("HIGH", Severity.SEV2),
        ("warning", Severity.SEV3),
        ("info", Severity.SEV4),
        (None, Severity.SEV4),
    ],
)
def test_the_default_mapping_reads_the_severity_label(label: str | None, severity: Severity) -> None:
    signal = alert("fp1", severity=label) if label else alert("fp1")
    routed = route(AlertRouting(channel="C0ALERTS"), alert_notification(signal))
    assert routed.severity is severity
    assert routed.channel == "C0ALERTS"


def test_a_route_matching_every_label_gives_service_channel_and_its_mapping() -> None:
    fixed = AlertRoute(
        match=PAYMENTS.match, service="payments", channel="C0PAYMENTS", severity=SeverityMapping(fixed=Severity.SEV2)
    )
    routing = AlertRouting(channel="C0ALERTS", routes=(AlertRoute(match=(("team", "search"),)), fixed))
    routed = route(routing, alert_notification(alert("fp1", team="payments", severity="critical")))
    assert (routed.service, routed.channel, routed.severity) == ("payments", "C0PAYMENTS", Severity.SEV2)
    unmatched = route(routing, alert_notification(alert("fp1", team="ads", service="ads-api")))
    assert (unmatched.service, unmatched.channel, unmatched.severity) == ("ads-api", "C0ALERTS", Severity.SEV4)


def test_the_worst_firing_alert_decides_and_a_generic_severity_wins() -> None:
    routing = AlertRouting(channel="C0ALERTS", routes=(PAYMENTS,))
    notification = alert_notification(
        alert("fp1", team="payments", severity="warning"),
        alert("fp2", team="payments", severity="critical"),
        alert("fp3", RESOLVED, severity="critical"),
    )
    assert route(routing, notification).severity is Severity.SEV1
    mapped = SeverityMapping(label="priority", values=(("p1", Severity.SEV1),))
    assert (
        route(AlertRouting(severity=mapped), alert_notification(alert("fp1", priority="P1"))).severity is Severity.SEV1
    )
    generic = alert_notification(alert("fp1", severity="critical"), source="generic", service="billing")
    routed = route(routing, replace(generic, severity=Severity.SEV3))
    assert (routed.severity, routed.service) == (Severity.SEV3, "billing")


def test_each_alert_fires_and_resolves_once_and_repeats_change_nothing() -> None:
    run = declared()
    fired = run.do(record_alerts(alert("fp1"), alert("fp2"), alert("fp1")), at(1))
    assert [type(e) for e in fired] == [ev.AlertFired, ev.AlertFired]
    assert (run.incident.alerts.firing, run.incident.alerts.resolved) == (2, 0)
    # An Alertmanager resend, an HA pair's twin: nothing new.
    run.refuse(record_alerts(alert("fp1"), alert("fp2")), at(2), NothingToChange)
    # A resolution of an alert this incident never saw firing says nothing.
    run.refuse(record_alerts(alert("fp9", RESOLVED)), at(3), NothingToChange)
    resolved = run.do(record_alerts(alert("fp1", RESOLVED), alert("fp2")), at(4))
    assert [type(e) for e in resolved] == [ev.AlertResolved]
    run.refuse(record_alerts(alert("fp1", RESOLVED)), at(5), NothingToChange)
    again = run.do(record_alerts(alert("fp1")), at(6))
    assert [type(e) for e in again] == [ev.AlertFired]
    assert [a.status for a in run.incident.alerts.alerts] == [AlertStatus.FIRING, AlertStatus.FIRING]
    assert run.incident.alerts.groups == (GROUP,)


def test_all_resolved_asks_once_and_a_new_firing_alert_rearms_it() -> None:
    run = declared()
    run.do(record_alerts(alert("fp1"), alert("fp2")), at(1))
    partly = run.do(record_alerts(alert("fp1", RESOLVED)), at(2))
    assert not any(isinstance(e, ev.AlertsAllResolved) for e in partly)
    done = run.do(record_alerts(alert("fp2", RESOLVED)), at(3))
    assert [type(e) for e in done] == [ev.AlertResolved, ev.AlertsAllResolved]
    assert done[-1].actor == SYSTEM_ACTOR
    assert run.incident.status is Status.DECLARED  # asked, never resolved by itself
    run.do(record_alerts(alert("fp3")), at(4))
    again = run.do(record_alerts(alert("fp3", RESOLVED)), at(5))
    assert [type(e) for e in again] == [ev.AlertResolved, ev.AlertsAllResolved]


def test_no_question_once_a_person_resolved_it() -> None:
    run = declared()
    run.do(record_alerts(alert("fp1")), at(1))
    run.do(Resolve(actor=ALICE, summary="Rolled back"), at(2))
    late = run.do(record_alerts(alert("fp1", RESOLVED)), at(3))
    assert [type(e) for e in late] == [ev.AlertResolved]
    run.do(AddNote(actor=ALICE, text="done"), at(4))
    run.do(Close(actor=ALICE), at(5))
    run.refuse(record_alerts(alert("fp2")), at(6), InvalidTransition)


def test_auto_resolve_resolves_with_the_system_and_says_why() -> None:
    run = declared()
    run.do(record_alerts(alert("fp1"), auto_resolve=True), at(1))
    events = run.do(record_alerts(alert("fp1", RESOLVED), auto_resolve=True), at(2))
    assert [type(e) for e in events] == [ev.AlertResolved, ev.Acknowledged, ev.Resolved]
    assert all(e.actor == SYSTEM_ACTOR for e in events[1:])
    assert run.incident.status is Status.RESOLVED
    assert run.incident.resolution_summary == AUTO_RESOLVED_SUMMARY


def test_escalation_is_suggested_once_past_escalate_at_below_sev1() -> None:
    run = declared(severity=Severity.SEV3)
    below = run.do(record_alerts(alert("fp1"), alert("fp2"), escalate_at=3), at(1))
    assert not any(isinstance(e, ev.EscalationSuggested) for e in below)
    reached = run.do(record_alerts(alert("fp3"), escalate_at=3), at(2))
    assert isinstance(reached[-1], ev.EscalationSuggested)
    assert reached[-1].firing == 3
    more = run.do(record_alerts(alert("fp4"), escalate_at=3), at(3))
    assert not any(isinstance(e, ev.EscalationSuggested) for e in more)

    critical = declared(severity=Severity.SEV1)
    many = critical.do(record_alerts(*(alert(f"fp{n}") for n in range(5)), escalate_at=3), at(1))
    assert not any(isinstance(e, ev.EscalationSuggested) for e in many)
