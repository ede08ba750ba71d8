"""Looking at what the local Slack saw and holds: calls, messages, views, waiting for a change,
and telling listeners (the playground's live page) that something changed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Self, TypeVar

from .models import Ephemeral, Message, View
from .records import Call, ResponseUrlPost, summarize, timeout_report
from .state import SlackState

T = TypeVar("T")
Listener = Callable[[str], None]
"""Called with what changed: a Web API method name, ``"response_url"``, ``"reset"`` or a reason."""


class Observable:
    state: SlackState

    def __init__(self, clock: Callable[[], float], keep_calls: int | None = None) -> None:
        self.calls: list[Call] = []
        self._keep_calls = keep_calls
        self._posts: list[ResponseUrlPost] = []
        self._clock = clock
        self._t0 = clock()
        self._changed = asyncio.Event()
        self._listeners: list[Listener] = []

    # ------------------------------------------------------------------ inspection
    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages(self, channel: str, thread_ts: str | None = None) -> list[Message]:
        """Current messages of ``channel`` (after edits), or only the replies of thread ``thread_ts``."""
        return self.state.messages(channel, thread_ts)

    def message(self, channel: str, ts: str) -> Message | None:
        return self.state.find_message(channel, ts)

    def thread(self, channel: str, ts: str) -> list[Message]:
        """Thread root ``ts`` (when it was posted through this server) followed by its replies."""
        return self.state.thread(channel, ts)

    def direct_messages(self, user: str) -> list[Message]:
        """What the bot posted in its direct conversation with ``user``."""
        return self.state.messages(self.state.conversation(user))

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        return [e for e in self.state.ephemerals if user is None or e.user == user]

    def views(self) -> list[View]:
        return list(self.state.views.values())

    def response_url_posts(self, name: str | None = None) -> list[ResponseUrlPost]:
        return [p for p in self._posts if name is None or p.name == name]

    def summary(self) -> str:
        return summarize(self.calls, self._t0)

    def reset(self) -> None:
        """Forget calls, posts and Slack state (ts stay unique)."""
        self.calls.clear()
        self._posts.clear()
        self.state.clear()
        self.notify_change("reset")

    # ------------------------------------------------------------------ changes
    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` after every change (every call answered, every reset)."""
        self._listeners.append(listener)

    def notify_change(self, what: str) -> None:
        """Wake :meth:`wait_for` and the listeners; for changes made to :attr:`state` directly too."""
        self._changed.set()
        self._changed = asyncio.Event()
        for listener in self._listeners:
            listener(what)

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        if self._keep_calls is not None and len(self.calls) > self._keep_calls:
            del self.calls[: -self._keep_calls]  # a long-running server keeps only the latest
            del self._posts[: -self._keep_calls]
        self.notify_change(call.method)

    async def wait_for(self, predicate: Callable[[Self], T | None], timeout: float = 5.0, *, what: str = "") -> T:  # noqa: ASYNC109
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

    def state_report(self) -> str:
        """One line about what the workspace holds, for failure messages."""
        channels = ", ".join(f"{c}: {len(m)}" for c, m in self.state.channels.items()) or "none"
        return (
            f"messages per channel: {channels}; ephemerals: {len(self.state.ephemerals)}; "
            f"response_url posts: {len(self._posts)}"
        )

    def _timeout_report(self, predicate: object, timeout: float, what: str, error: LookupError | None) -> str:
        return timeout_report(
            predicate,
            timeout,
            what=what,
            error=error,
            state=self.state_report(),
            calls=self.summary(),
            server=type(self).__name__,
        )
