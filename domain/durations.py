"""Durations as people and config files write them: ``90s``, ``5m``, ``1h30m``, ``2 hours``, ``2w``."""

from __future__ import annotations

import re
from datetime import timedelta

from domain.errors import InvalidValue

_EXAMPLES = "use e.g. 90s, 5m, 1h, 3d"

_SECONDS_PER_UNIT = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 604_800),
    **dict.fromkeys(("d", "day", "days"), 86_400),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3_600),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
}

# At most nine digits a part: int() of a huge digit string is slow (or refused) and no sane
# snooze or SLA window needs more. Digit-then-letter runs keep the match linear on any input.
_SHAPE = re.compile(r"(?:[0-9]{1,9}\s*[a-z]+\s*)+", re.ASCII)
_PART = re.compile(r"([0-9]+)\s*([a-z]+)", re.ASCII)


def parse_duration(text: str) -> timedelta:
    """Read a positive duration; units largest first, each at most once (``1h30m``, ``1 hour 30 min``)."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise InvalidValue(f"No duration given: {_EXAMPLES}.")
    shown = _show(text)
    if _SHAPE.fullmatch(cleaned) is None:
        raise InvalidValue(f"“{shown}” is not a duration: {_EXAMPLES}.")
    total = 0
    previous_unit = None
    for amount, unit in _PART.findall(cleaned):
        size = _SECONDS_PER_UNIT.get(unit)
        # Requiring strictly decreasing units rejects typos like "1m1m" or "30m1h" instead of guessing.
        if size is None or (previous_unit is not None and size >= previous_unit):
            raise InvalidValue(f"“{shown}” is not a duration: {_EXAMPLES}.")
        previous_unit = size
        total += int(amount) * size
    if total == 0:
        raise InvalidValue(f"“{shown}” is zero; a duration must be longer than that: {_EXAMPLES}.")
    try:
        return timedelta(seconds=total)
    except OverflowError:
        raise InvalidValue(f"“{shown}” is too long to be a duration: {_EXAMPLES}.") from None


def format_short(span: timedelta) -> str:
    """The compact form ``parse_duration`` reads back: ``90s``, ``5m``, ``1h30m``, ``3d``.

    Sub-second parts are dropped. Below two minutes an uneven span stays in seconds (``90s``), as
    people write it; above, the largest units are used (``2m30s``, ``1d4h``).
    """
    seconds = int(span.total_seconds())
    if seconds < 0:
        return "-" + format_short(-span)
    if seconds < 120 and seconds % 60:
        return f"{seconds}s"
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def _show(text: str) -> str:
    """The user's input, short enough to quote back in one line."""
    shown = " ".join(text.split())
    return shown if len(shown) <= 40 else shown[:39] + "…"
