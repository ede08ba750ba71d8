"""The playground's server with a stand-in for the bot at ``/slack/events`` that checks Slack's
signature on everything it receives, records it and answers as a test tells it."""

from __future__ import annotations

import asyncio
import json
import tempfile
import urllib.parse
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.local_slack import LocalSlack
from bot.playground import add_playground
from bot.playground.routes import PLAYGROUND
from bot.runtime.child_environment import free_port
from bot.runtime.settings import Settings

ALICE, BOB = "U0ALICE", "U0BOB"
INCIDENTS = "C0INCIDENTS"
CARD_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*INC-1*"}},
    {
        "type": "actions",
        "block_id": "incident.actions:T0FIREBRK:1:v1",
        "elements": [
            {
                "type": "button",
                "action_id": "incident.ack",
                "text": {"type": "plain_text", "text": "Ack"},
                "value": "v",
            },
            {
                "type": "static_select",
                "action_id": "incident.severity",
                "options": [
                    {"text": {"type": "plain_text", "text": "SEV1"}, "value": "T0FIREBRK:1:SEV1"},
                    {"text": {"type": "plain_text", "text": "SEV2"}, "value": "T0FIREBRK:1:SEV2"},
                ],
            },
            {"type": "users_select", "action_id": "incident.commander"},
        ],
    },
]
MODAL = {
    "type": "modal",
    "callback_id": "incident.resolve",
    "title": {"type": "plain_text", "text": "Resolve INC-1"},
    "submit": {"type": "plain_text", "text": "Resolve"},
    "blocks": [
        {
            "type": "input",
            "block_id": "resolve.summary",
            "label": {"type": "plain_text", "text": "Summary"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


@dataclass
class FakeApp:
    """Stands in for the bot at ``/slack/events``: checks signatures, records, answers as told:
    first with each of ``failures`` (HTTP statuses), then with ``answer``."""

    verifier: SignatureVerifier
    received: list[tuple[str, str]] = field(default_factory=list)
    resends: list[str | None] = field(default_factory=list)
    """Each request's ``X-Slack-Retry-Num``, None on a first sending."""
    answer: dict[str, Any] | None = None
    failures: list[int] = field(default_factory=list)

    async def events(self, request: web.Request) -> web.Response:
        body = await request.text()
        if not self.verifier.is_valid_request(body, dict(request.headers)):
            return web.Response(status=401)
        self.received.append((request.content_type, body))
        self.resends.append(request.headers.get("X-Slack-Retry-Num"))
        if self.failures:
            return web.Response(status=self.failures.pop(0), text="not now")
        return web.json_response(self.answer) if self.answer else web.Response(text="")

    def payload(self, index: int = -1) -> dict[str, Any]:
        content_type, body = self.received[index]
        if content_type == "application/json":
            return dict(json.loads(body))
        form = dict(urllib.parse.parse_qsl(body))
        return dict(json.loads(form["payload"])) if "payload" in form else form


@dataclass
class Server:
    url: str
    app: FakeApp
    slack: LocalSlack
    settings: Settings
    http: aiohttp.ClientSession

    async def post(self, path: str, **body: Any) -> tuple[int, dict[str, Any]]:
        async with self.http.post(f"{self.url}{path}", json={"user": ALICE, **body}) as response:
            return response.status, await response.json()


@asynccontextmanager
async def serve() -> AsyncIterator[Server]:
    """The playground's server, keeping its workspace in a directory of its own."""
    with tempfile.TemporaryDirectory(prefix="firebreak-playground-") as directory:
        database_url = f"sqlite+aiosqlite:///{Path(directory) / 'playground.db'}"
        settings = Settings(
            slack_bot_token="", slack_signing_secret="", port=free_port(), database_url=database_url
        ).as_playground()
        fake = FakeApp(SignatureVerifier(settings.slack_signing_secret))
        app = web.Application()
        app.router.add_post("/slack/events", fake.events)
        add_playground(app, settings)
        runner = web.AppRunner(app, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", settings.port).start()
        async with aiohttp.ClientSession() as http:
            yield Server(f"http://127.0.0.1:{settings.port}", fake, app[PLAYGROUND].slack, settings, http)
        await runner.cleanup()


def bot_client(server: Server) -> AsyncWebClient:
    return AsyncWebClient(token=server.settings.slack_bot_token, base_url=server.settings.slack_api_url)


async def state(server: Server, user: str) -> dict[str, Any]:
    async with server.http.get(f"{server.url}/playground/state", params={"user": user}) as response:
        return dict(await response.json())


async def events(server: Server, count: int, action: Callable[[], Coroutine[Any, Any, None]]) -> list[dict[str, Any]]:
    """The first ``count`` change events on the stream while ``action`` runs."""
    seen: list[dict[str, Any]] = []
    async with server.http.get(f"{server.url}/playground/events") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert (await stream.content.readline()).startswith(b"event: hello")
        task = asyncio.create_task(action())
        async with asyncio.timeout(5):
            while len(seen) < count:
                line = await stream.content.readline()
                if line.startswith(b"data: ") and b'"what"' in line:
                    seen.append(json.loads(line[len(b"data: ") :]))
        await task
    return seen
