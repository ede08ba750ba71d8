"""The writer (SPEC §6): a good answer becomes a labelled AI draft; every way the AI can fail (no key,
timeout, error status, malformed answer, open breaker) becomes the labelled template, promptly."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from bot.ai.output import PART_MAX
from bot.ai.writer import Draft, StakeholderWriter
from bot.runtime.clock import MutableClock
from bot.views.stakeholder import template_update
from tests.bot.ai import (
    COMMANDER,
    GOOD_ANSWER,
    UPDATE_PARTS,
    api_error,
    asker,
    eventful,
    message,
    story_facts,
    tool_answer,
    tool_use,
)
from tests.builders import T0, Story
from tests.e2e.harness import ANTHROPIC_TEST_URL

CONFIGURED_MODEL = "claude-configured-test"
MESSAGES_URL = f"{ANTHROPIC_TEST_URL}/v1/messages"


def writer(
    clock: MutableClock | None = None, *, failures_to_open: int = 100, timeout: float = 5.0
) -> StakeholderWriter:
    return StakeholderWriter(asker(CONFIGURED_MODEL, clock=clock, failures_to_open=failures_to_open, timeout=timeout))


def assert_template(draft: Draft, story: Story) -> None:
    facts = story_facts(story)
    assert draft.ai_written is False
    assert draft.model is None
    assert draft.fallback_reason
    assert draft.text == template_update(story.incident, facts.latest_note, facts.now)
    assert draft.based_on == facts.based_on


async def test_a_good_answer_is_an_ai_draft(httpx2_mock: Any) -> None:
    route = httpx2_mock.post(MESSAGES_URL).respond(json=tool_answer())
    story = eventful()
    draft = await writer().draft(story_facts(story))
    assert draft.ai_written is True
    assert draft.model == CONFIGURED_MODEL, "the model that was asked, as configured"
    assert draft.fallback_reason is None
    assert draft.based_on == tuple(item.seq for item in story.history)
    assert draft.text == (
        f"*Impact:* {GOOD_ANSWER['impact']}\n"
        f"*Current status:* {GOOD_ANSWER['current_status']}\n"
        f"*What is being done:* {GOOD_ANSWER['actions']}\n"
        f"*Next update:* {GOOD_ANSWER['next_update']}"
    )
    assert [line.split(":*")[0].strip("*") for line in draft.text.splitlines()] == list(UPDATE_PARTS)
    assert route.call_count == 1


async def test_the_answer_is_sanitised(httpx2_mock: Any) -> None:
    impact = f"<!channel> @here checkout is down, ask <@{COMMANDER}> or <@U0OTHER>; see <https://evil.example|this>"
    httpx2_mock.post(MESSAGES_URL).respond(json=tool_answer(impact=impact))
    draft = await writer().draft(story_facts(eventful()))
    assert draft.ai_written
    impact_line = draft.text.splitlines()[0]
    expected = "*Impact:* here checkout is down, ask the incident commander or a responder; see this"
    assert impact_line.split() == expected.split()
    assert "<" not in draft.text
    assert ">" not in draft.text


async def test_without_a_key_the_template_is_used_and_nothing_is_sent(httpx2_mock: Any) -> None:
    story = eventful()
    draft = await StakeholderWriter(asker(CONFIGURED_MODEL, key=False)).draft(story_facts(story))
    assert_template(draft, story)
    assert "ANTHROPIC_API_KEY" in (draft.fallback_reason or "")
    assert httpx2_mock.calls.call_count == 0


async def test_a_slow_answer_times_out_to_the_template(httpx2_mock: Any) -> None:
    delays = [5.0, 0.0]
    asked: list[httpx.Request] = []

    async def slow_then_quick(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        await asyncio.sleep(delays.pop(0))
        return httpx.Response(200, json=tool_answer())

    route = httpx2_mock.post(MESSAGES_URL).mock(side_effect=slow_then_quick)
    story = eventful()
    ai = writer(timeout=0.2)
    started = time.monotonic()
    draft = await ai.draft(story_facts(story))
    assert time.monotonic() - started < 1.5, "nobody waits much past the writer's timeout"
    assert_template(draft, story)
    assert draft.fallback_reason == "TimeoutError"
    assert len(asked) == 1, "the request was made, and abandoned"

    assert (await ai.draft(story_facts(story))).ai_written, "the next draft asks the AI again"
    assert route.call_count == 1, "only the answered request counts as a call"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (529, "overloaded_error"),
    ],
)
async def test_an_error_status_falls_back_to_the_template(httpx2_mock: Any, status: int, kind: str) -> None:
    headers = {"retry-after": "1"} if status == 429 else {}
    route = httpx2_mock.post(MESSAGES_URL).respond(status, json=api_error(kind, "nope"), headers=headers)
    story = eventful()
    draft = await writer().draft(story_facts(story))
    assert_template(draft, story)
    assert route.call_count == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            message({"type": "text", "text": "Impact: checkout down."}, stop_reason="end_turn"), id="text-only"
        ),
        pytest.param(message(tool_use(GOOD_ANSWER, name="other_tool")), id="another-tool"),
        pytest.param(message(tool_use({k: v for k, v in GOOD_ANSWER.items() if k != "actions"})), id="missing-field"),
        pytest.param(tool_answer(impact=42), id="non-string-field"),
        pytest.param(tool_answer(next_update=None), id="null-field"),
        pytest.param(tool_answer(current_status="   "), id="blank-field"),
        pytest.param(tool_answer(impact="x" * (PART_MAX + 1)), id="oversized-field"),
        pytest.param(message(tool_use(["impact", "status"])), id="input-not-an-object"),
        pytest.param(message(), id="no-content"),
    ],
)
async def test_a_malformed_answer_falls_back_to_the_template(httpx2_mock: Any, body: dict[str, Any]) -> None:
    httpx2_mock.post(MESSAGES_URL).respond(json=body)
    story = eventful()
    assert_template(await writer().draft(story_facts(story)), story)


async def test_a_non_json_answer_falls_back_to_the_template(httpx2_mock: Any) -> None:
    httpx2_mock.post(MESSAGES_URL).respond(200, text="<html>gateway</html>", headers={"content-type": "text/html"})
    story = eventful()
    assert_template(await writer().draft(story_facts(story)), story)


async def test_an_open_breaker_sends_nothing_until_its_cool_down_ends(httpx2_mock: Any) -> None:
    route = httpx2_mock.post(MESSAGES_URL).respond(500, json=api_error("api_error", "down"))
    clock = MutableClock(T0)
    ai = writer(clock, failures_to_open=2)
    story = eventful()
    for _ in range(2):
        assert_template(await ai.draft(story_facts(story)), story)
    assert route.call_count == 2

    for _ in range(3):
        draft = await ai.draft(story_facts(story))
        assert_template(draft, story)
        assert draft.fallback_reason == "AI paused after repeated failures"
    assert route.call_count == 2, "no request at all while the breaker is open"

    clock.advance(minutes=1)
    route.respond(json=tool_answer())
    assert (await ai.draft(story_facts(story))).ai_written, "after the cool-down the AI is tried again"
    assert route.call_count == 3
