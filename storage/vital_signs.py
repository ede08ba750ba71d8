"""What an operator watches the bot's database for (SPEC §12): the outbox's backlog and the open incidents.

Read at each Prometheus scrape (cached by the caller), so both queries stay on the partial indexes that
hold only pending outbox rows and open incidents: their cost follows the backlog, not the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.severity import Severity
from storage.schema import OPEN, PENDING, incidents, outbox


@dataclass(frozen=True)
class VitalSigns:
    outbox_pending: int
    oldest_pending_age_seconds: float
    """0 when nothing is pending."""
    open_by_severity: tuple[tuple[Severity, int], ...]
    """Every severity, with 0 for those that have no open incident."""


_BACKLOG = select(func.count(), func.min(outbox.c.created_at)).where(PENDING)
_OPEN = select(incidents.c.severity, func.count()).where(OPEN).group_by(incidents.c.severity)


async def read_vital_signs(engine: AsyncEngine, now: datetime) -> VitalSigns:
    async with engine.connect() as connection:
        pending, oldest = (await connection.execute(_BACKLOG)).one()
        open_counts = {Severity(severity): count for severity, count in await connection.execute(_OPEN)}
    return VitalSigns(
        outbox_pending=pending,
        oldest_pending_age_seconds=max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0,
        open_by_severity=tuple((severity, open_counts.get(severity, 0)) for severity in Severity),
    )
