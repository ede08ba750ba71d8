"""The postmortem draft (SPEC §10): Claude is asked with the timeline's entries numbered, answers
through the tool, and only sentences citing entries of this incident are kept; without the AI (no
key, an error, an unusable answer) the draft is the template of the incident's facts."""

from __future__ import annotations

from typing import Any

from bot.ai.postmortem_writer import TOOL_NAME, PostmortemDraft, PostmortemWriter
from domain import commands as cmd
from domain.incident import SlackSource
from domain.pinned import PinnedBy
from domain.postmortem import PostmortemField
from tests.bot.ai import COMMANDER, api_error, asker, eventful, incident_data, message, sent_json, story_facts, tool_use
from tests.builders import CHANNEL, Story
from tests.e2e.harness import ANTHROPIC_TEST_URL

MODEL = "claude-postmortem-test"
MESSAGES_URL = f"{ANTHROPIC_TEST_URL}/v1/messages"


def writer(*, key: bool = True) -> PostmortemWriter:
    return PostmortemWriter(asker(MODEL, key=key))


def resolved() -> Story:
    """The eventful incident (notes at #6 and #9, SEV1 at #5), resolved at #10."""
    return eventful().then(cmd.Resolve(actor=COMMANDER, summary="Rolled back payments deploy 1234"))


def said(sentence: str, *cites: object) -> dict[str, Any]:
    return {"sentence": sentence, "cites": list(cites)}


def answer(**fields: list[dict[str, Any]]) -> dict[str, Any]:
    return message(tool_use({field.value: fields.get(field.value, []) for field in PostmortemField}, name=TOOL_NAME))


def text(draft: PostmortemDraft, field: PostmortemField) -> str:
    return next(item.text for item in draft.texts if item.field is field)


async def test_only_sentences_citing_this_incidents_entries_are_kept(httpx2_mock: Any) -> None:
    story = resolved()
    route = httpx2_mock.post(MESSAGES_URL).respond(
        json=answer(
            summary=[
                said("Card payments timed out at the gateway.", 6),
                said("The team rolled back deploy 1234.", 9, 10),
                said("About 40,000 customers were affected."),  # no citation: invented
                said("The outage cost two million dollars.", 42),  # cites an entry this incident lacks
            ],
            root_cause=[said("A payments deploy caused gateway timeouts.", 6, 9)],
            corrective_actions=[said("Roll back faster.", 0)],
        )
    )

    draft = await writer().draft(story_facts(story))

    assert draft.ai_written
    assert draft.model == MODEL
    assert text(draft, PostmortemField.SUMMARY) == (
        "Card payments timed out at the gateway. [#6] The team rolled back deploy 1234. [#9][#10]"
    )
    assert text(draft, PostmortemField.ROOT_CAUSE) == "A payments deploy caused gateway timeouts. [#6][#9]"
    assert text(draft, PostmortemField.CORRECTIVE_ACTIONS) == ""
    assert draft.dropped == 3
    sent = sent_json(route.calls.last)
    assert sent["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    entries = [entry["entry"] for entry in incident_data(sent["messages"][0]["content"])["timeline"]]
    assert entries == list(draft.based_on) == [item.seq for item in story.history], "the entries it may cite"


async def test_sentences_are_sanitised_after_the_filter(httpx2_mock: Any) -> None:
    httpx2_mock.post(MESSAGES_URL).respond(
        json=answer(summary=[said(f"<!channel> <@{COMMANDER}> rolled back, see <https://evil.example|this>.", 9)])
    )
    draft = await writer().draft(story_facts(resolved()))
    assert text(draft, PostmortemField.SUMMARY) == "the incident commander rolled back, see this. [#9]"


async def test_without_a_key_the_template_of_the_facts_is_the_draft(httpx2_mock: Any) -> None:
    draft = await writer(key=False).draft(story_facts(resolved()))  # asking anything would fail: no route
    assert not draft.ai_written
    assert draft.model is None
    assert draft.fallback_reason == "no ANTHROPIC_API_KEY"
    assert text(draft, PostmortemField.SUMMARY) == (
        "Checkout is failing (SEV1, service payments) was declared at 2026-11-23 03:00:00 UTC. [#1] "
        "It was acknowledged after 1 min. [#2] It was resolved after 8 min of work. [#10]"
    )
    assert text(draft, PostmortemField.CORRECTIVE_ACTIONS) == "Resolved with: Rolled back payments deploy 1234 [#10]"
    assert text(draft, PostmortemField.ROOT_CAUSE) == "", "what only people know is left to them"


async def test_an_error_or_an_unusable_answer_falls_back_to_the_template(httpx2_mock: Any) -> None:
    route = httpx2_mock.post(MESSAGES_URL)
    route.respond(status_code=529, json=api_error("overloaded_error", "Overloaded"))
    failed = await writer().draft(story_facts(resolved()))
    route.respond(json=message(tool_use("not an object", name=TOOL_NAME)))
    unusable = await writer().draft(story_facts(resolved()))
    for draft in (failed, unusable):
        assert not draft.ai_written
        assert text(draft, PostmortemField.SUMMARY).startswith("Checkout is failing (SEV1, service payments)")
    assert failed.fallback_reason == "OverloadedError"
    assert unusable.fallback_reason == "MalformedOutput"


async def test_messages_pinned_from_the_thread_are_entries_the_draft_may_cite(httpx2_mock: Any) -> None:
    story = resolved()
    ts = "1700000100.000200"
    said_in_thread = "gateway p99 is 30 s"
    source = SlackSource(CHANNEL, ts)
    story.do(
        cmd.PinMessage(
            actor=COMMANDER,
            source=source,
            channel_id=CHANNEL,
            ts=ts,
            author=COMMANDER,
            text=said_in_thread,
            pinned_by=PinnedBy.PIN,
        )
    )
    route = httpx2_mock.post(MESSAGES_URL).respond(json=answer(summary=[said("The gateway was slow.", 11)]))

    draft = await writer().draft(story_facts(story))

    timeline = incident_data(sent_json(route.calls.last)["messages"][0]["content"])["timeline"]
    assert timeline[-1] == {
        "entry": 11,
        "at": story.at.isoformat(),
        "event": "message_pinned",
        "detail": "message pinned from the thread: gateway p99 is 30 s",
    }
    assert text(draft, PostmortemField.SUMMARY) == "The gateway was slow. [#11]"
