"""A batch's writes on Postgres as one statement of four data-modifying parts; a declaration's as
one of five (its incident inserted, and its number taken from the workspace's counter, with them).

Each column travels as one array parameter and ``unnest`` turns the arrays back into rows, so the
statement's text is the same for a batch of one and a batch of sixty-four: it is prepared once
per connection (Postgres still plans each run for the sizes of its arrays, about half a
millisecond, which a batch shares), asyncpg encodes the arrays in C, and SQLAlchemy processes no
parameter row by row (it is sent with ``exec_driver_sql``, which still begins the transaction if
need be, and translates errors and invalidates dead connections as for any statement).

The parts of one statement see the same snapshot and cannot see each other's rows; none needs
to: keys, events and outbox rows are new, and each incident's projection is written once (the
caller folds a batch's changes of one incident into one write). Foreign keys are checked at the
end of the statement, as they would be after four. Arrays are cast to the columns' types without
their lengths: casting to ``varchar(32)`` would cut a longer value silently, where storing it in
the column refuses it, as a row-by-row INSERT does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.lock_waits import ConcurrentModification
from storage.rows import CLAIM_COLUMNS, claim_rows, event_rows, incident_values, outbox_rows
from storage.schema import incident_events, incidents, outbox, processed_requests
from storage.stored import BatchWrites

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
# A projection write sets every column of the domain state (see incident_values) but the
# incident's identity; the id and where its card lives in Slack are not state.
PROJECTED = tuple(c.name for c in incidents.c if c.name not in {"id", "workspace_id", "number", "card_ts", "home_ts"})
_EVENT_COLUMNS = ("incident_id", "seq", "type", "payload", "actor", "occurred_at", "source_channel", "source_ts")
_OUTBOX_COLUMNS = ("incident_id", "kind", "payload", "coalesce_key", "created_at", "next_attempt_at")
_JSON_COLUMNS = frozenset({"payload", "followups", "pinned_messages", "postmortem", "alerts", "runbook"})


def _sql_type(column: Column[Any]) -> str:
    name = column.type.compile(dialect=_DIALECT).split("(")[0]
    return {"VARCHAR": "text", "TIMESTAMP WITH TIME ZONE": "timestamptz"}.get(name, name.lower())


class _Parameters:
    """Numbers the statement's parameters as its text is written."""

    def __init__(self) -> None:
        self.count = 0

    def arrays(self, table: Table, names: Sequence[str]) -> str:
        return self.values(table, names, suffix="[]")

    def values(self, table: Table, names: Sequence[str], suffix: str = "") -> str:
        casts = []
        for name in names:
            self.count += 1
            casts.append(f"${self.count}::{_sql_type(table.c[name])}{suffix}")
        return ", ".join(casts)


def _statement(projected: Sequence[str]) -> str:
    parameters = _Parameters()
    keys = parameters.arrays(processed_requests, CLAIM_COLUMNS)
    row_ids = parameters.arrays(incidents, ("id", "version"))
    states = parameters.arrays(incidents, projected)
    events = parameters.arrays(incident_events, _EVENT_COLUMNS)
    messages = parameters.arrays(outbox, _OUTBOX_COLUMNS)
    assignments = ", ".join(f"{name} = u.{name}" for name in projected)
    # Built once, from the schema's column names; every value is a parameter.
    return f"""
WITH claimed AS (
    INSERT INTO processed_requests ({", ".join(CLAIM_COLUMNS)})
    SELECT * FROM unnest({keys})
), projected AS (
    UPDATE incidents AS i SET {assignments}
    FROM unnest({row_ids}, {states}) AS u(row_id, expected_version, {", ".join(projected)})
    WHERE i.id = u.row_id AND i.version = u.expected_version
    RETURNING i.id
), recorded AS (
    INSERT INTO incident_events ({", ".join(_EVENT_COLUMNS)})
    SELECT * FROM unnest({events})
), queued AS (
    INSERT INTO outbox ({", ".join(_OUTBOX_COLUMNS)})
    SELECT {", ".join(_OUTBOX_COLUMNS)}
    FROM unnest({messages}) WITH ORDINALITY AS m({", ".join(_OUTBOX_COLUMNS)}, place)
    ORDER BY place
)
SELECT count(*) FROM projected"""  # noqa: S608


_STATEMENT = _statement(PROJECTED)


