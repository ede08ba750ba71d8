"""Runs one command as one transaction: lock, decide, append, project, outbox, idempotency key.

Either all of it commits or none of it does; a refused command (DomainError) leaves no trace,
not even its idempotency key, so the same request can be retried once the refusal no longer holds.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.group_commit import DEFERRED, Deferred, GroupCommit, RunBatch
from domain.commands import Declare, IncidentCommand
from domain.decide import decide
from domain.errors import DomainError, UnknownIncident
from domain.events import Event
from domain.evolve import replay
from domain.incident import Incident, IncidentRef, IncidentState, Undeclared
from domain.postmortem import NONE_REQUIRED, PostmortemPolicy
from domain.sla import DEFAULT_POLICY, SlaPolicy
from storage.event_store import numbered
from storage.incident_lookup import Candidates, Finder, Lookup
from storage.lock_waits import Busy, ConcurrentModification, Turns, lock_not_available, sqlstate
from storage.stored import BatchWrites, OutboxMessage, RecordedEvent, StoredIncident
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# Commands sharing one transaction at most: enough to absorb a burst of concurrent requests,
# few enough that a batch's row locks are held for milliseconds.
MAX_BATCH = 64
# deadlock_detected, serialization_failure
_RETRY_ALONE_SQLSTATES = frozenset({"40P01", "40001"})
# How long a declaration may queue for its workspace's counter (see CommandRunner.declare); each
# one ahead of it holds the turn for at most lock_timeout when another replica holds the counter.
NUMBERING_TURN_SECONDS = 1.0
_DECLARATION_BUSY = (
    "Another request declaring an incident here has not finished; nothing was changed — try again in a few seconds."
)


class ThreadAlreadyIncident(DomainError):
    """A declaration in a thread that is already an incident's home."""


@dataclass(frozen=True)
class Change:
    """What one accepted command did, as committed."""

    incident_id: int
    before: IncidentState
    after: Incident
    events: tuple[RecordedEvent, ...]
    card_ts: str | None
    home_ts: str | None


@dataclass(frozen=True)
class Duplicate:
    """The request's idempotency key was already processed: nothing was applied this time."""

    key: str


Effects = Callable[[Change], Sequence[OutboxMessage]]
# What to do about an incident whose clocks are due: the commands to record, in order.
Planner = Callable[[UnitOfWork, StoredIncident, datetime], Awaitable[Sequence[IncidentCommand]]]


def no_effects(_change: Change) -> Sequence[OutboxMessage]:
    return ()


