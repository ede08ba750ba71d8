"""The application layer between Slack receivers and storage: find the incident, run the command,
queue the replies. Every write goes through the command runner, so it commits before Slack is
acknowledged; ``dispatcher.wake()`` then delivers what it queued without waiting for a sweep."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

from bot.handler.origin import Origin, UserError
from bot.handler.runner import Change, CommandRunner, Duplicate, Effects
from bot.runtime.clock import Clock
from bot.runtime.metrics import COMMANDS
from domain.commands import Declare, IncidentCommand
from domain.errors import DomainError
from domain.incident import IncidentRef
from domain.services import NO_SERVICES, ServiceCatalog
from storage.incident_lookup import Candidates, Finder, Lookup
from storage.lock_waits import Busy
from storage.stored import OutboxMessage, RecordedEvent, StoredIncident

_T = TypeVar("_T")


class Waker(Protocol):
    def wake(self) -> None: ...


class Answers(Protocol):
    """What a change sends, for whoever asked for it: the receivers' own adapter (for Slack,
    bot.delivery.effects) decides, so the handler knows nothing of how answers are delivered."""

    def answering(self, origin: Origin) -> Effects: ...


class IncidentService:
    def __init__(
        self,
        runner: CommandRunner,
        effects: Answers,
        clock: Clock,
        waker: Waker,
        services: ServiceCatalog = NO_SERVICES,
    ) -> None:
        self.runner = runner
        # The service catalog (SPEC §13): what the receivers and the console offer and look up.
        self.services = services
        self.clock = clock
        self._effects = effects
        self._waker = waker

    async def declare(self, origin: Origin, command: Declare) -> Change | Duplicate:
        catalogued = self.services.get(command.service)
        if catalogued is not None:
            # One spelling per catalog service (``service:Checkout`` is checkout), for the list's
            # and insights' filters.
            command = replace(command, service=catalogued.key)
        result = await self._guard(
            command,
            self.runner.declare(
                origin.workspace_id,
                command,
                now=self.clock.now(),
                idempotency_key=origin.key,
                effects=self._effects.answering(origin),
            ),
        )
        self._waker.wake()
        return result

    async def apply(self, origin: Origin, ref: IncidentRef, command: IncidentCommand) -> Change | Duplicate:
        return await self._execute(origin, ref, command)

    async def apply_to(
        self, origin: Origin, number: int | None, command: IncidentCommand, *, resolved: bool = False
    ) -> Change | Duplicate:
        """:meth:`apply` to the incident the request is about (see :meth:`target`), found in the
        command's own transaction: one transaction for the lookup and the change."""
        return await self._execute(origin, _finder(origin, number, resolved=resolved), command)

    async def apply_in_thread(self, origin: Origin, thread_ts: str, command: IncidentCommand) -> Change | Duplicate:
        """:meth:`apply` to the incident whose thread ``thread_ts`` is, and to no other: raises
        :class:`NotAnIncidentThread` when it is nobody's."""
        return await self._execute(origin, thread_finder(origin.workspace_id, origin.channel_id, thread_ts), command)

    async def pinned_incident(self, workspace_id: str, channel_id: str, ts: str) -> StoredIncident | None:
        """The incident message ``ts`` of ``channel_id`` was pinned to, if any (SPEC §10)."""
        async with self.runner.unit_of_work() as uow:
            return await uow.incidents.with_pinned(workspace_id, channel_id, ts)

    async def _execute(
        self, origin: Origin, target: IncidentRef | Finder, command: IncidentCommand
    ) -> Change | Duplicate:
        result = await self._guard(
            command,
            self.runner.execute(
                target,
                command,
                now=self.clock.now(),
                idempotency_key=origin.key,
                effects=self._effects.answering(origin),
            ),
        )
        self._waker.wake()
        return result

    async def queue(self, messages: Sequence[OutboxMessage], key: str | None, incident_id: int | None = None) -> bool:
        """Send replies that change no incident, once per key (a Slack retry gets no second reply)."""
        queued = await self.runner.record(messages, now=self.clock.now(), idempotency_key=key, incident_id=incident_id)
        self._waker.wake()
        return queued

    async def target(self, origin: Origin, number: int | None, *, resolved: bool = False) -> StoredIncident:
        """The incident a request is about: the one named, the thread's, or the channel's only one
        (only open one; only resolved one for ``resolved``, which is what reopen and close act on)."""
        finder = _finder(origin, number, resolved=resolved)
        async with self.runner.unit_of_work() as uow:
            candidates = await uow.incidents.candidates([finder.lookup])
        return finder.choose(candidates)

    async def target_either(self, origin: Origin, number: int | None) -> StoredIncident:
        """:meth:`target` for what is asked of an incident before and after it is resolved (its
        follow-ups, report, catch-up, timeline): the channel's only open one, else its only
        resolved one — after a resolve, the incident people are still talking about."""
        return await _open_else_resolved(lambda resolved: self.target(origin, number, resolved=resolved))

    async def apply_to_either(self, origin: Origin, number: int | None, command: IncidentCommand) -> Change | Duplicate:
        """:meth:`apply_to` the incident :meth:`target_either` finds (nothing is written when the
        channel has no open one: that attempt's transaction is rolled back)."""
        return await _open_else_resolved(lambda resolved: self.apply_to(origin, number, command, resolved=resolved))

    async def is_incident_thread(self, origin: Origin) -> bool:
        if origin.thread_ts is None:
            return False
        async with self.runner.unit_of_work() as uow:
            found = await uow.incidents.by_thread(origin.workspace_id, origin.channel_id, origin.thread_ts)
        return found is not None

    async def requested_incident(self, key: str) -> StoredIncident | None:
        """The incident the request keyed ``key`` changed or declared, once it has been processed:
        what a duplicate of it is told about."""
        async with self.runner.unit_of_work() as uow:
            incident_id = await uow.requests.incident_of(key)
            return None if incident_id is None else await uow.incidents.get_by_id(incident_id)

    async def history(self, incident_id: int) -> list[RecordedEvent]:
        async with self.runner.unit_of_work() as uow:
            return await uow.events.history(incident_id)

    async def open_incidents(self, workspace_id: str) -> list[StoredIncident]:
        async with self.runner.unit_of_work() as uow:
            return await uow.incidents.open_in_workspace(workspace_id)

    async def recent_incidents(self, workspace_id: str) -> list[StoredIncident]:
        async with self.runner.unit_of_work() as uow:
            return await uow.incidents.recent(workspace_id)

    @staticmethod
    async def _guard(command: Declare | IncidentCommand, pending: Awaitable[Change | Duplicate]) -> Change | Duplicate:
        """Domain refusals become user errors: the message is already written for people. So does
        a command that found its incident locked by another request for too long: nothing was
        changed, and the person is told to try again (it is expected, not a bug)."""
        kind = type(command).__name__
        try:
            result = await pending
        except (DomainError, Busy) as refused:
            COMMANDS.labels(kind=kind, result="refused").inc()
            raise UserError(refused.message) from refused
        except UserError:  # no incident the request could mean
            COMMANDS.labels(kind=kind, result="refused").inc()
            raise
        except Exception:
            # Past a refusal, what the runner raises is almost always the database failing the command.
            COMMANDS.labels(kind=kind, result="unavailable").inc()
            raise
        COMMANDS.labels(kind=kind, result="duplicate" if isinstance(result, Duplicate) else "applied").inc()
        return result


