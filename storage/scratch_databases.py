"""Throwaway Postgres databases for tests and the benchmark: a fresh database per run, created and
dropped through the server's admin database, never the developer's own."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

ADMIN_URL = os.environ.get("FIREBREAK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def database_url(name: str) -> str:
    return f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"


async def _admin(statement: str) -> None:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@asynccontextmanager
async def fresh_postgres_database(prefix: str = "firebreak_test", *, template: str | None = None) -> AsyncIterator[str]:
    """Create an empty database (or a copy of ``template``), yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield database_url(name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
