"""Per-channel pacing of Slack writes, and merging audit lines that piled up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.delivery import outbox_messages as kinds
from bot.delivery.outcomes import RetryLater
from bot.delivery.pacing import MAX_INLINE_WAIT_SECONDS, ChannelPacer
from bot.delivery.units import MERGED_TEXT_MAX, merge_audit_lines
from storage.stored import PendingDelivery


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_writes_are_spaced_at_the_rate() -> None:
    ticks = Ticks()
    pacer = ChannelPacer(per_second=1.0, burst=3, monotonic=ticks)
    assert [pacer.take("C1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pacer.take("C1") == pytest.approx(1.0)
    ticks.now += 0.5
    assert pacer.take("C1") == pytest.approx(0.5)
    ticks.now += 0.5
    assert pacer.take("C1") == 0.0
    assert pacer.take("C2") == 0.0, "channels are paced separately"


def test_a_429_blocks_the_whole_channel_for_retry_after() -> None:
    ticks = Ticks()
    pacer = ChannelPacer(monotonic=ticks)
    pacer.block("C1", 7.0)
    assert pacer.take("C1") == pytest.approx(7.0)
    assert pacer.take("C2") == 0.0
    ticks.now += 7.0
    assert pacer.take("C1") == 0.0


async def test_long_waits_go_back_to_the_outbox_and_short_ones_are_slept() -> None:
    ticks = Ticks()
    pacer = ChannelPacer(per_second=10.0, burst=1, monotonic=ticks)
    await pacer.acquire("C1")
    await pacer.acquire("C1")  # 0.1 s: slept in place, and the slot is taken even on a frozen clock
    pacer.block("C1", MAX_INLINE_WAIT_SECONDS + 1)
    with pytest.raises(RetryLater) as retry:
        await pacer.acquire("C1")
    assert retry.value.delay == pytest.approx(MAX_INLINE_WAIT_SECONDS + 1)


def _row(row_id: int, kind: str, payload: dict[str, object], incident_id: int | None = 7) -> PendingDelivery:
    return PendingDelivery(row_id, incident_id, kind, payload, None, 1, datetime(2026, 1, 1, tzinfo=UTC))


def _audit(row_id: int, text: str, incident_id: int = 7) -> PendingDelivery:
    message = kinds.audit_line(incident_id, text)
    return _row(row_id, message.kind, dict(message.payload), incident_id)


def test_consecutive_audit_lines_of_an_incident_become_one_message() -> None:
    card = _row(1, kinds.REFRESH_CARD, {"incident_id": 7})
    reminder = _row(5, kinds.THREAD_MESSAGE, {"incident_id": 7, "text": "due", "blocks": [{"type": "section"}]})
    rows = [card, _audit(2, "a"), _audit(3, "b"), _audit(4, "c"), reminder, _audit(6, "d")]
    units = merge_audit_lines(rows)
    assert [(lead.id, [r.id for r in absorbed]) for lead, absorbed in units] == [
        (1, []),
        (2, [3, 4]),
        (5, []),
        (6, []),
    ]
    assert units[1][0].payload["text"] == "a\nb\nc"
    assert rows[1].payload["text"] == "a", "the stored rows are untouched"


def test_merging_stops_at_the_message_size_and_at_other_incidents() -> None:
    long_line = "x" * (MERGED_TEXT_MAX // 2)
    units = merge_audit_lines([_audit(1, long_line), _audit(2, long_line), _audit(3, "y", incident_id=8)])
    assert [(lead.id, [r.id for r in absorbed]) for lead, absorbed in units] == [(1, []), (2, []), (3, [])]


async def test_a_card_edit_takes_no_message_slot_but_waits_out_a_429() -> None:
    """Slack paces new messages, not edits (SPEC §2): an edit goes while the channel's slots are
    spent, and leaves them as they were; a 429's Retry-After holds it back like anything else."""
    ticks = Ticks()
    pacer = ChannelPacer(per_second=1.0, burst=1, monotonic=ticks)
    await pacer.acquire("C1")
    spent = pacer.take("C1")
    assert spent == pytest.approx(1.0)
    async with asyncio.timeout(0.5):  # not the second a slot would take
        await pacer.unblocked("C1")
    assert pacer.take("C1") == pytest.approx(spent), "no slot taken"
    pacer.block("C1", MAX_INLINE_WAIT_SECONDS + 1)
    with pytest.raises(RetryLater) as retry:
        await pacer.unblocked("C1")
    assert retry.value.delay == pytest.approx(MAX_INLINE_WAIT_SECONDS + 1)