async def write_in_one_statement(connection: AsyncConnection, writes: BatchWrites, now: datetime) -> None:
    states = [
        (incident_id, before.version, incident_values(after, now)) for incident_id, before, after in writes.projections
    ]
    parameters = (
        *_columns(claim_rows(writes.claims), CLAIM_COLUMNS),
        [incident_id for incident_id, _, _ in states],
        [version for _, version, _ in states],
        *_columns([values for _, _, values in states], PROJECTED),
        *_columns(event_rows(writes.timelines), _EVENT_COLUMNS),
        *_columns(outbox_rows(writes.messages, now), _OUTBOX_COLUMNS),
    )
    result = await connection.exec_driver_sql(_STATEMENT, parameters)
    if result.scalar_one() != len(states):
        ids = ", ".join(str(incident_id) for incident_id, _, _ in states)
        raise ConcurrentModification(f"incidents {ids} changed under a held lock")


# A declaration inserts its incident whole, with the id and number it read beforehand.
_DECLARED = ("id", "workspace_id", "number", "home_ts", *PROJECTED)


def _declaration() -> str:
    parameters = _Parameters()
    row = parameters.values(incidents, _DECLARED)
    keys = parameters.arrays(processed_requests, CLAIM_COLUMNS)
    events = parameters.arrays(incident_events, _EVENT_COLUMNS)
    messages = parameters.arrays(outbox, _OUTBOX_COLUMNS)
    workspace, number = (f"${_DECLARED.index(name) + 1}" for name in ("workspace_id", "number"))
    # Every part inserts only if the counter moved from number - 1 to number; a counter another
    # replica moved first leaves no row in numbered, and so nothing anywhere. Built once.
    return f"""
WITH numbered AS (
    INSERT INTO workspace_counters AS c (workspace_id, last_number) VALUES ({workspace}, {number})
    ON CONFLICT (workspace_id) DO UPDATE SET last_number = excluded.last_number
    WHERE c.last_number = excluded.last_number - 1
    RETURNING c.last_number
), declared AS (
    INSERT INTO incidents ({", ".join(_DECLARED)}) SELECT {row} FROM numbered
    RETURNING id
), claimed AS (
    INSERT INTO processed_requests ({", ".join(CLAIM_COLUMNS)})
    SELECT {_qualified("k", CLAIM_COLUMNS)} FROM unnest({keys}) AS k({", ".join(CLAIM_COLUMNS)}), declared
), recorded AS (
    INSERT INTO incident_events ({", ".join(_EVENT_COLUMNS)})
    SELECT {_qualified("e", _EVENT_COLUMNS)} FROM unnest({events}) AS e({", ".join(_EVENT_COLUMNS)}), declared
), queued AS (
    INSERT INTO outbox ({", ".join(_OUTBOX_COLUMNS)})
    SELECT {_qualified("m", _OUTBOX_COLUMNS)}
    FROM unnest({messages}) WITH ORDINALITY AS m({", ".join(_OUTBOX_COLUMNS)}, place), declared
    ORDER BY m.place
)
SELECT count(*) FROM declared"""  # noqa: S608


def _qualified(alias: str, names: Sequence[str]) -> str:
    return ", ".join(f"{alias}.{name}" for name in names)


_DECLARATION = _declaration()


async def declare_in_one_statement(
    connection: AsyncConnection, row: Mapping[str, Any], writes: BatchWrites, now: datetime
) -> bool:
    """The incident ``row`` and its claims, events and outbox rows, if its number is still the
    workspace's next; nothing otherwise (see storage.dialects). One statement, all or nothing even
    without a transaction around it."""
    parameters = (
        *(_value(row, name) for name in _DECLARED),
        *_columns(claim_rows(writes.claims), CLAIM_COLUMNS),
        *_columns(event_rows(writes.timelines), _EVENT_COLUMNS),
        *_columns(outbox_rows(writes.messages, now), _OUTBOX_COLUMNS),
    )
    result = await connection.exec_driver_sql(_DECLARATION, parameters)
    return bool(result.scalar_one())


def _columns(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> list[list[Any]]:
    return [[_value(row, name) for row in rows] for name in names]


def _value(row: Mapping[str, Any], name: str) -> Any:
    return json.dumps(row[name]) if name in _JSON_COLUMNS else row[name]
