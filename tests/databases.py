"""Throwaway databases for tests: a fresh Postgres database per session, never the developer's."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

ADMIN_URL = os.environ.get("FIREBREAK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@asynccontextmanager
async def fresh_postgres_database(prefix: str = "firebreak_test") -> AsyncIterator[str]:
    """Create an empty database on the test server, yield its URL, and drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
