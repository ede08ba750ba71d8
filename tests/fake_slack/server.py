"""A fake Slack Web API (plus response_url endpoint) served by aiohttp on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from aiohttp import web

from .faults import ChannelRateLimiter, Fault, FaultControls, FaultPlan
from .methods import method_table
from .models import JSON, Ephemeral, Message, SlackError, View
from .records import Call, ResponseUrlPost, summarize, timeout_report
from .state import SlackState

T = TypeVar("T")
Reply = tuple[int, JSON, dict[str, str]]
RESPONSE_URL = "response_url"
RATE_LIMITED_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.delete"})


async def _read_args(request: web.Request) -> tuple[JSON, str | None]:
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


class FakeSlack(FaultControls):
    """Fake Slack for tests: point ``AsyncWebClient(base_url=slack.base_url)`` at it."""

    def __init__(
        self,
        token: str = "xoxb-test",
        *,
        state: SlackState | None = None,
        validate_blocks: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.state = state if state is not None else SlackState()
        self.faults = FaultPlan()
        self.calls: list[Call] = []
        self._posts: list[ResponseUrlPost] = []
        self._methods = method_table(validate_blocks=validate_blocks)
        self._limiter: ChannelRateLimiter | None = None
        self._host, self._port = host, port
        self._clock = clock
        self._t0 = clock()
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{name}", self._handle_response_url)
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
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://{self._host}:{self._port}/"

    @property
    def base_url(self) -> str:
        """Web API base URL, e.g. ``http://127.0.0.1:PORT/api/``."""
        return self.url + "api/"

    def response_url(self, name: str) -> str:
        """A response_url whose POSTs are recorded under ``name`` (see :meth:`response_url_posts`)."""
        return f"{self.url}response/{name}"

    # ------------------------------------------------------------------ inspection
    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages(self, channel: str, thread_ts: str | None = None) -> list[Message]:
        """Current messages of ``channel`` (after edits), or only the replies of thread ``thread_ts``."""
        return self.state.messages(channel, thread_ts)

    def message(self, channel: str, ts: str) -> Message | None:
        return self.state.find_message(channel, ts)

    def thread(self, channel: str, ts: str) -> list[Message]:
        """Thread root ``ts`` (when it was posted through the fake) followed by its replies."""
        return self.state.thread(channel, ts)

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        return [e for e in self.state.ephemerals if user is None or e.user == user]

    def views(self) -> list[View]:
        return list(self.state.views.values())

    def response_url_posts(self, name: str | None = None) -> list[ResponseUrlPost]:
        return [p for p in self._posts if name is None or p.name == name]

    def summary(self) -> str:
        return summarize(self.calls, self._t0)

    def reset(self) -> None:
        """Forget calls, posts, Slack state, faults and the per-channel limit (ts stay unique)."""
        self.calls.clear()
        self._posts.clear()
        self.state.clear()
        self.faults.clear()
        self._limiter = None
        self._notify()

    async def wait_for(self, predicate: Callable[[FakeSlack], T | None], timeout: float = 5.0, *, what: str = "") -> T:  # noqa: ASYNC109
        """Wait until ``predicate(slack)`` is truthy and return its value; re-checked after every call.

        ``LookupError`` raised by the predicate (e.g. ``messages(c)[0]`` too early) counts as "not yet".
        On timeout raises ``AssertionError`` listing the calls seen.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last_error: LookupError | None = None
        while True:
            changed = self._changed
            try:
                value = predicate(self)
            except LookupError as exc:
                last_error, value = exc, None
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
        raise AssertionError(self._timeout_report(predicate, timeout, what, last_error))

    def _timeout_report(self, predicate: object, timeout: float, what: str, error: LookupError | None) -> str:
        channels = ", ".join(f"{c}: {len(m)}" for c, m in self.state.channels.items()) or "none"
        state = (
            f"messages per channel: {channels}; ephemerals: {len(self.state.ephemerals)}; "
            f"response_url posts: {len(self._posts)}; pending faults: {self.faults.pending}"
        )
        return timeout_report(predicate, timeout, what=what, error=error, state=state, calls=self.summary())

    # ------------------------------------------------------------------ HTTP
    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._notify()

    async def _fault_reply(self, fault: Fault) -> Reply | None:
        body: JSON = {"ok": False, "error": fault.error}
        if fault.kind == "rate_limit":
            return 429, body, {"Retry-After": str(fault.retry_after)}
        if fault.kind != "hang":
            return fault.status, body, {}
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), fault.seconds)
        return None if fault.process and not self._closing.is_set() else (fault.status, body, {})

    async def _reply(self, method: str, args: JSON, token: str | None) -> Reply:
        fault = self.faults.take(method)
        if fault is not None and (early := await self._fault_reply(fault)) is not None:
            return early
        handler = self._methods.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method", "req_method": method}, {}
        if token != self.token:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        channel = args.get("channel")
        if self._limiter and method in RATE_LIMITED_METHODS and isinstance(channel, str) and channel:
            retry_after = self._limiter.acquire(channel)
            if retry_after is not None:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        try:
            return 200, {"ok": True, **handler(self.state, args)}, {}
        except SlackError as exc:
            return 200, exc.body(), {}

    async def _handle_api(self, request: web.Request) -> web.Response:
        method, at = request.match_info["method"], self._clock()
        try:
            args, token = await _read_args(request)
            status, body, headers = await self._reply(method, args, token)
        except SlackError as exc:
            args, (status, body, headers) = {}, (200, exc.body(), {})
        self._record(Call(method, args, at, status, body, headers=dict(headers)))
        return web.json_response(body, status=status, headers=headers)

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        name, at = request.match_info["name"], self._clock()
        headers: dict[str, str] = {}
        try:
            body, _ = await _read_args(request)
            status, reply = 200, {"ok": True}
        except SlackError as exc:
            body, status, reply = {}, 400, exc.body()
        fault = self.faults.take(RESPONSE_URL) if status == 200 else None
        if fault is not None and (early := await self._fault_reply(fault)) is not None:
            status, reply, headers = early
        if status == 200 and reply.get("ok"):
            self._posts.append(ResponseUrlPost(name, body, at))
        self._record(Call(RESPONSE_URL, {"name": name, "body": body}, at, status, reply))
        return web.json_response(reply, status=status, headers=headers)
