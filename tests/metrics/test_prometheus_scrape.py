"""The README's Prometheus scrape config, as an operator pastes it, run by a real Prometheus against the bot.

Only what must differ on a test machine is swapped: the bot's address, plain HTTP, the token's file, and
a one-second interval. promtool checks the config; Prometheus then scrapes the bot with the bearer token.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.local_slack import LocalSlack
from bot.runtime.child_environment import free_port
from tests.console.support import with_console
from tests.e2e.harness import BotUnderTest
from tests.metrics.scraping import promtool
from tests.readme import fenced_block
from tests.waiting import poll

SECTION = "Watching Firebreak with Prometheus"
TOKEN = "prometheus-test-token-41c7"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
# Only a bound on waiting for Prometheus to start and scrape; nothing here times the bot.
SCRAPED_WITHIN_SECONDS = 60.0


def scrape_config(bot_url: str, token_file: Path) -> str:
    """The README's scrape config pointed at ``bot_url``, with the token read from ``token_file``."""
    config = fenced_block(SECTION, "yaml")
    swaps = {
        "firebreak.example.com:443": bot_url.removeprefix("http://"),
        "scheme: https": "scheme: http",
        "/etc/prometheus/firebreak-metrics-token": str(token_file),
        "scrape_interval: 15s": "scrape_interval: 1s",
    }
    for old, new in swaps.items():
        assert config.count(old) == 1, f"the README's scrape config no longer has {old!r} once: update this test"
        config = config.replace(old, new)
    return config


async def test_the_readme_scrape_config_passes_promtool(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    (tmp_path / "prometheus.yml").write_text(scrape_config("http://127.0.0.1:3000", token_file))

    code, said = await promtool("check", "config", str(tmp_path / "prometheus.yml"))

    assert code == 0, said


async def test_prometheus_scrapes_the_bot_with_the_readme_config(
    slack: LocalSlack, database_url: str, workspace: str, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    bot = await with_console(BotUnderTest(slack, database_url, workspace), metrics_token=TOKEN).start()
    try:
        (tmp_path / "prometheus.yml").write_text(scrape_config(bot.url, token_file))
        async with prometheus(tmp_path) as query:
            up = await poll(lambda: query('up{job="firebreak"} == 1'), SCRAPED_WITHIN_SECONDS, "Prometheus's scrape")
            stored = await query("firebreak_incidents_open")
    finally:
        await bot.stop()

    assert [series["metric"]["job"] for series in up] == ["firebreak"]
    assert sorted(series["metric"]["severity"] for series in stored) == ["SEV1", "SEV2", "SEV3", "SEV4"]


@asynccontextmanager
async def prometheus(directory: Path) -> AsyncIterator[_Querier]:
    """Prometheus on a free port with ``directory``/prometheus.yml; yields a PromQL query function."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        PROMETHEUS,
        f"--config.file={directory / 'prometheus.yml'}",
        f"--storage.tsdb.path={directory / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as session:
            yield _Querier(session, f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        await process.wait()


class _Querier:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session = session
        self._url = url

    async def __call__(self, promql: str) -> list[dict[str, Any]]:
        """The instant query's result; empty while Prometheus is not up yet or has nothing."""
        try:
            async with self._session.get(f"{self._url}/api/v1/query?{urlencode({'query': promql})}") as response:
                if response.status != 200:  # 503 until it is ready
                    return []
                body = json.loads(await response.text())
        except aiohttp.ClientConnectionError:
            return []
        return list(body["data"]["result"])
