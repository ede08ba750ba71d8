"""The load generator: signed Slack requests, sent over HTTP with a fixed number in flight.

Requests are built and signed before a run starts, so the generator spends its time sending, not
building. Each latency is ``perf_counter`` from just before the POST to the last byte of the answer.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.local_slack import LocalSlack, Message
from bot.local_slack.payloads import FORM_TYPE, JSON_TYPE, click, interaction_form, mention, slash_form
from bot.local_slack.signing import signature_headers


@dataclass(frozen=True)
class Signed:
    """One request as Slack would POST it, signature included."""

    body: bytes
    headers: dict[str, str]


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    started: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_seconds if self.wall_seconds else 0.0

    def figures(self) -> dict[str, Any]:
        return summarize(self.latencies_ms) | {
            "throughput_per_s": self.throughput,
            "wall_s": self.wall_seconds,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(values: Sequence[float]) -> dict[str, Any]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


class SlackRequests:
    """Builds the requests one workspace's people send: slash commands, clicks, mentions."""

    def __init__(self, slack: LocalSlack, secret: str, workspace: str) -> None:
        self.slack = slack
        self.secret = secret
        self.workspace = workspace
        self._count = 0

    def _sign(self, body: str, content_type: str) -> Signed:
        headers = {"Content-Type": content_type, **signature_headers(self.secret, body)}
        return Signed(body.encode(), headers)

    def _name(self, kind: str) -> str:
        self._count += 1
        return f"{kind}-{self._count}"

    def slash(self, channel: str, text: str, user: str = "U0ALICE") -> Signed:
        response_url = self.slack.response_url(self._name("slash"))
        form = slash_form(self.slack.state, user, channel, text, response_url=response_url, team_id=self.workspace)
        return self._sign(form, FORM_TYPE)

    def click(self, card: Message, action_id: str, user: str = "U0ALICE", *, option_value: str | None = None) -> Signed:
        state, url = self.slack.state, self.slack.response_url(self._name("action"))
        payload = click(state, user, card, action_id, response_url=url, choice=option_value, team_id=self.workspace)
        return self._sign(interaction_form(payload), FORM_TYPE)

    def mention(self, channel: str, text: str, user: str = "U0ALICE") -> tuple[Signed, Message]:
        """``@firebreak <text>`` typed in ``channel``: the message now exists in the local Slack."""
        envelope, message = mention(self.slack.state, user=user, channel=channel, text=text, team_id=self.workspace)
        return self._sign(json.dumps(envelope), JSON_TYPE), message


class Client:
    """One keep-alive HTTP client for a whole benchmark run."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, url: str, request: Signed) -> tuple[int, float, bytes]:
        """POST one request: its status, latency in ms and body."""
        assert self._session is not None
        started = time.perf_counter()
        async with self._session.post(url, data=request.body, headers=request.headers) as response:
            body = await response.read()
        return response.status, (time.perf_counter() - started) * 1000, body

    async def run(
        self, url: str, requests: Iterable[Signed], concurrency: int, *, until: float | None = None
    ) -> LoadResult:
        """Send every request, ``concurrency`` of them in flight at any time (a closed loop).

        With ``until`` (a ``perf_counter`` time), no request is sent after it: a sustained run of
        that length, drawing on ``requests`` (which may be an endless generator, building each
        request when it is drawn). ``started[i]`` is when the ``i``-th request drawn was sent.
        """
        result = LoadResult()
        pending = iter(requests)

        async def worker() -> None:
            while until is None or time.perf_counter() < until:
                request = next(pending, None)
                if request is None:
                    return
                # Drawn and stamped with nothing awaited between, so started[] is in drawing order.
                result.started.append(time.perf_counter())
                status, latency, _ = await self.send(url, request)
                result.latencies_ms.append(latency)
                result.statuses[status] = result.statuses.get(status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.wall_seconds = time.perf_counter() - started
        return result