class NotAnIncidentThread(UserError):
    """The message is in no incident's thread (nor is it one's root)."""


def thread_finder(workspace_id: str, channel_id: str, thread_ts: str) -> Finder:
    """Finds the incident whose thread ``thread_ts`` is, and only that one (never the channel's)."""

    def in_thread(candidates: Candidates) -> StoredIncident:
        found = candidates.in_thread(workspace_id, channel_id, thread_ts)
        if found is None:
            raise NotAnIncidentThread(f"The thread {channel_id}/{thread_ts} is no incident's.")
        return found

    return Finder(Lookup(workspace_id, channel_id, thread_ts), in_thread)


async def _open_else_resolved(attempt: Callable[[bool], Awaitable[_T]]) -> _T:
    try:
        return await attempt(False)
    except NoneInChannel as no_open:
        try:
            return await attempt(True)
        except NoneInChannel:
            raise no_open from None  # neither: say there is no open one, and how to declare one


class NoneInChannel(UserError):
    """No incident named, none whose thread this is, and none of the kind looked for in the channel."""


def _finder(origin: Origin, number: int | None, *, resolved: bool) -> Finder:
    lookup = Lookup(origin.workspace_id, origin.channel_id, origin.thread_ts, number, resolved)
    return Finder(lookup, lambda candidates: _choose(candidates, origin, number, resolved=resolved))


def _choose(candidates: Candidates, origin: Origin, number: int | None, *, resolved: bool) -> StoredIncident:
    """See :meth:`IncidentService.target`."""
    in_thread = None
    if origin.thread_ts:
        in_thread = candidates.in_thread(origin.workspace_id, origin.channel_id, origin.thread_ts)
    if number is not None:
        named = candidates.named(origin.workspace_id, number)
        if named is None:
            raise UserError(f"INC-{number} doesn't exist in this workspace. `/incident list` shows open incidents.")
        if in_thread is not None and in_thread.id != named.id:
            raise UserError(
                f"This thread is {in_thread.incident.ref}, but you named INC-{number}. "
                f"To change INC-{number}, use its thread or `/incident <command> INC-{number}`."
            )
        return named
    if in_thread is not None:
        return in_thread
    found = candidates.in_channel(origin.workspace_id, origin.channel_id, resolved=resolved)
    kind = "resolved" if resolved else "open"
    if len(found) == 1:
        return found[0]
    if not found:
        hint = "" if resolved else ", or declare one with `/incident declare <title>`"
        raise NoneInChannel(f"There is no {kind} incident in this channel. Name one (e.g. `INC-42`){hint}.")
    refs = ", ".join(str(c.incident.ref) for c in found[:10])
    raise UserError(
        f"This channel has {len(found)} {kind} incidents ({refs}): say which one, "
        f"e.g. `INC-{found[-1].incident.ref.number}` right after the command."
    )
