"""A real Alertmanager (Debian's ``prometheus-alertmanager``) as a child process of the test:
clustering off, its own storage directory and free port, configured from docs/alertmanager.yml
(the README's snippet) with the bot's URL and token and short intervals. Tests fire and resolve
alerts through its API (``POST /api/v2/alerts``), and it delivers them to the bot as it would in
production, retrying on 5xx."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.runtime.child_environment import REPO, free_port
from tests.waiting import poll

ALERTMANAGER_BIN = Path("/usr/bin/prometheus-alertmanager")
DOCS_CONFIG = REPO / "docs" / "alertmanager.yml"
DOCS_URL = "https://firebreak.example.com"
DOCS_TOKEN = "paste-ALERTS_TOKEN-here"
READY_SECONDS = 20.0


@dataclass(frozen=True)
class Intervals:
    """Alertmanager's timings for a test: seconds, where production waits minutes."""

    group_wait: str = "1s"
    group_interval: str = "1s"
    repeat_interval: str = "1h"


def config_from_docs(bot_url: str, token: str, intervals: Intervals) -> str:
    """docs/alertmanager.yml with the test's URL, token and intervals, and nothing else changed."""
    text = DOCS_CONFIG.read_text()
    swaps = {
        DOCS_URL: bot_url,
        f"credentials: {DOCS_TOKEN}": f"credentials: {token}",
        "group_wait: 30s": f"group_wait: {intervals.group_wait}",
        "group_interval: 5m": f"group_interval: {intervals.group_interval}",
        "repeat_interval: 4h": f"repeat_interval: {intervals.repeat_interval}",
    }
    for old, new in swaps.items():
        assert text.count(old) == 1, f"docs/alertmanager.yml no longer has {old!r} once: update this helper"
        text = text.replace(old, new)
    return text


class Alertmanager:
    def __init__(self, config: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="firebreak-alertmanager-"))
        self.config_file = self.root / "alertmanager.yml"
        self.config_file.write_text(config)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.root / "alertmanager.log"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> Alertmanager:
        with self.log.open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                str(ALERTMANAGER_BIN),
                f"--config.file={self.config_file}",
                f"--storage.path={self.root / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",  # no gossip: a single Alertmanager of the test's own
                "--log.level=debug",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        await self._wait_until_ready()
        return self

    async def _wait_until_ready(self) -> None:
        async with aiohttp.ClientSession() as session:

            async def ready() -> bool:
                assert self._process is not None
                assert self._process.returncode is None, f"Alertmanager exited:\n{self.output()}"
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.url}/-/ready") as response:
                        return response.status == 200
                return False

            await poll(ready, READY_SECONDS, f"Alertmanager to be ready (its log: {self.log})")

    async def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """``POST /api/v2/alerts``, as Prometheus sends them."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.url}/api/v2/alerts", json=alerts) as response,
        ):
            assert response.status == 200, await response.text()

    async def fire(self, *alerts: dict[str, str]) -> None:
        """Alerts with these label sets start firing (a summary annotation from ``alertname``)."""
        await self.post_alerts([_alert(labels) for labels in alerts])

    async def resolve(self, *alerts: dict[str, str]) -> None:
        """Alerts with these label sets end (as Prometheus says once a rule stops matching)."""
        ended = datetime.now(UTC).isoformat()
        await self.post_alerts([_alert(labels) | {"endsAt": ended} for labels in alerts])

    async def stop(self) -> None:
        """Tear-down: this process (by its own id) is ended, its directory removed."""
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), timeout=10)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else "(no log)"


def _alert(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "labels": labels,
        "annotations": {"summary": f"{labels.get('alertname', 'alert')} on {labels.get('service', 'everything')}"},
        "generatorURL": "http://prometheus.example.com:9090/graph",
    }


AlertmanagerFor = Callable[..., Awaitable[Alertmanager]]


@pytest.fixture
async def alertmanager_for() -> AsyncIterator[AlertmanagerFor]:
    """``await alertmanager_for(bot_url, token, Intervals(...))``: a running Alertmanager whose
    receiver is the README's, pointed at ``bot_url``; every one started is stopped at the end."""
    _require_alertmanager()
    started: list[Alertmanager] = []

    async def start(bot_url: str, token: str, intervals: Intervals = Intervals()) -> Alertmanager:
        alertmanager = Alertmanager(config_from_docs(bot_url, token, intervals))
        started.append(alertmanager)
        return await alertmanager.start()

    yield start
    for alertmanager in started:
        await alertmanager.stop()


def _require_alertmanager() -> None:
    if not ALERTMANAGER_BIN.exists():
        pytest.skip(f"no {ALERTMANAGER_BIN}: install Debian's prometheus-alertmanager (.ci/run does)")
