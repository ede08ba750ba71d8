"""The timeline from Slack's rules (SPEC §10): a message's own time from its ts, once per message, its
text arriving later, and taking back, editing and deleting as new events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain import events as ev
from domain.commands import PinMessage, RecordMessageDeletion, RecordMessageEdit, UnpinMessage
from domain.errors import NothingToChange
from domain.pin_rules import NotPinned
from domain.pinned import PINNED_TEXT_MAX, PinnedBy, clipped, posted_at
from tests.builders import CHANNEL, at, declared
from tests.domain.paths import ALICE, BOB

TS = "1700000000.000100"


def pin(actor: str = ALICE, text: str | None = None, ts: str = TS, how: PinnedBy = PinnedBy.REACTION) -> PinMessage:
    return PinMessage(actor=actor, channel_id=CHANNEL, ts=ts, author=BOB, text=text, pinned_by=how)


def test_a_message_time_is_its_ts_exactly_with_its_date() -> None:
    assert posted_at("1700000000.000100") == datetime(2023, 11, 14, 22, 13, 20, 100, tzinfo=UTC)
    assert posted_at("1700000000.5") == datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)
    assert posted_at("1700000000") == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a Slack message ts"):
        posted_at("yesterday")


def test_a_pinned_message_keeps_its_own_time_and_author_and_its_text_when_it_comes() -> None:
    run = declared()
    [pinned] = run.do(pin(), at(days=3))
    assert isinstance(pinned, ev.MessagePinned)
    assert (pinned.posted_at, pinned.author, pinned.actor, pinned.text) == (posted_at(TS), BOB, ALICE, None)
    assert pinned.at == at(days=3), "recorded when pinned; the message's own time is posted_at"

    [fetched] = run.do(pin(text="failover done"), at(days=3, minutes=1))
    assert isinstance(fetched, ev.PinnedMessageFetched)
    assert fetched.text == "failover done"
    run.refuse(pin(actor=BOB, text="failover done", how=PinnedBy.PIN), at(days=4), NothingToChange)
    assert [p.text_known for p in run.incident.pinned] == [True]


def test_taking_back_editing_and_deleting_are_new_events_about_a_pinned_message_only() -> None:
    run = declared()
    about: dict[str, Any] = {"actor": BOB, "channel_id": CHANNEL, "ts": TS}
    run.refuse(RecordMessageEdit(**about, text="x"), at(1), NotPinned)
    run.do(pin(text="error rate 40%"), at(2))

    [edited] = run.do(RecordMessageEdit(**about, text="error rate 40% (EU)"), at(3))
    assert isinstance(edited, ev.PinnedMessageEdited)
    assert edited.text == "error rate 40% (EU)"
    [unpinned] = run.do(UnpinMessage(**about), at(4))
    assert isinstance(unpinned, ev.MessageUnpinned)
    run.refuse(UnpinMessage(**about), at(5), NotPinned)
    [again] = run.do(pin(text="error rate 40% (EU)"), at(6))
    assert isinstance(again, ev.MessagePinned), "pinned again after it was taken off, it is back"
    [deleted] = run.do(RecordMessageDeletion(**about), at(7))
    assert isinstance(deleted, ev.PinnedMessageDeleted)
    run.refuse(pin(text="anything"), at(8), NothingToChange)
    assert [(p.removed, p.deleted, p.on_timeline) for p in run.incident.pinned] == [(False, True, False)]


def test_a_long_message_is_clipped_for_the_timeline() -> None:
    text = clipped("x" * (PINNED_TEXT_MAX + 10))
    assert len(text) == PINNED_TEXT_MAX
    assert text.endswith("…")
    assert clipped("  short  ") == "short"