class CommandRunner:
    def __init__(
        self, engine: AsyncEngine, policy: SlaPolicy = DEFAULT_POLICY, postmortem: PostmortemPolicy = NONE_REQUIRED
    ) -> None:
        self._engine = engine
        self.policy = policy
        self.postmortem = postmortem
        # Declarations of one workspace take their number one after another: the counter's row
        # stays locked until commit. Queueing for it here, first come first served, keeps at most
        # one of this process's declarations waiting on that row lock, instead of all of them
        # racing for it each time it is released (which starves some for seconds under a burst).
        self._numbering = Turns(NUMBERING_TURN_SECONDS, _DECLARATION_BUSY)
        self._group: GroupCommit[_Execution, Change | Duplicate] = GroupCommit(
            self._execute_batch, max_batch=MAX_BATCH, alone_on=self._rerun_alone
        )

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self._engine)

    async def declare(
        self,
        workspace_id: str,
        command: Declare,
        *,
        now: datetime,
        idempotency_key: str | None = None,
        effects: Effects = no_effects,
    ) -> Change | Duplicate:
        # Neither the request's key nor the thread is looked up first: almost every declaration is
        # new, in a new thread, and each read cost it a round trip. The incident, its key, events
        # and outbox rows are written together (on Postgres one statement, without BEGIN and
        # COMMIT); a key already claimed or a thread already an incident's home fails that write,
        # and only then are they read, to say which.
        try:
            async with UnitOfWork(self._engine, autocommit=True) as uow, self._numbering.turn(workspace_id):
                while True:  # until no other replica takes the number read first
                    number, incident_id = await uow.counters.next_incident(workspace_id)
                    state = Undeclared(IncidentRef(workspace_id, number))
                    events = decide(state, command, now, self.policy, self.postmortem)
                    declared = Change(incident_id, state, _fold(state, events), (), None, command.thread_ts)
                    change = _numbered(declared, events)
                    claims = [(idempotency_key, now, incident_id)] if idempotency_key else []
                    writes = BatchWrites(claims, (), [(incident_id, change.events)], [(effects(change), incident_id)])
                    if await uow.declare(incident_id, change.after, writes, now):
                        return change
        except IntegrityError:
            async with self.unit_of_work() as uow:
                if idempotency_key and await uow.requests.taken([idempotency_key]):
                    return Duplicate(idempotency_key)
                if command.thread_ts is not None:
                    await self._refuse_if_thread_taken(uow, workspace_id, command.channel_id, command.thread_ts)
            raise
        except DBAPIError as error:
            if lock_not_available(error):
                raise Busy(_DECLARATION_BUSY) from error
            raise

    async def execute(
        self,
        target: IncidentRef | Finder,
        command: IncidentCommand,
        *,
        now: datetime,
        idempotency_key: str | None = None,
        effects: Effects = no_effects,
    ) -> Change | Duplicate:
        """Run ``command`` on the incident ``target`` names, or on the one it finds (and locks) in
        this transaction.

        Commands arriving while another transaction is in flight share the next one (see
        :mod:`bot.handler.group_commit`); each is decided, and answered, on its own. The incident's row
        is locked before the idempotency key is checked, so a concurrent duplicate waits on the
        lock and then finds the key taken. An incident another transaction keeps locked for longer
        than lock_timeout is not waited for on: the command is answered
        :class:`~storage.lock_waits.Busy` (see _rerun_alone).
        """
        return await self._group.submit(_Execution(target, command, now, idempotency_key, effects))

    async def _execute_batch(
        self, jobs: Sequence[_Execution], *, wait: bool = True
    ) -> list[Change | Duplicate | BaseException | Deferred]:
        accepted: list[tuple[Change, Sequence[OutboxMessage], _Execution]] = []
        async with self.unit_of_work() as uow:
            finders = [_finder(job.target) for job in jobs]
            lookups = [finder.lookup for finder in finders]
            candidates = await uow.incidents.candidates(lookups, lock=True, wait=wait)
            located = [_choose(finder, candidates) for finder in finders]
            keys = [
                job.idempotency_key
                for job, stored in zip(jobs, located, strict=True)
                if job.idempotency_key and isinstance(stored, StoredIncident)
            ]
            taken = await uow.requests.taken(keys)
            current: dict[int, Incident] = {}
            outcomes = [
                self._decide_one(job, stored, taken, current, accepted)
                for job, stored in zip(jobs, located, strict=True)
            ]
            if accepted:
                writes = BatchWrites(
                    claims=[
                        (job.idempotency_key, job.now, change.incident_id)
                        for change, _, job in accepted
                        if job.idempotency_key
                    ],
                    projections=_projections([change for change, _, _ in accepted]),
                    timelines=[(change.incident_id, change.events) for change, _, _ in accepted],
                    messages=[(messages, change.incident_id) for change, messages, _ in accepted],
                )
                await uow.write(writes, max(job.now for _, _, job in accepted))
        return outcomes

    def _rerun_alone(self, error: BaseException) -> RunBatch[_Execution, Change | Duplicate] | None:
        """How each command of a batch that failed with ``error`` runs alone: as the batch did,
        after a conflict or a deadlock (see _lies_in_data); after a row stayed locked for all of
        lock_timeout, without waiting for locks, so that the commands on other incidents go
        through at once and those on the locked one are refused at once (they have waited their
        share, and the commands queued behind them are waiting too); otherwise not at all."""
        if _lies_in_data(error):
            return self._execute_batch
        if lock_not_available(error):
            return self._execute_unless_locked
        return None

    async def _execute_unless_locked(
        self, jobs: Sequence[_Execution]
    ) -> list[Change | Duplicate | BaseException | Deferred]:
        try:
            return await self._execute_batch(jobs, wait=False)
        except DBAPIError as error:
            if not lock_not_available(error):
                raise
            [job] = jobs
            finder = _finder(job.target)
            async with self.unit_of_work() as uow:
                found = _choose(finder, await uow.incidents.candidates([finder.lookup]))
            name = found.incident.ref if isinstance(found, StoredIncident) else "That incident"
            raise Busy(
                f"{name} is being changed by another request that has not finished; nothing was changed — "
                "try again in a few seconds."
            ) from error

    def _decide_one(
        self,
        job: _Execution,
        stored: StoredIncident | BaseException,
        taken: set[str],
        current: dict[int, Incident],
        accepted: list[tuple[Change, Sequence[OutboxMessage], _Execution]],
    ) -> Change | Duplicate | BaseException | Deferred:
        """One command of a batch, decided on its incident as the commands before it in this batch
        left it, as if each had committed in turn (a crowd clicking one card is one transaction).

        The incident was found by its committed state, though. If an earlier command here moved
        its status, which is what "the channel's open incident" depends on, this one waits for the
        next batch and is found again.
        """
        if isinstance(stored, BaseException):
            return stored
        state = current.get(stored.id, stored.incident)
        if state.status is not stored.incident.status:
            return DEFERRED
        key = job.idempotency_key
        if key and key in taken:
            return Duplicate(key)
        try:
            events = decide(state, job.command, job.now, self.policy, self.postmortem)
            change = _numbered(
                Change(stored.id, state, _fold(state, events), (), stored.card_ts, stored.home_ts), events
            )
            messages = job.effects(change)
        except Exception as refused:  # a refusal, or effects that cannot be written: this command's answer
            return refused
        current[stored.id] = change.after
        if key:
            taken.add(key)
        accepted.append((change, messages, job))
        return change

    async def sweep_due(self, *, now: datetime, limit: int, plan: Planner, effects: Effects) -> list[Change]:
        """Record what is due on up to ``limit`` incidents, in one transaction.

        Claim, events, projection and outbox rows commit together: a crash before the commit leaves
        the clocks due for the next tick; after it, the outbox delivers. Either way, once.
        """
        decided_all: list[tuple[Change, list[Event]]] = []
        saves: list[tuple[int, Incident, Incident]] = []
        async with self.unit_of_work() as uow:
            for stored in await uow.incidents.lock_due(now, limit):
                state: Incident = stored.incident
                events: list[Event] = []
                for command in await plan(uow, stored, now):
                    try:
                        decided = decide(state, command, now, self.policy, self.postmortem)
                    except DomainError:
                        log.exception("a planned command was refused", extra={"incident_id": stored.id})
                        continue
                    events.extend(decided)
                    state = _fold(state, decided)
                if events:
                    change = Change(stored.id, stored.incident, state, (), stored.card_ts, stored.home_ts)
                    decided_all.append((change, events))
                    saves.append((stored.id, stored.incident, state))
            # Recorded in bulk: one write for the whole tick, not a few statements per incident.
            changes = [_numbered(change, events) for change, events in decided_all]
            timelines = [(change.incident_id, change.events) for change in changes]
            messages = [(effects(change), change.incident_id) for change in changes]
            await uow.write(BatchWrites(projections=saves, timelines=timelines, messages=messages), now)
            return changes

    async def record(
        self,
        messages: Sequence[OutboxMessage],
        *,
        now: datetime,
        idempotency_key: str | None = None,
        incident_id: int | None = None,
    ) -> bool:
        """Queue messages that change no incident (a refusal's reply, a list), at most once per key."""
        async with self.unit_of_work() as uow:
            if idempotency_key and not await uow.requests.claim(idempotency_key, now):
                return False
            await uow.outbox.add(messages, incident_id, now)
            return True

    @staticmethod
    async def _refuse_if_thread_taken(uow: UnitOfWork, workspace_id: str, channel_id: str, thread_ts: str) -> None:
        existing = await uow.incidents.by_thread(workspace_id, channel_id, thread_ts)
        if existing is not None:
            raise ThreadAlreadyIncident(
                f"This thread is already {existing.incident.ref}; use its commands here instead of declaring again."
            )


