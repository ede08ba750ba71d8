"""Durations as people and the config file write them (SPEC §3 snooze, §8 SLA windows)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.durations import format_short, parse_duration
from domain.errors import InvalidValue


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("1h", timedelta(hours=1)),
        ("3d", timedelta(days=3)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("30 min", timedelta(minutes=30)),
        ("2 hours", timedelta(hours=2)),
        ("1 hour 30 minutes", timedelta(hours=1, minutes=30)),
        ("1 day", timedelta(days=1)),
        ("45 sec", timedelta(seconds=45)),
        ("10 seconds", timedelta(seconds=10)),
        ("2 hrs", timedelta(hours=2)),
        ("5M", timedelta(minutes=5)),
        ("1H30M", timedelta(hours=1, minutes=30)),
        ("  2 Hours\n", timedelta(hours=2)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("0h5m", timedelta(minutes=5)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["abc", "5", "m", "5x", "5 fortnights", "1.5h", "-5m", "5m!", "1h30", "30m1h", "1m1m", "5 m m", "h5", "５m"],
)
def test_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_duration(text)
    assert caught.value.message == f"“{text.strip()}” is not a duration: use e.g. 90s, 5m, 1h, 3d."


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_refuses_empty(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_duration(text)
    assert caught.value.message == "No duration given: use e.g. 90s, 5m, 1h, 3d."


@pytest.mark.parametrize("text", ["0s", "0m", "0 hours", "0h0m"])
def test_refuses_zero(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_duration(text)
    assert "is zero" in caught.value.message
    assert "use e.g. 90s, 5m, 1h, 3d" in caught.value.message


def test_refuses_absurd_lengths_without_crashing() -> None:
    with pytest.raises(InvalidValue, match="too long"):
        parse_duration("999999999d 999999999h")
    with pytest.raises(InvalidValue, match="is not a duration"):
        parse_duration("9" * 5000 + "s")


def test_long_input_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_duration("x" * 500)
    assert len(caught.value.message) < 100
    assert "…" in caught.value.message


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=90), "90s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=5), "5m"),
        (timedelta(minutes=1), "1m"),
        (timedelta(seconds=150), "2m30s"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(hours=1), "1h"),
        (timedelta(days=3), "3d"),
        (timedelta(days=1, hours=4), "1d4h"),
        (timedelta(days=1, seconds=1), "1d1s"),
        (timedelta(0), "0s"),
        (timedelta(minutes=5, microseconds=400), "5m"),
        (-timedelta(minutes=5), "-5m"),
    ],
)
def test_format_short(span: timedelta, text: str) -> None:
    assert format_short(span) == text


@given(st.integers(min_value=1, max_value=10**8))
def test_format_short_reads_back(seconds: int) -> None:
    span = timedelta(seconds=seconds)
    assert parse_duration(format_short(span)) == span


@given(st.text())
def test_parse_duration_only_ever_refuses_with_invalid_value(text: str) -> None:
    try:
        span = parse_duration(text)
    except InvalidValue:
        return
    assert span > timedelta(0)
