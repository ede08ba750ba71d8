"""A catalog service's SLA overrides (SPEC §13) and its runbook steps, marked once each."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import events as ev
from domain.commands import (
    Acknowledge,
    ChangeSeverity,
    Close,
    CompleteRunbookStep,
    PostStakeholderUpdate,
    RecordSlaBreach,
    Reopen,
    Resolve,
)
from domain.errors import InvalidValue
from domain.services import RunbookMark, Service, ServiceCatalog
from domain.severity import Severity
from domain.sla import DEFAULT_POLICY, ClockKind, SlaClocks, SlaPolicy, SlaWindows
from tests.builders import at, declared
from tests.domain.paths import ALICE, BOB

# checkout: SEV1 acked within 2 min, updated every 10, resolved within 1 h; SEV3 no update clock.
CHECKOUT_SLA = {
    Severity.SEV1: SlaWindows(ack=timedelta(minutes=2), update=timedelta(minutes=10), resolve=timedelta(hours=1)),
    Severity.SEV3: SlaWindows(ack=timedelta(minutes=30), update=None, resolve=timedelta(days=1)),
}
POLICY = SlaPolicy(DEFAULT_POLICY.windows, services={"checkout": CHECKOUT_SLA})


def test_a_catalog_service_declares_with_its_own_windows() -> None:
    run = declared(severity=Severity.SEV1, service="checkout", policy=POLICY)
    assert run.incident.clocks == SlaClocks(at(minutes=2), at(minutes=10), at(hours=1))


def test_a_severity_the_service_does_not_override_keeps_the_defaults() -> None:
    run = declared(severity=Severity.SEV2, service="checkout", policy=POLICY)
    assert run.incident.clocks == SlaClocks(at(minutes=15), at(hours=1), at(hours=8))


@pytest.mark.parametrize("service", [None, "search", "a service nobody listed"])
def test_other_and_free_text_services_keep_the_defaults(service: str | None) -> None:
    run = declared(severity=Severity.SEV1, service=service, policy=POLICY)
    assert run.incident.clocks == SlaClocks(at(minutes=5), at(minutes=30), at(hours=4))


def test_the_key_is_matched_as_people_type_it() -> None:
    run = declared(severity=Severity.SEV1, service="Checkout", policy=POLICY)
    assert run.incident.clocks.ack_due_at == at(minutes=2)


def test_a_severity_change_recomputes_with_the_services_windows() -> None:
    """Declared SEV3 at T0 (ack 30 min, no update clock), raised to SEV1 at T0+1 min: the checkout
    SEV1 windows from the declaration, 2 min to ack, 10 to update, 1 h to resolve."""
    run = declared(severity=Severity.SEV3, service="checkout", policy=POLICY)
    assert run.incident.clocks == SlaClocks(at(minutes=30), None, at(days=1))
    run.do(ChangeSeverity(actor=ALICE, severity=Severity.SEV1), at(minutes=1))
    assert run.incident.clocks == SlaClocks(at(minutes=2), at(minutes=10), at(hours=1))
    run.do(ChangeSeverity(actor=ALICE, severity=Severity.SEV2), at(minutes=3))
    assert run.incident.clocks == SlaClocks(at(minutes=15), at(hours=1), at(hours=8))


def test_repeats_updates_and_reopening_follow_the_services_windows() -> None:
    run = declared(severity=Severity.SEV1, service="checkout", policy=POLICY)
    run.do(RecordSlaBreach(actor="system", kind=ClockKind.ACK, due_at=at(minutes=2)), at(minutes=3))
    assert run.incident.clocks.ack_due_at == at(minutes=5)
    run.do(Acknowledge(actor=BOB), at(minutes=4))
    run.do(PostStakeholderUpdate(actor=BOB, text="Looking", model=None), at(minutes=6))
    assert run.incident.clocks.update_due_at == at(minutes=16)
    run.do(Resolve(actor=BOB), at(minutes=20))
    run.do(Reopen(actor=BOB, reason=None), at(minutes=30))
    assert run.incident.clocks == SlaClocks(None, at(minutes=40), at(hours=1, minutes=30))


def test_the_catalog_finds_services_by_key_only() -> None:
    checkout = Service(key="checkout", name="Checkout", owner="S0PAY")
    catalog = ServiceCatalog({"checkout": checkout})
    assert catalog.get("checkout") == checkout
    assert catalog.get(" CHECKOUT ") == checkout
    assert catalog.get("Checkout page") is None
    assert catalog.get(None) is None
    assert checkout.owner_mention == "<!subteam^S0PAY>"
    assert Service(key="x", name="X", owner="U0BOB").owner_mention == "<@U0BOB>"
    assert Service(key="x", name="X").owner_mention is None


def _step(step: int, actor: str = ALICE) -> CompleteRunbookStep:
    return CompleteRunbookStep(actor=actor, step=step, text=f"Step {step}")


def test_a_done_step_is_on_the_timeline_with_who_and_when() -> None:
    run = declared(service="checkout")
    events = run.do(_step(2), at(minutes=3))
    assert [type(event) for event in events] == [ev.RunbookStepDone]
    run.do(_step(1, BOB), at(minutes=5))
    assert run.incident.runbook == (
        RunbookMark(1, "Step 1", BOB, at(minutes=5)),
        RunbookMark(2, "Step 2", ALICE, at(minutes=3)),
    )


def test_done_twice_is_a_no_op() -> None:
    run = declared(service="checkout")
    run.do(_step(1), at(minutes=3))
    before = run.incident
    assert run.do(_step(1, BOB), at(minutes=4)) == []
    assert run.incident == before


def test_steps_can_be_marked_after_resolving_but_not_once_closed() -> None:
    run = declared(service="checkout")
    run.do(Resolve(actor=BOB), at(minutes=3))
    run.do(_step(1), at(minutes=4))
    run.do(Close(actor=BOB), at(minutes=5))
    run.refuse(_step(2), at(minutes=6), InvalidValue)
    run.refuse(CompleteRunbookStep(actor=ALICE, step=0, text="x"), at(minutes=6), InvalidValue)