@dataclass(frozen=True)
class _Execution:
    target: IncidentRef | Finder
    command: IncidentCommand
    now: datetime
    idempotency_key: str | None
    effects: Effects


def _finder(target: IncidentRef | Finder) -> Finder:
    if isinstance(target, Finder):
        return target

    def named(candidates: Candidates) -> StoredIncident:
        found = candidates.named(target.workspace_id, target.number)
        if found is None:
            raise UnknownIncident(f"{target} does not exist.")
        return found

    return Finder(Lookup(target.workspace_id, number=target.number), named)


def _choose(finder: Finder, candidates: Candidates) -> StoredIncident | BaseException:
    """The command's incident, or why there is none, as that command's answer."""
    try:
        return finder.choose(candidates)
    except Exception as missing:
        return missing


def _lies_in_data(error: BaseException) -> bool:
    """Failures a batch owes to one of its commands (a conflict, a deadlock with another
    replica): running each command alone isolates it. Anything else fails them all."""
    if isinstance(error, IntegrityError | ConcurrentModification):
        return True
    return sqlstate(error) in _RETRY_ALONE_SQLSTATES


def _projections(changes: Sequence[Change]) -> list[tuple[int, Incident, Incident]]:
    """Each incident's projection write for a batch: from its committed state to its last one."""
    writes: dict[int, tuple[int, Incident, Incident]] = {}
    for change in changes:
        assert isinstance(change.before, Incident), "only a declaration starts from no incident"
        committed = writes[change.incident_id][1] if change.incident_id in writes else change.before
        writes[change.incident_id] = (change.incident_id, committed, change.after)
    return list(writes.values())


def _version(state: IncidentState) -> int:
    return state.version if isinstance(state, Incident) else 0


def _numbered(change: Change, events: Sequence[Event]) -> Change:
    return replace(change, events=tuple(numbered(_version(change.before), events)))


def _fold(state: IncidentState, events: Sequence[Event]) -> Incident:
    after = replay(state, events)
    assert isinstance(after, Incident), "an accepted command always leaves a declared incident"
    return after
