"""Where the playground keeps its workspace between runs, and starting afresh.

Two files belong together: the database (the incidents) and, beside it, the local Slack's
workspace (the cards and threads those incidents live in). Either without the other would show
cards whose incidents are gone, or incidents without cards, so they are kept, and reset, as one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.local_slack import LocalSlack
from bot.local_slack.snapshot import UnreadableSnapshot, load, save
from bot.runtime.settings import ConfigError
from storage.migrate import upgrade

log = logging.getLogger(__name__)

PLAYGROUND_SQLITE_PATH = "firebreak-playground.db"
"""The playground's own embedded database (``DATABASE_URL`` unset), in the working directory."""
SLACK_FILE_SUFFIX = ".slack.json"
TRANSPORT_FILE_SUFFIX = ".transport.json"
POSTGRES_SLACK_FILE = "firebreak-playground.slack.json"
SAVE_DELAY_SECONDS = 0.2
"""Changes come in bursts (a card, its thread message, an edit): one write per burst."""
_SQLITE_FILES = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Kept:
    """Where this playground's workspace is kept."""

    slack: Path
    database: Path | None
    """The SQLite file; None on Postgres, which Reset never erases (it may hold more than this)."""

    @classmethod
    def for_database(cls, database_url: str | None) -> Kept:
        if not database_url:
            database = Path(PLAYGROUND_SQLITE_PATH).resolve()
        elif database_url.startswith("sqlite") and make_url(database_url).database not in (None, "", ":memory:"):
            database = Path(str(make_url(database_url).database)).resolve()
        else:
            return cls(Path(POSTGRES_SLACK_FILE).resolve(), None)
        return cls(database.with_name(database.name + SLACK_FILE_SUFFIX), database)

    @property
    def transport(self) -> Path:
        """Beside the workspace: how the local Slack delivers to the bot (a choice, which Reset keeps)."""
        return self.slack.with_name(self.slack.name.removesuffix(SLACK_FILE_SUFFIX) + TRANSPORT_FILE_SUFFIX)

    def describe(self) -> str:
        where = str(self.database) if self.database else "the Postgres database in DATABASE_URL"
        return f"{where} and {self.slack}"

    def page(self) -> dict[str, object]:
        refusal = None if self.database else "Reset erases only a SQLite database; this one is Postgres."
        return {"where": self.describe(), "reset": refusal is None, "refusal": refusal}

    def keep_together(self, *, own_database: bool) -> None:
        """Before the database opens: a workspace file without its database (deleted by hand) is
        dropped, and so is the playground's own database without its workspace file (an earlier
        version's, which kept no cards). A database named in DATABASE_URL is never deleted."""
        if self.database is None:
            return
        if not self.database.exists():
            self.slack.unlink(missing_ok=True)
        elif own_database and not self.slack.exists():
            for suffix in _SQLITE_FILES:
                Path(f"{self.database}{suffix}").unlink(missing_ok=True)


class Keeper:
    """Loads the workspace at start, writes it after every burst of changes, erases it on Reset."""

    def __init__(self, slack: LocalSlack, kept: Kept, engine: Callable[[], AsyncEngine] | None) -> None:
        self._slack = slack
        self.kept = kept
        self._engine = engine
        self._pending: asyncio.TimerHandle | None = None

    def load(self) -> None:
        if not self.kept.slack.exists():
            return
        try:
            load(self._slack.state, self.kept.slack)
        except UnreadableSnapshot as error:
            raise ConfigError(
                f"The playground cannot read its saved workspace {self.kept.slack} ({error}). "
                f"Move it away to start afresh (with {self.kept.describe()} it holds the playground's incidents)."
            ) from None

    def changed(self, _what: str) -> None:
        if self._pending is not None:
            return
        try:
            self._pending = asyncio.get_running_loop().call_later(SAVE_DELAY_SECONDS, self.save)
        except RuntimeError:  # no loop: a change made outside the server, written at once
            self.save()

    def save(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        try:
            save(self._slack.state, self.kept.slack)
        except OSError as error:
            log.warning("the playground could not save its workspace", extra={"error": str(error)})

    async def reset(self, forget: Callable[[], None]) -> None:
        """Erase every incident, then every message: a fresh workspace, numbering from INC-1."""
        if self.kept.database is None or self._engine is None:
            raise ResetRefused(str(self.kept.page()["refusal"] or "the playground has no database to reset"))
        await erase(self.kept.database, self._engine())
        self._slack.reset()
        forget()
        self.save()
        log.info("the playground started afresh", extra={"kept": self.kept.describe()})


class ResetRefused(Exception):
    pass


async def erase(database: Path, engine: AsyncEngine) -> None:
    """A fresh SQLite database: every table dropped (their triggers with them), then the migrations
    run again. Deleting rows would not do: the timeline is append-only, and the database itself
    refuses to delete from it. A connection of its own, as foreign keys must be off (tables go in
    any order) and the bot's connections turn them on."""
    async with aiosqlite.connect(database, isolation_level=None) as connection:
        tables = await connection.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        await connection.execute("BEGIN IMMEDIATE")
        for (name,) in tables:
            await connection.execute(f'DROP TABLE "{name}"')
        await connection.execute("COMMIT")
    await upgrade(engine)
