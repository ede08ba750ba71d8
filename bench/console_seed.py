"""A workspace's history for the console benchmark: incidents declared over two years, each driven
through the domain's own commands (decide, then evolve: the projection is what its timeline folds
to), then copied into Postgres in bulk. Deterministic for a given count."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from domain import commands as cmd
from domain.decide import decide
from domain.errors import DomainError
from domain.evolve import evolve
from domain.incident import Incident, IncidentRef, IncidentState, Undeclared
from domain.lifecycle import Status
from domain.severity import Severity
from storage.rows import event_rows, incident_values
from storage.stored import RecordedEvent

SERVICES = tuple(f"service-{n:02d}" for n in range(20))
PEOPLE = tuple(f"U0BENCH{n:03d}" for n in range(50))
CHANNELS = tuple(f"C0BENCH{n:02d}" for n in range(10))
SPAN = timedelta(days=730)
STILL_OPEN = 60  # the newest incidents are still being worked on


@dataclass
class Story:
    state: IncidentState
    at: datetime
    history: list[RecordedEvent] = field(default_factory=list)

    def do(self, command: cmd.AnyCommand, after: timedelta) -> None:
        self.at += after
        try:
            events = decide(self.state, command, self.at)
        except DomainError:
            return  # e.g. a severity change to the severity in force: the seed just moves on
        for event in events:
            self.state = evolve(self.state, event)
            self.history.append(RecordedEvent(len(self.history) + 1, event))


def stories(workspace: str, count: int, end: datetime) -> Iterator[tuple[Incident, list[RecordedEvent]]]:
    rng = random.Random(count)  # noqa: S311 - made-up history, not a secret
    start = end - SPAN
    for number in range(1, count + 1):
        declared_at = start + SPAN * (number / (count + 1))
        story = Story(Undeclared(IncidentRef(workspace, number)), declared_at)
        reporter = rng.choice(PEOPLE)
        story.do(
            cmd.Declare(
                actor=reporter,
                title=f"{rng.choice(('Checkout', 'Login', 'Search', 'Payments', 'Exports'))} "
                f"{rng.choice(('is failing', 'is slow', 'returns errors', 'times out'))} #{number}",
                severity=Severity(rng.choice((1, 2, 2, 3, 3, 3, 4, 4))),
                channel_id=rng.choice(CHANNELS),
                thread_ts=f"{int(declared_at.timestamp())}.{number % 1_000_000:06d}",
                description="Customers report errors.",
                service=rng.choice(SERVICES),
            ),
            timedelta(0),
        )
        if count - number < STILL_OPEN:
            story.do(cmd.AddNote(actor=reporter, text="looking"), timedelta(minutes=1))
        else:
            _worked(story, rng)
        assert isinstance(story.state, Incident)
        yield story.state, story.history


def _worked(story: Story, rng: random.Random) -> None:
    commander = rng.choice(PEOPLE)
    story.do(cmd.Acknowledge(actor=commander), timedelta(minutes=rng.uniform(0.5, 20)))
    story.do(cmd.Assign(actor=commander, commander=commander), timedelta(seconds=30))
    story.do(cmd.ChangeStatus(actor=commander, status=Status.IDENTIFIED), timedelta(minutes=rng.uniform(5, 60)))
    story.do(cmd.AddNote(actor=rng.choice(PEOPLE), text="rolled back the deploy"), timedelta(minutes=2))
    story.do(cmd.Resolve(actor=commander, summary="Rolled back."), timedelta(minutes=rng.uniform(5, 600)))
    if rng.random() < 0.03:
        story.do(cmd.Reopen(actor=commander, reason="errors again"), timedelta(hours=1))
        story.do(cmd.Resolve(actor=commander, summary="Fixed for good."), timedelta(minutes=rng.uniform(5, 120)))
    story.do(cmd.Close(actor=commander), timedelta(days=1))


Stories = Callable[[str, int, datetime], Iterator[tuple[Incident, list[RecordedEvent]]]]


async def seed(
    database_url: str, workspace: str, count: int, end: datetime | None = None, made: Stories = stories
) -> None:
    """``count`` incidents and their timelines (``made``: another history than :func:`stories`'),
    copied in batches (COPY, not INSERT: minutes → s)."""
    end = end or datetime.now(UTC)
    connection = await asyncpg.connect(database_url)
    try:
        batch: list[tuple[Incident, list[RecordedEvent]]] = []
        next_id = 1 + int(await connection.fetchval("SELECT coalesce(max(id), 0) FROM incidents"))
        for story in made(workspace, count, end):
            batch.append(story)
            if len(batch) == 5000:
                await _copy(connection, batch, next_id, end)
                next_id += len(batch)
                batch = []
        if batch:
            await _copy(connection, batch, next_id, end)
        await connection.execute(
            "INSERT INTO workspace_counters (workspace_id, last_number) VALUES ($1, $2)"
            " ON CONFLICT (workspace_id) DO UPDATE SET last_number = excluded.last_number",
            workspace,
            count,
        )
        # Identity columns were bypassed by COPY: later incidents must not reuse the ids.
        await connection.execute("SELECT setval(pg_get_serial_sequence('incidents', 'id'), max(id)) FROM incidents")
        # As autovacuum leaves a live database: statistics, and a visibility map for index-only scans.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def _copy(
    connection: asyncpg.Connection, batch: list[tuple[Incident, list[RecordedEvent]]], first_id: int, now: datetime
) -> None:
    incidents = []
    timelines = []
    for offset, (incident, history) in enumerate(batch):
        values = {"id": first_id + offset} | incident_values(incident, now) | {"home_ts": incident.thread_ts}
        incidents.append(values)
        timelines.append((first_id + offset, history))
    columns = list(incidents[0])
    # The JSON columns (follow-ups, pins, the postmortem) go to COPY as text, as the payload does.
    records = [tuple(_copied(row[name]) for name in columns) for row in incidents]
    await connection.copy_records_to_table("incidents", records=records, columns=columns)
    events = event_rows(timelines)
    event_columns = list(events[0])
    records = [
        tuple(json.dumps(row[name]) if name == "payload" else row[name] for name in event_columns) for row in events
    ]
    await connection.copy_records_to_table("incident_events", records=records, columns=event_columns)


def _copied(value: object) -> object:
    return json.dumps(value) if isinstance(value, (list, dict)) else value
