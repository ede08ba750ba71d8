"""Insights on Postgres and SQLite: incidents driven through the real commands at known times, and
every figure checked exactly — medians and p90s of known sets, reopenings, breach rates, the week
buckets at their boundaries, the filters, and no data at all."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import CommandRunner
from bot.views.sla_field import sla_field
from domain.commands import (
    Acknowledge,
    ChangeSeverity,
    Close,
    PostStakeholderUpdate,
    Reopen,
    Resolve,
)
from domain.severity import Severity
from domain.sla import DEFAULT_POLICY, ClockKind, SlaPolicy, SlaWindows
from storage.insights import BreachRate, Insights, InsightsFilter, Spread, WeekCount, read_insights
from tests.builders import T0, at
from tests.storage.helpers import applied
from tests.storage.incident_stories import breach, incident

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # a Wednesday of ISO week 2026-W50
ALICE = "U0ALICE"


async def insights(
    engine: AsyncEngine, workspace: str, policy: SlaPolicy = DEFAULT_POLICY, **wanted: object
) -> Insights:
    chosen = InsightsFilter(workspace, **wanted)  # type: ignore[arg-type]
    return await read_insights(engine, chosen, now=NOW, policy=policy)


async def test_median_and_p90_of_times_to_acknowledge_and_resolve(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    ack, resolve, reopen = Acknowledge(actor=ALICE), Resolve(actor=ALICE), Reopen(actor=ALICE)
    # Acknowledged after 1, 2, 3, 4 and 10 minutes; one never acknowledged.
    await incident(runner, workspace, at(0), (1, ack), (30, resolve))  # resolved after 30 min
    await incident(runner, workspace, at(1), (2, ack), (60, resolve), (90, reopen), (100, resolve))  # 60 + 10
    await incident(runner, workspace, at(2), (3, ack), (20, resolve), (25, reopen))  # reopened: none yet
    await incident(runner, workspace, at(3), (4, ack), (45, resolve), (60 * 24, Close(actor=ALICE)))  # 45
    await incident(
        runner, workspace, at(4), (10, ack), (10, resolve), (20, reopen), (30, resolve), (40, reopen), (50, resolve)
    )  # 10 + 10 + 10
    await incident(runner, workspace, at(5))

    found = await insights(engine, workspace)

    # 60 120 180 240 600: the median is the third; p90 sits at rank 4.6, 0.6 of the way to 600.
    assert found.time_to_ack == Spread(5, 180.0, 240.0 + 0.6 * 360)
    # 1800 1800 2700 4200: the median halfway between ranks 2 and 3; p90 at rank 3.7.
    assert found.time_to_resolve == Spread(4, 2250.0, 2700.0 + 0.7 * 1500)
    assert (found.incidents, found.open_now) == (6, 2)


async def test_time_to_resolve_is_what_the_card_says(engine: AsyncEngine, workspace: str) -> None:
    """Declared, resolved after 25 min 30 s, reopened 2 h later, resolved 1 h 10 min after that."""
    runner = CommandRunner(engine)
    resolve = Resolve(actor=ALICE)
    resolved = await incident(runner, workspace, T0, (25.5, resolve), (145.5, Reopen(actor=ALICE)), (215.5, resolve))
    assert resolved.time_to_resolve == timedelta(hours=1, minutes=35, seconds=30)
    assert "resolved after 1 h 35 min" in sla_field(resolved, NOW)  # the card's SLA field

    found = await insights(engine, workspace)

    assert found.time_to_resolve == Spread(1, 5730.0, 5730.0)


async def test_no_final_resolve_means_no_time_to_resolve_yet(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    await incident(runner, workspace, T0, (5, Resolve(actor=ALICE)), (10, Reopen(actor=ALICE)))
    await incident(runner, workspace, T0)

    found = await insights(engine, workspace)

    assert found.time_to_resolve == Spread(0, None, None)
    assert found.time_to_ack == Spread(1, 300.0, 300.0)  # resolving acknowledged the first
    assert found.open_now == 2


async def test_breach_rate_per_clock(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    ack = Acknowledge(actor=ALICE)
    sev1 = await incident(runner, workspace, T0, severity=Severity.SEV1)
    await runner.execute(sev1.ref, breach(ClockKind.ACK, sev1.clocks.ack_due_at), now=at(5))
    await runner.execute(sev1.ref, ack, now=at(6))
    sev2 = await incident(runner, workspace, T0, (1, ack))
    await runner.execute(sev2.ref, breach(ClockKind.UPDATE, sev2.clocks.update_due_at), now=at(61))
    # Breached its update clock as a SEV2, then lowered to SEV4, which has no update clock.
    lowered = await incident(runner, workspace, T0, (1, ack))
    await runner.execute(lowered.ref, breach(ClockKind.UPDATE, lowered.clocks.update_due_at), now=at(61))
    await runner.execute(lowered.ref, ChangeSeverity(actor=ALICE, severity=Severity.SEV4), now=at(62))
    await incident(runner, workspace, T0, (1, ack), severity=Severity.SEV4)
    # Its ack clock breached twice (the reminder repeats): one breached incident all the same.
    sev3 = await incident(runner, workspace, T0, severity=Severity.SEV3)
    first = applied(await runner.execute(sev3.ref, breach(ClockKind.ACK, sev3.clocks.ack_due_at), now=at(60)))
    await runner.execute(sev3.ref, breach(ClockKind.ACK, first.after.clocks.ack_due_at), now=at(120))
    await runner.execute(sev3.ref, ack, now=at(121))
    await runner.execute(sev3.ref, PostStakeholderUpdate(actor=ALICE, text="Still on it.", model=None), now=at(122))
    await runner.execute(sev3.ref, breach(ClockKind.RESOLVE, sev3.clocks.resolve_due_at), now=at(days=3))

    found = await insights(engine, workspace)

    assert found.breaches == (
        BreachRate(ClockKind.ACK, breached=2, applied=5),
        # SEV1, SEV2, SEV2 and SEV3 have an update clock; the one lowered to SEV4 breached it.
        BreachRate(ClockKind.UPDATE, breached=2, applied=4),
        BreachRate(ClockKind.RESOLVE, breached=1, applied=5),
    )
    assert [rate.rate for rate in found.breaches] == [0.4, 0.5, 0.2]
    assert dict(found.by_severity) == {Severity.SEV1: 1, Severity.SEV2: 1, Severity.SEV3: 1, Severity.SEV4: 2}


async def test_a_clock_a_catalog_service_turns_off_did_not_apply_to_its_incidents(
    engine: AsyncEngine, workspace: str
) -> None:
    runner = CommandRunner(engine)
    quiet = SlaWindows(ack=timedelta(minutes=5), update=None, resolve=None)
    policy = SlaPolicy(DEFAULT_POLICY.windows, services={"batch": {Severity.SEV2: quiet}})
    await incident(runner, workspace, T0, service="Batch")  # the catalog key, however it was typed
    await incident(runner, workspace, T0, service="web")

    found = await insights(engine, workspace, policy)

    assert found.breaches == (
        BreachRate(ClockKind.ACK, breached=0, applied=2),
        BreachRate(ClockKind.UPDATE, breached=0, applied=1),
        BreachRate(ClockKind.RESOLVE, breached=0, applied=1),
    )


async def test_counts_per_severity_service_and_week_at_the_week_boundaries(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    second = timedelta(seconds=1)
    first_monday = datetime(2026, 9, 21, tzinfo=UTC)  # 2026-W39, the first of the 12 weeks shown
    last_monday = datetime(2026, 12, 7, tzinfo=UTC)  # 2026-W50, the week of NOW
    await incident(runner, workspace, first_monday - second, severity=Severity.SEV1, service="api")  # before them
    await incident(runner, workspace, first_monday, severity=Severity.SEV1, service="api")
    await incident(runner, workspace, last_monday - second, (1, Resolve(actor=ALICE)), service="web")
    await incident(runner, workspace, last_monday, service="api")
    await incident(runner, workspace, NOW, (0, Resolve(actor=ALICE)), (1, Close(actor=ALICE)), severity=Severity.SEV3)

    found = await insights(engine, workspace)

    assert found.incidents == 5
    assert found.open_now == 3
    assert found.by_severity == ((Severity.SEV1, 2), (Severity.SEV2, 2), (Severity.SEV3, 1), (Severity.SEV4, 0))
    assert found.by_service == (("api", 3), ("web", 1), (None, 1))
    assert [week.label for week in found.by_week] == [f"2026-W{week}" for week in range(39, 51)]
    assert found.by_week[0] == WeekCount(date(2026, 9, 21), 1)
    assert [week.count for week in found.by_week] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]


async def test_filters_choose_the_incidents_every_figure_counts(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    ack = Acknowledge(actor=ALICE)
    await incident(runner, workspace, at(days=-1), (1, ack), severity=Severity.SEV1, service="api")
    await incident(runner, workspace, T0, (2, ack), severity=Severity.SEV1, service="api")
    await incident(runner, workspace, T0, (3, ack), severity=Severity.SEV2, service="api")
    await incident(runner, workspace, at(days=1), (4, ack), severity=Severity.SEV1, service="web")

    api_sev1 = await insights(engine, workspace, severities=frozenset({Severity.SEV1}), service="api")
    assert (api_sev1.incidents, api_sev1.time_to_ack) == (2, Spread(2, 90.0, 114.0))
    assert api_sev1.by_service == (("api", 2),)

    one_day = await insights(engine, workspace, declared_from=T0, declared_before=at(days=1))
    assert (one_day.incidents, one_day.time_to_ack) == (2, Spread(2, 150.0, 174.0))
    # The weeks shown end with the range: T0 is in 2026-W48.
    assert one_day.by_week[-1] == WeekCount(date(2026, 11, 23), 2)

    severe = await insights(engine, workspace, severities=frozenset({Severity.SEV1, Severity.SEV2}))
    assert severe.incidents == 4


async def test_no_incidents_is_no_data_not_zero_durations(engine: AsyncEngine, workspace: str) -> None:
    found = await insights(engine, workspace)

    assert found.incidents == found.open_now == 0
    assert found.time_to_ack == found.time_to_resolve == Spread(0, None, None)
    assert [(rate.breached, rate.applied, rate.rate) for rate in found.breaches] == [(0, 0, None)] * 3
    assert found.by_service == ()
    assert [count for _, count in found.by_severity] == [0, 0, 0, 0]
    assert [week.count for week in found.by_week] == [0] * 12
