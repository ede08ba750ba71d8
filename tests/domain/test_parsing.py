"""Severity and status as people type them (SPEC §1)."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValue
from domain.lifecycle import Status, parse_status
from domain.severity import SEVERITY_USAGE, Severity, looks_like_severity, parse_severity


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("sev1", Severity.SEV1),
        ("SEV1", Severity.SEV1),
        ("SEV-1", Severity.SEV1),
        ("sev_2", Severity.SEV2),
        ("sev 2", Severity.SEV2),
        ("s1", Severity.SEV1),
        ("S3", Severity.SEV3),
        ("p1", Severity.SEV1),
        ("P4", Severity.SEV4),
        ("1", Severity.SEV1),
        ("4", Severity.SEV4),
        ("  sev3\n", Severity.SEV3),
        ("\tp2 ", Severity.SEV2),
    ],
)
def test_parse_severity(text: str, severity: Severity) -> None:
    assert parse_severity(text) is severity


@pytest.mark.parametrize(
    "text", ["sev5", "0", "5", "", "   ", "high", "sev", "sev12", "p-", "sev--1", "1a", "sev1 sev2"]
)
def test_parse_severity_refusals(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_severity(text)
    assert caught.value.message == f"“{text.strip()}” is not a severity: {SEVERITY_USAGE}"


def test_parse_severity_refusal_quotes_at_most_forty_characters() -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_severity("x" * 100)
    assert f"“{'x' * 40}”" in caught.value.message
    assert "x" * 41 not in caught.value.message


def test_severity_labels_and_meanings() -> None:
    assert [s.label for s in Severity] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert [s.meaning for s in Severity] == ["critical", "major", "moderate", "minor"]
    assert Severity.SEV1 < Severity.SEV4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sev1", True),
        ("sev7", True),
        ("SEV-9", True),
        ("p0", True),
        ("s 12", True),
        ("12", True),
        (" 3 ", True),
        ("high", False),
        ("sev", False),
        ("", False),
        ("database", False),
        ("s1x", False),
        ("severe", False),
    ],
)
def test_looks_like_severity(text: str, expected: bool) -> None:
    assert looks_like_severity(text) is expected


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("investigating", Status.INVESTIGATING),
        ("Identified", Status.IDENTIFIED),
        ("  MONITORING ", Status.MONITORING),
        ("resolved", Status.RESOLVED),
        ("closed", Status.CLOSED),
        ("declared", Status.DECLARED),
        ("investigate", Status.INVESTIGATING),
        ("identify", Status.IDENTIFIED),
        ("monitor", Status.MONITORING),
        ("Mitigated", Status.MONITORING),
        ("resolve", Status.RESOLVED),
        ("close", Status.CLOSED),
    ],
)
def test_parse_status(text: str, status: Status) -> None:
    assert parse_status(text) is status


@pytest.mark.parametrize("text", ["", "done", "fixed", "in progress", "reopen"])
def test_parse_status_refusal_lists_the_states(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_status(text)
    assert caught.value.message == (
        f"“{text.strip()}” is not a status: use one of investigating, identified, monitoring, resolved, closed"
    )
