"""What the local Slack server saw: recorded calls and response_url posts, and a readable summary."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .models import JSON

_SUMMARY_KEYS = ("channel", "ts", "thread_ts", "user", "user_id", "trigger_id", "view_id", "text")


@dataclass(frozen=True)
class Call:
    """One HTTP request to the server. ``at`` is the arrival time on its clock (monotonic).

    Calls are appended when their response is produced, so a hung call appears once it answers.
    ``args`` merges query string, form fields and JSON body (minus ``token``).
    """

    method: str
    args: JSON
    at: float
    status: int
    response: JSON = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def retry_after(self) -> float | None:
        value = self.headers.get("Retry-After")
        return float(value) if value is not None else None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.response.get("ok") is True

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return error if isinstance(error, str) else None


@dataclass(frozen=True)
class ResponseUrlPost:
    """A successful POST to ``FakeSlack.response_url(name)``; ``body`` is the JSON (or form) sent."""

    name: str
    body: JSON
    at: float


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_call(call: Call, t0: float) -> str:
    outcome = "ok" if call.ok else (call.error or "failed")
    args = call.args.get("body", call.args) if call.method == "response_url" else call.args
    parts = [f"{key}={_short(args[key])}" for key in _SUMMARY_KEYS if key in args]
    if call.method == "response_url":
        parts.insert(0, f"name={call.args.get('name')!r}")
    if "blocks" in args:
        blocks = args["blocks"]
        parts.append(f"blocks[{len(blocks)}]" if isinstance(blocks, list) else "blocks=<json>")
    return f"  +{call.at - t0:7.3f}s  {call.method:<20} {call.status} {outcome:<18} {' '.join(parts)}"


def summarize(calls: Sequence[Call], t0: float, *, limit: int = 40) -> str:
    if not calls:
        return "no Slack calls were made"
    lines = [f"{len(calls)} Slack call(s), oldest first (times since the fake was created):"]
    if len(calls) > limit:
        lines.append(f"  ... {len(calls) - limit} earlier call(s) omitted ...")
    lines += [describe_call(call, t0) for call in calls[-limit:]]
    return "\n".join(lines)


def timeout_report(
    predicate: object,
    timeout: float,
    *,
    what: str,
    error: Exception | None,
    state: str,
    calls: str,
    server: str = "FakeSlack",
) -> str:
    if not what:
        try:
            what = inspect.getsource(predicate).strip()  # type: ignore[arg-type]
        except (OSError, TypeError):
            what = repr(predicate)
    lines = [f"{server}.wait_for timed out after {timeout}s waiting for: {what}"]
    if error is not None:
        lines.append(f"last predicate error: {error!r}")
    return "\n".join([*lines, state, calls])
