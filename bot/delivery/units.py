"""What an incident's claimed rows become on the wire, decided before anything is sent.

Lanes: an incident's rows go out one after another, in the order they were written, so its thread
reads in order; but its card edits go in a lane of their own, ahead of thread messages queued
before them (a card is rendered when sent, so it shows every change before it), so that a click
changes the card within a second even in a busy channel (SPEC §2 "Card updates come first").
Units: within a lane, card refreshes claimed together collapse into one, and consecutive audit
lines merge into one thread message.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from bot.delivery import outbox_messages as kinds
from storage.stored import Overtaking, PendingDelivery

# One Slack message holds 4,000 characters of text; merged audit lines stay well inside it.
MERGED_TEXT_MAX = 3000
# A card edit waits only for the card's post and earlier edits, not for the thread (see claim_due).
CARD_EDITS_OVERTAKE = Overtaking(
    kinds=frozenset({kinds.REFRESH_CARD}), behind=frozenset({kinds.POST_CARD, kinds.REFRESH_CARD})
)

Unit = tuple[PendingDelivery, list[PendingDelivery]]


def delivery_lanes(rows: list[PendingDelivery]) -> list[list[PendingDelivery]]:
    """Claimed rows (by id) in the lanes that go out side by side, card edits first: one lane per
    incident for its thread, one for its card edits, and one for each row of no incident (a reply
    holds up nothing else). While the card itself is among them, nothing of the incident may go
    ahead of it, and its edits stay in line behind it."""
    threads: dict[int, list[PendingDelivery]] = defaultdict(list)
    edits: dict[int, list[PendingDelivery]] = defaultdict(list)
    alone: list[list[PendingDelivery]] = []
    for row in sorted(rows, key=lambda row: row.id):
        if row.incident_id is None:
            alone.append([row])
        elif row.kind == kinds.REFRESH_CARD:
            edits[row.incident_id].append(row)
        else:
            threads[row.incident_id].append(row)
    for incident_id, thread in threads.items():
        if any(row.kind == kinds.POST_CARD for row in thread) and incident_id in edits:
            threads[incident_id] = sorted(thread + edits.pop(incident_id), key=lambda row: row.id)
    return [*edits.values(), *threads.values(), *alone]


def coalesce_key(row: PendingDelivery) -> str | None:
    """The key under which a row may be collapsed into a newer one: card refreshes only."""
    return row.coalesce_key if row.kind == kinds.REFRESH_CARD else None


def merge_audit_lines(rows: list[PendingDelivery]) -> list[tuple[PendingDelivery, list[PendingDelivery]]]:
    """Consecutive audit lines of one incident become one thread message (SPEC §7 under load).

    While Slack throttles, changes keep coming; posting each line on its own would only lengthen
    the queue. The first row carries the joined text; the others are settled with it once it is
    sent (or handed back with it if it is not).
    """
    units: list[tuple[PendingDelivery, list[PendingDelivery]]] = []
    for row in rows:
        if units and _mergeable(units[-1][0], row):
            lead, absorbed = units[-1]
            text = f"{lead.payload['text']}\n{row.payload['text']}"
            units[-1] = (replace(lead, payload={**lead.payload, "text": text}), [*absorbed, row])
        else:
            units.append((row, []))
    return units


def collapse_refreshes(rows: list[PendingDelivery]) -> list[tuple[PendingDelivery, list[PendingDelivery]]]:
    """Refreshes of one card claimed together become one: the newest, sent where the first of them
    stood (a card is rendered when sent, so it shows every change before it); the older ones are
    settled with it. With them out of the way, the audit lines between them become consecutive."""
    newest: dict[str, PendingDelivery] = {}
    for row in rows:
        key = coalesce_key(row)
        if key is not None and (key not in newest or newest[key].id < row.id):
            newest[key] = row
    units: list[tuple[PendingDelivery, list[PendingDelivery]]] = []
    placed: dict[str, int] = {}
    for row in rows:
        key = coalesce_key(row)
        if key is None:
            units.append((row, []))
        elif key not in placed:
            placed[key] = len(units)
            lead = newest[key]
            units.append((lead, [] if row is lead else [row]))
        elif row is not newest[key]:
            units[placed[key]][1].append(row)
    return units


def delivery_units(rows: list[PendingDelivery]) -> list[tuple[PendingDelivery, list[PendingDelivery]]]:
    """What one incident's claimed rows become on the wire: card refreshes collapsed, then audit
    lines merged; each unit is a row to send and the rows settled with it."""
    units: list[tuple[PendingDelivery, list[PendingDelivery]]] = []
    run: list[PendingDelivery] = []  # consecutive thread messages, merged where they can be
    for lead, absorbed in collapse_refreshes(rows):
        if not absorbed and lead.kind == kinds.THREAD_MESSAGE:
            run.append(lead)
            continue
        units += merge_audit_lines(run)
        run = []
        units.append((lead, absorbed))
    return units + merge_audit_lines(run)


def _mergeable(lead: PendingDelivery, row: PendingDelivery) -> bool:
    return (
        lead.kind == row.kind == kinds.THREAD_MESSAGE
        and lead.incident_id is not None
        and lead.incident_id == row.incident_id
        and kinds.is_audit_line(lead.payload)
        and kinds.is_audit_line(row.payload)
        and len(lead.payload["text"]) + len(row.payload["text"]) < MERGED_TEXT_MAX
    )
