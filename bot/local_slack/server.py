"""The local Slack Web API (and response_url endpoint) over aiohttp: standalone on its own port, or
mounted under a prefix of another app (the playground mounts it inside the bot's own app).

It fails on request (:mod:`.faults`): tests and the benchmark script outages, hangs and rate limits.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from aiohttp import web

from .faults import ChannelRateLimiter, FaultControls, FaultPlan, Reply
from .methods import Handler, method_table
from .models import JSON, SlackError
from .observe import Observable
from .openid import AUTHORIZE_PATH, SIGN_IN_METHODS, SignInWithSlack
from .records import Call, ResponseUrlPost
from .responses import ResponseTarget, apply_response
from .socket_mode import SocketMode
from .state import SlackState

RESPONSE_URL = "response_url"
CONNECTIONS_OPEN = "apps.connections.open"


async def read_args(request: web.Request) -> tuple[JSON, str | None]:
    """Merge query, form and JSON arguments; return them with the token (header first)."""
    args: JSON = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(body, dict):
                raise SlackError("invalid_json")
            args.update(body)
        else:
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    header = request.headers.get("Authorization", "")
    body_token = args.pop("token", None)
    token = header[len("Bearer ") :].strip() if header.startswith("Bearer ") else body_token
    return args, token if isinstance(token, str) else None


class LocalSlack(FaultControls, Observable):
    """A Slack workspace with its Web API: point ``AsyncWebClient(base_url=slack.base_url)`` at it."""

    def __init__(
        self,
        token: str,
        *,
        state: SlackState | None = None,
        validate_blocks: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        keep_calls: int | None = None,
        app_token: str | None = None,
    ) -> None:
        super().__init__(clock, keep_calls)
        self.token = token
        self.app_token = app_token
        """The app-level ``xapp-`` token that may open Socket Mode connections (None: no app may)."""
        self.state = state if state is not None else SlackState()
        self._methods: dict[str, Handler] = method_table(validate_blocks=validate_blocks)
        self._host, self._port = host, port
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._mounted_url: str | None = None
        self._targets: dict[str, ResponseTarget] = {}
        self.faults = FaultPlan()
        self._limiter: ChannelRateLimiter | None = None
        self.socket_mode = SocketMode(self.state.app_id, self.notify_change)
        self.sign_in = SignInWithSlack(self.state)
        """Sign in with Slack: register a client (``sign_in.register(id, secret)``) to use it."""

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Serve on ``host:port`` (port 0: a free one) until :meth:`stop`."""
        if self._runner is not None:
            return
        app = web.Application()
        self._add_routes(app, "")
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._port = int(runner.addresses[0][1])
        self._closing.clear()
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._closing.set()  # wakes hung handlers so shutdown is immediate
        await self.socket_mode.close()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    def mount(self, app: web.Application, url: str) -> None:
        """Serve inside ``app`` at ``url`` (e.g. ``http://127.0.0.1:3000/local-slack/``), whose path
        becomes the routes' prefix: the Web API is then at ``url + "api/"``."""
        self._mounted_url = url if url.endswith("/") else url + "/"
        self._add_routes(app, urlsplit(self._mounted_url).path.rstrip("/"))

        async def closing(_app: web.Application) -> None:
            self._closing.set()
            await self.socket_mode.close()

        app.on_shutdown.append(closing)

    def _add_routes(self, app: web.Application, prefix: str) -> None:
        app.router.add_route("*", f"{prefix}/api/{{method}}", self._handle_api)
        app.router.add_post(f"{prefix}/response/{{name}}", self._handle_response_url)
        app.router.add_get(f"{prefix}/socket-mode/link/", self.socket_mode.handle)
        app.router.add_get(f"{prefix}{AUTHORIZE_PATH}", self.sign_in.page)
        app.router.add_post(f"{prefix}{AUTHORIZE_PATH}", self.sign_in.choose)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._mounted_url is not None:
            return self._mounted_url
        if self._runner is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://{self._host}:{self._port}/"

    @property
    def authorize_url(self) -> str:
        """Sign in with Slack's authorize page (Slack's is https://slack.com/openid/connect/authorize)."""
        return self.url + AUTHORIZE_PATH.lstrip("/")

    @property
    def base_url(self) -> str:
        """Web API base URL, e.g. ``http://127.0.0.1:PORT/api/``."""
        return self.url + "api/"

    def response_url(self, name: str) -> str:
        """A response_url whose POSTs are recorded under ``name`` (see :meth:`response_url_posts`)."""
        return f"{self.url}response/{name}"

    def response_url_for(self, target: ResponseTarget) -> str:
        """A response_url whose POSTs also act on the workspace the way Slack's do: an ephemeral
        reply to ``target.user`` (or a message in the channel, with ``response_type: in_channel``)."""
        name = f"r{secrets.token_hex(8)}"
        self._targets[name] = target
        return self.response_url(name)

    def reset(self) -> None:
        """Forget calls, posts, Slack state, faults and the per-channel limit (ts stay unique)."""
        self.faults.clear()
        self._limiter = None
        super().reset()

    def state_report(self) -> str:
        return f"{super().state_report()}; pending faults: {self.faults.pending}"

    # ------------------------------------------------------------------ HTTP
    async def _reply(self, method: str, args: JSON, token: str | None) -> Reply:
        if (early := await self.intercept(method, args)) is not None:
            return early
        handler = self._methods.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method", "req_method": method}, {}
        if token != self.token:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        if (refusal := self.admit(method, args)) is not None:
            return refusal
        try:
            return 200, {"ok": True, **handler(self.state, args)}, {}
        except SlackError as exc:
            return 200, exc.body(), {}

    def _open_connection(self, token: str | None) -> Reply:
        """Socket Mode takes the app-level token; Slack refuses a bot token for it by its type."""
        if token is not None and token == self.token:
            return 200, {"ok": False, "error": "not_allowed_token_type"}, {}
        if self.app_token is None or token != self.app_token:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        return 200, {"ok": True, **self.socket_mode.open_connection(self.url)}, {}

    async def _handle_api(self, request: web.Request) -> web.Response:
        method, at = request.match_info["method"], self._clock()
        try:
            args, token = await read_args(request)
            if method == CONNECTIONS_OPEN:
                status, body, headers = self._open_connection(token)
            elif method in SIGN_IN_METHODS:  # authenticated by client credentials or a user's token
                authorization = request.headers.get("Authorization", "")
                status, body, headers = 200, self.sign_in.call(method, args, authorization), {}
            else:
                status, body, headers = await self._reply(method, args, token)
        except SlackError as exc:
            args, (status, body, headers) = {}, (200, exc.body(), {})
        self._record(Call(method, args, at, status, body, headers=dict(headers)))
        return web.json_response(body, status=status, headers=headers)

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        name, at = request.match_info["name"], self._clock()
        headers: dict[str, str] = {}
        try:
            body, _ = await read_args(request)
            status, reply = 200, {"ok": True}
        except SlackError as exc:
            body, status, reply = {}, 400, exc.body()
        early = await self.intercept(RESPONSE_URL, body) if status == 200 else None
        if early is not None:
            status, reply, headers = early
        if status == 200 and reply.get("ok"):
            target = self._targets.get(name)
            try:
                if target is not None:
                    apply_response(self.state, target, body)
            except SlackError as exc:
                status, reply = 400, exc.body()
            else:
                self._posts.append(ResponseUrlPost(name, body, at))
        self._record(Call(RESPONSE_URL, {"name": name, "body": body}, at, status, reply))
        return web.json_response(reply, status=status, headers=headers)
