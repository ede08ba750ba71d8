"""The service catalog (SPEC §13): who owns a service, where its incidents go, its SLA and its runbook.

An incident's ``service`` is a catalog key when it names one, else free text people typed: both
work, only a catalog service brings an owner, SLA overrides and a runbook.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from domain.severity import Severity

# A Slack user (U…, or W… on Enterprise Grid) or user group (S…) id; never a name, which changes.
OWNER_ID = re.compile(r"^[UWS][A-Z0-9]{2,31}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,31}$")
SERVICE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# The severities whose declaration notifies the service's owner (SPEC §13).
PAGED_SEVERITIES = frozenset({Severity.SEV1, Severity.SEV2})


@dataclass(frozen=True)
class RunbookStep:
    text: str
    link: str | None = None


@dataclass(frozen=True)
class Service:
    key: str
    name: str
    owner: str | None = None
    channel: str | None = None
    runbook: tuple[RunbookStep, ...] = ()

    @property
    def owner_is_group(self) -> bool:
        return self.owner is not None and self.owner.startswith("S")

    @property
    def owner_mention(self) -> str | None:
        """Slack's notifying syntax for the owner: only ever built from the catalog's checked id."""
        if self.owner is None:
            return None
        return f"<!subteam^{self.owner}>" if self.owner_is_group else f"<@{self.owner}>"


@dataclass(frozen=True)
class ServiceCatalog:
    services: Mapping[str, Service]

    def __post_init__(self) -> None:
        object.__setattr__(self, "services", MappingProxyType(dict(self.services)))

    def get(self, service: str | None) -> Service | None:
        """The catalog's service an incident's ``service`` names (keys are lower case; people type
        ``service:Checkout`` too), or None for free text and no service."""
        return None if service is None else self.services.get(service.strip().lower())

    def __bool__(self) -> bool:
        return bool(self.services)


NO_SERVICES = ServiceCatalog({})


def owner_paged(severity: Severity) -> bool:
    return severity in PAGED_SEVERITIES


@dataclass(frozen=True)
class RunbookMark:
    """Step ``step`` (from 1) of the incident's runbook was done by ``by`` at ``at``."""

    step: int
    text: str
    by: str
    at: datetime


def marks_after(marks: tuple[RunbookMark, ...], mark: RunbookMark) -> tuple[RunbookMark, ...]:
    """Marks in step order; a step is marked once (decide never records it twice)."""
    return tuple(sorted((*marks, mark), key=lambda item: item.step))


def mark_of(marks: tuple[RunbookMark, ...], step: int) -> RunbookMark | None:
    return next((mark for mark in marks if mark.step == step), None)
