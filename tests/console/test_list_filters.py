"""The list's filters as its URL carries them: read, refused, and written back the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
from multidict import MultiDict, MultiDictProxy

from bot.receivers.console.list_filters import BadFilter, ListRequest, list_request
from domain.severity import Severity
from storage.incident_pages import Commander, Cursor, IncidentFilter, StatusFilter
from tests.builders import T0, at


def read(pairs: list[tuple[str, str]]) -> ListRequest:
    return list_request(MultiDictProxy(MultiDict(pairs)), "T1")


def test_every_filter_is_read_and_written_back_as_it_was_asked() -> None:
    asked = [
        ("status", "all"),
        ("severity", "SEV1"),
        ("severity", "SEV3"),
        ("service", "checkout api"),
        ("commander", "U0BOB"),
        ("q", "50% down"),
        ("from", "2026-11-01"),
        ("to", "2026-11-23"),
        ("after", str(Cursor(at(5), 42))),
    ]
    request = read(asked)

    assert request == ListRequest(
        IncidentFilter(
            "T1",
            StatusFilter.ALL,
            frozenset({Severity.SEV1, Severity.SEV3}),
            "checkout api",
            Commander("U0BOB"),
            "50% down",
            T0 - timedelta(days=22, hours=3),
            T0 + timedelta(hours=21),  # the end of the 23rd, UTC
        ),
        Cursor(at(5), 42),
    )
    assert request.query(after=request.after) == asked
    assert request.filtered


def test_nothing_asked_is_the_open_incidents_and_forgiving_words_are_read() -> None:
    assert read([]) == ListRequest(IncidentFilter("T1"))
    assert not read([("status", "OPEN"), ("q", "  ")]).filtered
    forgiving = read([("severity", "p1"), ("severity", "2"), ("commander", "None")]).wanted
    assert forgiving.severities == {Severity.SEV1, Severity.SEV2}
    assert forgiving.commander == Commander(None)


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("service", "s" * 81)], "a service name is at most 80 characters"),
        ([("to", "9999-12-31")], "a date is written YYYY-MM-DD"),
        ([("from", "２０２６-11-01")], "a date is written YYYY-MM-DD"),
        ([("commander", "U0BOB"), ("commander", "U0ALICE")], "commander is given 2 times"),
    ],
)
def test_a_value_that_means_nothing_is_refused_by_name(pairs: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(BadFilter, match=message) as refused:
        read(pairs)
    assert str(refused.value).startswith(f"The filter {pairs[-1][0]}=“")
