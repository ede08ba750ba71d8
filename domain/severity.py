"""Severities SEV1 (critical) to SEV4 (minor) and the forgiving ways people type them."""

from __future__ import annotations

import re
from enum import IntEnum

from domain.errors import InvalidValue


class Severity(IntEnum):
    SEV1 = 1
    SEV2 = 2
    SEV3 = 3
    SEV4 = 4

    @property
    def label(self) -> str:
        return self.name

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    Severity.SEV1: "critical",
    Severity.SEV2: "major",
    Severity.SEV3: "moderate",
    Severity.SEV4: "minor",
}

# sev1, SEV-1, sev 1, s1, p1, 1 — on-call engineers type whatever their last tool accepted.
_SEVERITY_PATTERN = re.compile(r"^(?:sev|s|p)?[\s\-_]?([1-4])$", re.IGNORECASE)
_LOOKS_LIKE_SEVERITY = re.compile(r"^(?:sev|s|p)[\s\-_]?\d+$|^\d+$", re.IGNORECASE)

SEVERITY_USAGE = "a severity is one of SEV1 (critical), SEV2, SEV3, SEV4 (minor); sev1, s1, p1 and 1 work too"


def parse_severity(text: str) -> Severity:
    """Read a severity as a person typed it, or explain what is accepted."""
    match = _SEVERITY_PATTERN.match(text.strip())
    if match is None:
        raise InvalidValue(f"“{text.strip()[:40]}” is not a severity: {SEVERITY_USAGE}")
    return Severity(int(match.group(1)))


def looks_like_severity(text: str) -> bool:
    """True for tokens a person meant as a severity, valid or not (``sev7`` included)."""
    return bool(_LOOKS_LIKE_SEVERITY.match(text.strip()))
