"""Tests of the AI stakeholder updates (SPEC §6), and what they share: incidents told as numbered
timelines (as the event store numbers them) and Messages API answers as the real API shapes them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import anthropic

from bot.ai.asking import ModelAsker
from bot.ai.breaker import CircuitBreaker
from bot.ai.facts import IncidentFacts, facts_of
from bot.runtime.clock import MutableClock
from domain import commands as cmd
from domain.incident import IncidentRef
from domain.lifecycle import Status
from domain.severity import Severity
from tests import builders
from tests.builders import REPORTER, T0, Story
from tests.e2e.harness import ANTHROPIC_TEST_URL

REF = IncidentRef("T0AITEST", 7)
COMMANDER = "U0LEAD"
MODEL = "claude-haiku-4-5"
UPDATE_PARTS = ("Impact", "Current status", "What is being done", "Next update")
GOOD_ANSWER = {
    "impact": "Some customers cannot complete checkout.",
    "current_status": "The team has identified the cause and is rolling back a change.",
    "actions": "The incident team is rolling back the latest payments deploy.",
    "next_update": "Within the next 30 minutes.",
}


def declared(
    title: str = "Checkout is failing", *, severity: Severity = Severity.SEV2, ref: IncidentRef = REF
) -> Story:
    """A payments incident declared at T0."""
    return builders.declared(title, severity=severity, ref=ref, service="payments")


def story_facts(story: Story) -> IncidentFacts:
    """What the AI is told about the story's incident, as of its last command."""
    return facts_of(story.incident, story.history, story.at)


def eventful(title: str = "Checkout is failing") -> Story:
    """Declared SEV2, acknowledged, led, raised to SEV1, cause identified, notes and one update."""
    return (
        declared(title)
        .then(cmd.Acknowledge(actor=COMMANDER))
        .then(cmd.Assign(actor=REPORTER, commander=COMMANDER))
        .then(cmd.ChangeSeverity(actor=COMMANDER, severity=Severity.SEV1))
        .then(cmd.AddNote(actor=COMMANDER, text="Card payments fail with timeouts at the gateway"))
        .then(cmd.PostStakeholderUpdate(actor=COMMANDER, text="Some card payments are failing; we are on it."))
        .then(cmd.ChangeStatus(actor=COMMANDER, status=Status.IDENTIFIED))
        .then(cmd.AddNote(actor=COMMANDER, text="Rolling back payments deploy 1234"))
    )


# ---------------------------------------------------------------------- the Messages API
def asker(
    model: str,
    *,
    key: bool = True,
    clock: MutableClock | None = None,
    failures_to_open: int = 100,
    timeout: float = 5.0,
) -> ModelAsker:
    """How the bot asks Claude, at the test host respx intercepts; without ``key``, as with no key set."""
    client = anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=ANTHROPIC_TEST_URL, max_retries=0)
    breaker = CircuitBreaker(
        clock or MutableClock(T0), failures_to_open=failures_to_open, cool_down=timedelta(minutes=1)
    )
    return ModelAsker(client if key else None, model, breaker, timeout=timeout)


def message(*content: dict[str, Any], stop_reason: str = "tool_use") -> dict[str, Any]:
    """A Messages API response body with these content blocks."""
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": list(content),
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10},
    }


def tool_use(answer: object, name: str = "stakeholder_update") -> dict[str, Any]:
    return {"type": "tool_use", "id": "toolu_1", "name": name, "input": answer}


def tool_answer(**changes: object) -> dict[str, Any]:
    """The model calling the update tool: the good answer, with ``changes``."""
    return message(tool_use({**GOOD_ANSWER, **changes}))


def api_error(kind: str, text: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": text}}


def sent_json(call: Any) -> dict[str, Any]:
    """The JSON body of one recorded request (a respx call)."""
    body: dict[str, Any] = json.loads(call.request.content)
    return body


def incident_data(user_text: str) -> dict[str, Any]:
    """The JSON inside the prompt's one ``<incident_data>`` block (which must end the prompt)."""
    assert user_text.count("<incident_data>") == 1, user_text
    assert user_text.count("</incident_data>") == 1, "user text must not be able to close the block"
    _, _, rest = user_text.partition("<incident_data>\n")
    body, _, tail = rest.partition("\n</incident_data>")
    assert tail == "", "nothing may follow the data block"
    assert "<" not in body, "angle brackets inside the data are escaped"
    assert ">" not in body, "angle brackets inside the data are escaped"
    data: dict[str, Any] = json.loads(body)
    return data
