"""What claimed outbox rows become on the wire: lanes that go out side by side (card edits first),
and within a lane, card refreshes collapsed into the newest, then the audit lines left consecutive
merged into one message."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.delivery import outbox_messages as kinds
from bot.delivery.units import collapse_refreshes, delivery_lanes, delivery_units
from storage.stored import PendingDelivery

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _refresh(row_id: int, incident_id: int = 7) -> PendingDelivery:
    message = kinds.refresh_card(incident_id)
    return PendingDelivery(row_id, incident_id, message.kind, dict(message.payload), message.coalesce_key, 1, AT)


def _audit(row_id: int, text: str, incident_id: int = 7) -> PendingDelivery:
    message = kinds.audit_line(incident_id, text)
    return PendingDelivery(row_id, incident_id, message.kind, dict(message.payload), None, 1, AT)


def _shape(units: list[tuple[PendingDelivery, list[PendingDelivery]]]) -> list[tuple[int, list[int]]]:
    return [(lead.id, [row.id for row in absorbed]) for lead, absorbed in units]


def test_a_burst_of_changes_becomes_one_card_edit_and_one_thread_message() -> None:
    rows = [_refresh(1), _audit(2, "a"), _refresh(3), _audit(4, "b"), _refresh(5), _audit(6, "c")]
    units = delivery_units(rows)
    assert _shape(units) == [(5, [1, 3]), (2, [4, 6])], "the newest refresh first, then the lines merged"
    assert units[1][0].payload["text"] == "a\nb\nc"


def test_refreshes_collapse_into_the_newest_where_the_first_stood() -> None:
    post = PendingDelivery(1, 7, kinds.POST_CARD, {"incident_id": 7}, None, 1, AT)
    rows = [post, _refresh(2), _audit(3, "a"), _refresh(4)]
    assert _shape(collapse_refreshes(rows)) == [(1, []), (4, [2]), (3, [])]


def test_a_lone_refresh_and_other_cards_are_left_alone() -> None:
    rows = [_refresh(1, incident_id=7), _refresh(2, incident_id=8), _audit(3, "a")]
    assert _shape(delivery_units(rows)) == [(1, []), (2, []), (3, [])]


def _ids(lanes: list[list[PendingDelivery]]) -> list[list[int]]:
    return [[row.id for row in lane] for lane in lanes]


def test_an_incidents_card_edits_get_a_lane_of_their_own_ahead_of_its_thread() -> None:
    rows = [_audit(1, "a"), _audit(2, "b"), _refresh(3), _audit(4, "c", incident_id=8), _refresh(5)]
    assert _ids(delivery_lanes(rows)) == [[3, 5], [1, 2], [4]]


def test_while_the_card_itself_is_claimed_its_edits_stay_in_line_behind_it() -> None:
    post = PendingDelivery(1, 7, kinds.POST_CARD, {"incident_id": 7}, None, 1, AT)
    rows = [post, _audit(2, "a"), _refresh(3), _refresh(4, incident_id=8)]
    assert _ids(delivery_lanes(rows)) == [[4], [1, 2, 3]]


def test_a_row_of_no_incident_is_a_lane_of_its_own() -> None:
    replies = [PendingDelivery(row_id, None, kinds.EPHEMERAL, {"text": "hi"}, None, 1, AT) for row_id in (9, 10)]
    assert _ids(delivery_lanes([*replies, _audit(1, "a")])) == [[1], [9], [10]]
