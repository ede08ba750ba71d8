from __future__ import annotations

import logging
from pathlib import Path

import pytest

from storage.database import create_engine, database_config


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/app", "postgresql+asyncpg://u:p@db:5432/app"),
        ("postgresql://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("postgresql+asyncpg://u@db/app", "postgresql+asyncpg://u@db/app"),
    ],
)
def test_postgres_urls_map_to_asyncpg(given: str, expected: str) -> None:
    config = database_config(given)
    assert config.url == expected
    assert config.is_postgres
    assert not config.embedded


def test_unset_database_url_means_embedded_sqlite(tmp_path: Path) -> None:
    config = database_config(None, str(tmp_path / "fb.db"))
    assert config.embedded
    assert config.url == f"sqlite+aiosqlite:///{tmp_path / 'fb.db'}"
    assert database_config("", str(tmp_path / "fb.db")) == config


async def test_embedded_database_says_so_in_the_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="storage.database"):
        engine = create_engine(database_config(None, str(tmp_path / "fb.db")))
    await engine.dispose()
    assert "embedded SQLite" in caplog.text
    assert "Postgres" in caplog.text
