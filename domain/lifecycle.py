"""The incident lifecycle of SPEC §1 as an explicit transition table."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from domain.errors import InvalidValue


class Status(StrEnum):
    DECLARED = "declared"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CLOSED = "closed"


# Order inside each tuple is the order the allowed moves are listed to users.
TRANSITIONS: Mapping[Status, tuple[Status, ...]] = MappingProxyType(
    {
        Status.DECLARED: (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED),
        Status.INVESTIGATING: (Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED),
        Status.IDENTIFIED: (Status.INVESTIGATING, Status.MONITORING, Status.RESOLVED),
        Status.MONITORING: (Status.INVESTIGATING, Status.RESOLVED),
        Status.RESOLVED: (Status.INVESTIGATING, Status.CLOSED),
        Status.CLOSED: (),
    }
)

OPEN_STATUSES: frozenset[Status] = frozenset(
    {Status.DECLARED, Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING}
)

_ALIASES = {
    "investigate": Status.INVESTIGATING,
    "identify": Status.IDENTIFIED,
    "monitor": Status.MONITORING,
    "mitigated": Status.MONITORING,
    "resolve": Status.RESOLVED,
    "close": Status.CLOSED,
}


def allowed_next(status: Status) -> tuple[Status, ...]:
    return TRANSITIONS[status]


def can_move(source: Status, target: Status) -> bool:
    return target in TRANSITIONS[source]


def parse_status(text: str) -> Status:
    word = text.strip().lower()
    try:
        return Status(word)
    except ValueError:
        pass
    if word in _ALIASES:
        return _ALIASES[word]
    names = ", ".join(s.value for s in Status if s is not Status.DECLARED)
    raise InvalidValue(f"“{text.strip()[:40]}” is not a status: use one of {names}")
