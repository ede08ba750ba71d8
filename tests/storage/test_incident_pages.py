"""The console's list query on Postgres and SQLite: incidents declared through the real commands at
known times, every filter, and paging that neither skips nor repeats while incidents are declared."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import CommandRunner
from domain.commands import SYSTEM_ACTOR, Assign, Close, RecordSlaBreach, Resolve
from domain.incident import IncidentRef
from domain.severity import Severity
from domain.sla import ClockKind
from storage.incident_pages import (
    Commander,
    Cursor,
    IncidentFilter,
    IncidentPage,
    StatusFilter,
    incident_page,
)
from tests.builders import at
from tests.storage.helpers import applied, declare_command


async def declare(
    runner: CommandRunner,
    workspace: str,
    when: datetime,
    *,
    title: str = "Checkout is failing",
    severity: Severity = Severity.SEV2,
    service: str | None = None,
) -> IncidentRef:
    command = replace(declare_command(title), severity=severity, service=service)
    return applied(await runner.declare(workspace, command, now=when)).after.ref


def numbers(page: IncidentPage) -> list[int]:
    return [row.stored.incident.ref.number for row in page.rows]


async def every_page(engine: AsyncEngine, wanted: IncidentFilter, size: int) -> list[list[int]]:
    pages, after = [], None
    while True:
        page = await incident_page(engine, wanted, after, size)
        pages.append(numbers(page))
        if page.next is None:
            return pages
        after = page.next


@pytest.fixture
async def story(engine: AsyncEngine, workspace: str) -> CommandRunner:
    """INC-1…INC-6, an hour apart from T0:
    1 SEV1 "Checkout is failing" (checkout), resolved, then closed; its ack clock breached first
    2 SEV2 "Login 50% errors" (auth), resolved
    3 SEV3 "checkout_v2 slow" (checkout), commanded by UBOB
    4 SEV2 "Payments down" (no service), commanded by UALICE
    5 SEV4 "Search stale" (search)
    6 SEV1 "CHECKOUT latency" (checkout), commanded by UALICE
    """
    runner = CommandRunner(engine)
    facts = [
        ("Checkout is failing", Severity.SEV1, "checkout"),
        ("Login 50% errors", Severity.SEV2, "auth"),
        ("checkout_v2 slow", Severity.SEV3, "checkout"),
        ("Payments down", Severity.SEV2, None),
        ("Search stale", Severity.SEV4, "search"),
        ("CHECKOUT latency", Severity.SEV1, "checkout"),
    ]
    refs = [
        await declare(runner, workspace, at(hours=hour), title=title, severity=severity, service=service)
        for hour, (title, severity, service) in enumerate(facts)
    ]
    ack_due = at(5)  # SEV1: acknowledge within 5 minutes
    breach = RecordSlaBreach(actor=SYSTEM_ACTOR, kind=ClockKind.ACK, due_at=ack_due)
    applied(await runner.execute(refs[0], breach, now=at(6)))
    applied(await runner.execute(refs[0], Resolve(actor="UBOB"), now=at(30)))
    applied(await runner.execute(refs[0], Close(actor="UBOB"), now=at(40)))
    applied(await runner.execute(refs[1], Resolve(actor="UBOB"), now=at(hours=1, minutes=30)))
    applied(await runner.execute(refs[2], Assign(actor="UBOB", commander="UBOB"), now=at(hours=3)))
    applied(await runner.execute(refs[3], Assign(actor="UBOB", commander="UALICE"), now=at(hours=4)))
    applied(await runner.execute(refs[5], Assign(actor="UBOB", commander="UALICE"), now=at(hours=6)))
    return runner


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, [6, 5, 4, 3]),  # open, newest first
        ({"status": StatusFilter.RESOLVED}, [2]),
        ({"status": StatusFilter.CLOSED}, [1]),
        ({"status": StatusFilter.ALL}, [6, 5, 4, 3, 2, 1]),
        ({"status": StatusFilter.ALL, "severities": frozenset({Severity.SEV1})}, [6, 1]),
        ({"severities": frozenset({Severity.SEV2, Severity.SEV4})}, [5, 4]),
        ({"status": StatusFilter.ALL, "service": "checkout"}, [6, 3, 1]),
        ({"service": "Checkout"}, []),  # a service is named exactly
        ({"commander": Commander("UALICE")}, [6, 4]),
        ({"commander": Commander(None)}, [5]),  # nobody commands it
        ({"status": StatusFilter.ALL, "title": "checkout"}, [6, 3, 1]),  # any case, anywhere in the title
        ({"status": StatusFilter.ALL, "title": "50%"}, [2]),  # % and _ are the text, not wildcards
        ({"status": StatusFilter.ALL, "title": "t_v"}, [3]),
        ({"status": StatusFilter.ALL, "title": "t%v"}, []),
        ({"status": StatusFilter.ALL, "declared_from": at(hours=1), "declared_before": at(hours=3)}, [3, 2]),
        ({"status": StatusFilter.ALL, "declared_from": at(hours=4, seconds=1)}, [6]),
        (
            {
                "status": StatusFilter.ALL,
                "severities": frozenset({Severity.SEV1}),
                "service": "checkout",
                "commander": Commander("UALICE"),
                "title": "LATENCY",
                "declared_from": at(hours=5),
            },
            [6],
        ),
    ],
)
async def test_each_filter_selects_its_incidents_newest_first(
    engine: AsyncEngine, workspace: str, story: CommandRunner, changes: dict[str, object], expected: list[int]
) -> None:
    wanted = replace(IncidentFilter(workspace), **changes)  # type: ignore[arg-type]
    page = await incident_page(engine, wanted)
    assert numbers(page) == expected
    assert page.next is None


async def test_rows_carry_the_incident_and_what_the_scheduler_saw_breached(
    engine: AsyncEngine, workspace: str, story: CommandRunner
) -> None:
    page = await incident_page(engine, IncidentFilter(workspace, StatusFilter.ALL))
    rows = {row.stored.incident.ref.number: row for row in page.rows}
    assert rows[1].breached == {ClockKind.ACK}
    assert rows[1].stored.incident.resolved_at == at(30)
    assert rows[2].breached == frozenset()
    assert rows[6].stored.incident.commander == "UALICE"
    assert rows[6].stored.home_ts == rows[6].stored.incident.thread_ts


async def test_another_workspace_sees_none_of_them(engine: AsyncEngine, workspace: str, story: CommandRunner) -> None:
    page = await incident_page(engine, IncidentFilter("TELSEWHERE" + workspace, StatusFilter.ALL))
    assert page.rows == ()


async def test_pages_neither_skip_nor_repeat_while_incidents_are_declared(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    # Three at one moment: a page may end between two incidents declared at the same time.
    moments = [at(0), at(1), at(2), at(2), at(2), at(3), at(4)]
    for when in moments:
        await declare(runner, workspace, when)
    wanted = IncidentFilter(workspace)

    first = await incident_page(engine, wanted, size=3)
    assert numbers(first) == [7, 6, 5]
    await declare(runner, workspace, at(10))  # INC-8, newer than all: it belongs before the first page
    assert first.next is not None
    second = await incident_page(engine, wanted, first.next, size=3)
    assert numbers(second) == [4, 3, 2]
    await declare(runner, workspace, at(11))
    assert second.next is not None
    last = await incident_page(engine, wanted, second.next, size=3)
    assert numbers(last) == [1]
    assert last.next is None

    assert await every_page(engine, wanted, size=3) == [[9, 8, 7], [6, 5, 4], [3, 2, 1]]
    assert await every_page(engine, wanted, size=9) == [[9, 8, 7, 6, 5, 4, 3, 2, 1]]


async def test_a_cursor_past_every_incident_gives_an_empty_last_page(engine: AsyncEngine, workspace: str) -> None:
    await declare(CommandRunner(engine), workspace, at(0))
    page = await incident_page(engine, IncidentFilter(workspace), Cursor(at(-1), 1))
    assert page == IncidentPage(())


def test_a_cursor_reads_back_what_it_wrote_and_nothing_else() -> None:
    cursor = Cursor(at(hours=3, seconds=0.25), 1234)
    assert Cursor.parse(str(cursor)) == cursor
    assert Cursor.parse(str(Cursor(at(), 1))).declared_at == at()
    for bad in ("", "abc", "12", "-5-3", "1.5-3", "1-", "1-2-3", "9" * 30 + "-1", "１２-3", "12-3\n"):
        with pytest.raises(ValueError, match="is not a page cursor"):
            Cursor.parse(bad)


def test_a_title_search_has_a_length_limit() -> None:
    with pytest.raises(ValueError, match="at most 200"):
        IncidentFilter("T1", title="x" * 201)
    assert IncidentFilter("T1", title="x" * 200).title == "x" * 200


async def test_a_title_search_is_text_however_it_is_quoted(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    await declare(runner, workspace, at(0), title="It's down \\ again; --")
    await declare(runner, workspace, at(1), title="Its down again")
    for text in ("'s DOWN \\", "; --", "'"):
        page = await incident_page(engine, IncidentFilter(workspace, title=text))
        assert numbers(page) == [1], text
    assert numbers(await incident_page(engine, IncidentFilter(workspace, title="its down"))) == [2]
