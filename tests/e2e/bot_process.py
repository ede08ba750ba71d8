"""``python -m bot`` as a real child process: started with an environment, driven over HTTP, its
stdout (the JSON logs) and stderr captured, and stopped by a signal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp

from bot.local_slack.signing import signature_headers
from bot.runtime.child_environment import REPO, clean_environment, free_port
from tests.e2e.harness import SIGNING_SECRET


def bot_environment(slack_token: str, slack_api_url: str, database_url: str, **extra: str) -> dict[str, str]:
    """Everything ``python -m bot`` needs to serve the test's fake Slack from the test's database."""
    return clean_environment(
        SLACK_BOT_TOKEN=slack_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url,
        DATABASE_URL=database_url,
        PORT=str(free_port()),
        LOG_LEVEL="INFO",
        **extra,
    )


class BotProcess:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        self.url = f"http://127.0.0.1:{self.env.get('PORT', '3000')}"
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._process: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []

    @property
    def process(self) -> asyncio.subprocess.Process:
        assert self._process is not None, "not started"
        return self._process

    async def start(self) -> BotProcess:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=REPO,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        self._readers = [
            asyncio.create_task(_collect(self._process.stdout, self.stdout)),
            asyncio.create_task(_collect(self._process.stderr, self.stderr)),
        ]
        return self

    async def run_to_exit(self, timeout: float = 15.0) -> int:  # noqa: ASYNC109
        """Start and wait for the process to end by itself; its exit code."""
        await self.start()
        return await self.wait(timeout)

    async def wait(self, timeout: float) -> int:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            code = await self.process.wait()
            await asyncio.gather(*self._readers)
        return code

    async def wait_until_healthy(self, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while True:
                if self.process.returncode is not None:
                    await asyncio.gather(*self._readers)
                    raise AssertionError(f"the bot exited with {self.process.returncode}:\n{self.output()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise AssertionError(f"the bot was not healthy within {timeout}s:\n{self.output()}")
                await asyncio.sleep(0.05)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[BotProcess]:
        """Started and healthy for the block; killed after it unless the test stopped it."""
        try:
            await self.start()
            await self.wait_until_healthy()
            yield self
        finally:
            await self.ensure_stopped()

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}{path}") as response:
            return response.status, await response.text()

    async def post_signed(self, body: str, content_type: str = "application/json") -> tuple[int, str]:
        headers = {"Content-Type": content_type, **signature_headers(SIGNING_SECRET, body)}
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.url}/slack/events", data=body.encode(), headers=headers) as response,
        ):
            return response.status, await response.text()

    async def signal(self, number: signal.Signals, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        """Send ``number``; the exit code once the process has ended (within ``timeout``)."""
        self.process.send_signal(number)
        return await self.wait(timeout)

    async def ensure_stopped(self) -> None:
        """Tear-down: a process the test did not stop is killed (this one, by its own id)."""
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
        for reader in self._readers:
            reader.cancel()

    def json_logs(self) -> list[dict[str, Any]]:
        entries = []
        for line in self.stdout:
            entry = json.loads(line)
            assert isinstance(entry, dict), line
            entries.append(entry)
        return entries

    def output(self) -> str:
        return "stdout:\n" + "\n".join(self.stdout[-40:]) + "\nstderr:\n" + "\n".join(self.stderr[-40:])


async def _collect(stream: asyncio.StreamReader, into: list[str]) -> None:
    while line := await stream.readline():
        into.append(line.decode(errors="replace").rstrip("\n"))
