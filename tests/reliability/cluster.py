"""A throwaway Postgres cluster of a test's own: initdb in a temp dir, on a free port, run as the
``postgres`` user, so a test can stop and start "the database" without touching the machine's."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import asyncpg

from bot.runtime.child_environment import free_port

PG_BIN = Path(os.environ.get("FIREBREAK_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"


def available() -> str | None:
    """Why a throwaway cluster cannot be made here, or None when it can."""
    if not (PG_BIN / "initdb").exists():
        return f"no initdb in {PG_BIN}"
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        return f"no {PG_USER!r} user to run Postgres as"
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != PG_USER:
        return "must run as root or postgres to start a throwaway cluster"
    return None


class ThrowawayCluster:
    """One Postgres server: ``start()``/``stop()`` as often as a test likes; ``destroy()`` at the end."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="firebreak-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.database = "firebreak"
        account = pwd.getpwnam(PG_USER)
        os.chown(self.root, account.pw_uid, account.pw_gid)
        self.root.chmod(0o700)

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", PG_USER, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--no-sync")

    def start_sync(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data), "-l", str(self.log), "-o", options)

    def stop_sync(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-w", "-t", "30", "-m", mode, "-D", str(self.data))

    async def start(self) -> None:
        await asyncio.to_thread(self.start_sync)

    async def stop(self, mode: str = "fast") -> None:
        await asyncio.to_thread(self.stop_sync, mode)

    async def create_database(self) -> None:
        admin = await asyncpg.connect(f"postgresql://{PG_USER}@127.0.0.1:{self.port}/postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            await admin.close()

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-w", "-t", "30", "-m", "immediate", "-D", str(self.data), check=False)
        shutil.rmtree(self.root, ignore_errors=True)
