"""One card, one writer at a time: on either database within a bot, and across replicas on Postgres."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.card_locks import card_lock
from storage.database import create_engine, database_config

# Far above any incident id the other tests declare, so that no other test holds these cards.
CARD, OTHER_CARD = 2_000_000_001, 2_000_000_002


async def _two_holders(first: AsyncEngine, second: AsyncEngine, hold_seconds: float) -> list[str]:
    """Both hold CARD's lock for ``hold_seconds``; what they did, in the order they did it."""
    done: list[str] = []

    async def hold(name: str, engine: AsyncEngine) -> None:
        async with card_lock(engine, CARD):
            done.append(f"{name} in")
            await asyncio.sleep(hold_seconds)
            done.append(f"{name} out")

    async with asyncio.timeout(10):
        await asyncio.gather(hold("first", first), hold("second", second))
    return done


def _one_after_the_other(done: list[str]) -> bool:
    return done in (
        ["first in", "first out", "second in", "second out"],
        ["second in", "second out", "first in", "first out"],
    )


async def test_two_senders_of_one_card_take_turns(engine: AsyncEngine) -> None:
    assert _one_after_the_other(await _two_holders(engine, engine, 0.1))


async def test_different_cards_do_not_wait_for_each_other(engine: AsyncEngine) -> None:
    async with card_lock(engine, CARD), asyncio.timeout(5), card_lock(engine, OTHER_CARD):
        pass


async def test_replicas_take_turns_on_postgres_even_past_the_lock_timeout(
    postgres_url: str, postgres_engine: AsyncEngine
) -> None:
    """Another replica's engine shares no process lock: the advisory lock keeps them apart, and a
    wait longer than the session's lock_timeout (500 ms) still ends in a turn."""
    replica = create_engine(database_config(postgres_url))
    try:
        assert _one_after_the_other(await _two_holders(postgres_engine, replica, 0.8))
    finally:
        await replica.dispose()
