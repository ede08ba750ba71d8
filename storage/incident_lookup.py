"""Finding the incident a request is about, for many requests with one query.

A request names its incident (``INC-42``), or is made in its thread, or comes from a channel with
one open (or one resolved) incident. :class:`Lookup` is what the request says; the incidents any
of a batch's lookups may mean are read (and, for a change, row-locked) together, as
:class:`Candidates`, and each request's incident is then chosen among them in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from domain.lifecycle import Status
from storage.stored import StoredIncident


@dataclass(frozen=True)
class Lookup:
    workspace_id: str
    channel_id: str | None = None
    thread_ts: str | None = None
    number: int | None = None
    # Without a number, look among the channel's resolved incidents instead of its open ones
    # (what reopen and close act on).
    resolved: bool = False

    @property
    def by_channel(self) -> bool:
        return self.number is None and self.channel_id is not None


class Candidates:
    """The incidents read for some lookups, indexed for choosing (a batch makes one lookup each for
    dozens of commands)."""

    def __init__(self, found: Iterable[StoredIncident]) -> None:
        self._named: dict[tuple[str, int], StoredIncident] = {}
        self._threads: dict[tuple[str, str | None, str], StoredIncident] = {}
        self._channels: dict[tuple[str, str | None], list[StoredIncident]] = defaultdict(list)
        for stored in sorted(found, key=lambda stored: stored.incident.ref.number):
            ref, channel = stored.incident.ref, stored.incident.channel_id
            self._named[ref.workspace_id, ref.number] = stored
            if stored.home_ts is not None:
                self._threads[ref.workspace_id, channel, stored.home_ts] = stored
            self._channels[ref.workspace_id, channel].append(stored)

    def named(self, workspace_id: str, number: int) -> StoredIncident | None:
        return self._named.get((workspace_id, number))

    def in_thread(self, workspace_id: str, channel_id: str, thread_ts: str) -> StoredIncident | None:
        """The incident whose thread this is: the declaring thread, or a top-level card's own."""
        return self._threads.get((workspace_id, channel_id, thread_ts))

    def in_channel(self, workspace_id: str, channel_id: str, *, resolved: bool) -> list[StoredIncident]:
        """The channel's open incidents (resolved ones with ``resolved``), by number."""
        return [
            s
            for s in self._channels.get((workspace_id, channel_id), ())
            if (s.incident.status is Status.RESOLVED if resolved else s.incident.is_open)
        ]


@dataclass(frozen=True)
class Finder:
    """How a command finds its incident: what to read, and how to choose among what was read
    (raising, with the reason for the person who asked, when there is no single answer)."""

    lookup: Lookup
    choose: Callable[[Candidates], StoredIncident]
