"""Reading the bot's /metrics as Prometheus does: over HTTP, parsed by prometheus_client's own parser,
and checked by Prometheus's promtool."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.e2e.harness import BotUnderTest

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


@dataclass(frozen=True)
class Scrape:
    status: int
    text: str
    content_type: str

    @property
    def types(self) -> dict[str, str]:
        """Each family's name (as the parser names it: a counter without ``_total``) and type."""
        return {family.name: family.type for family in text_string_to_metric_families(self.text)}

    @property
    def samples(self) -> list[Sample]:
        return [sample for family in text_string_to_metric_families(self.text) for sample in family.samples]

    def value(self, name: str, **labels: str) -> float:
        """The sample ``name`` with exactly ``labels``; 0 when it is absent (a child not yet incremented)."""
        found = [sample.value for sample in self.samples if sample.name == name and sample.labels == labels]
        assert len(found) <= 1, f"{name}{labels} appears {len(found)} times"
        return found[0] if found else 0.0


def moved(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    """How far the sample moved between two scrapes (counters are the process's: tests assert increments)."""
    return after.value(name, **labels) - before.value(name, **labels)


async def scrape(bot: BotUnderTest, token: str | None = None) -> Scrape:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/metrics", headers=headers) as response:
        return Scrape(response.status, await response.text(), response.headers.get("Content-Type", ""))


async def promtool(*args: str, stdin: str | None = None) -> tuple[int, str]:
    """promtool's exit code and what it printed (stdout and stderr together)."""
    process = await asyncio.create_subprocess_exec(
        PROMTOOL,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate(stdin.encode() if stdin is not None else None)
    assert process.returncode is not None
    return process.returncode, out.decode()
