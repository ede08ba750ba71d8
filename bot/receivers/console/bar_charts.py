"""Bar charts drawn on the server as inline SVG: no script, no library, readable without either.

One horizontal bar per row, its label on the left and its number written after it, so the chart
says its numbers in text as well as in lengths; the SVG has a title and a description that screen
readers announce, and it scales to the width it is given (a viewBox, no fixed size), from a phone
to a wall screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 480
ROW_HEIGHT = 30
BAR_HEIGHT = 20
LABEL_WIDTH = 130  # the labels' column, right-aligned against the bars
LABEL_MAX = 14  # characters of a label the chart shows; its description and the table say it whole
_GAP = 8
_NUMBER_ROOM = 60  # after the longest bar, for its number
_TOP = 4


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 4  # the baseline of 17 px text beside a bar

    @property
    def number_x(self) -> int:
        return LABEL_WIDTH + _GAP + self.width + 6


@dataclass(frozen=True)
class BarChart:
    key: str  # unique on the page: the ids of its title and description
    title: str
    description: str
    bars: tuple[Bar, ...]
    width: int = WIDTH
    label_x: int = LABEL_WIDTH
    bar_x: int = LABEL_WIDTH + _GAP
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return _TOP * 2 + ROW_HEIGHT * max(len(self.bars), 1)


def bar_chart(key: str, title: str, rows: Sequence[tuple[str, int]]) -> BarChart:
    """A chart of ``rows`` (label, count) in the order given; the longest bar is the largest count."""
    largest = max((value for _, value in rows), default=0)
    room = WIDTH - LABEL_WIDTH - _GAP - _NUMBER_ROOM
    centred = (ROW_HEIGHT - BAR_HEIGHT) // 2
    bars = tuple(
        Bar(_shortened(label), value, _TOP + index * ROW_HEIGHT + centred, _length(value, largest, room))
        for index, (label, value) in enumerate(rows)
    )
    said = "; ".join(f"{label}: {value}" for label, value in rows) or "nothing to show"
    return BarChart(key, title, f"{title}. {said}.", bars)


def _shortened(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def _length(value: int, largest: int, room: int) -> int:
    if value <= 0 or largest <= 0:
        return 0
    return max(2, round(room * value / largest))  # a small count still shows as a bar
