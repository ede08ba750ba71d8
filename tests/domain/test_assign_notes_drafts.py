"""Assign, AddNote, PostStakeholderUpdate authorship and RecordAiDraft."""

from __future__ import annotations

from dataclasses import replace

from domain import events as ev
from domain.commands import AddNote, Assign, PostStakeholderUpdate, RecordAiDraft
from domain.errors import InvalidValue, NothingToChange
from domain.incident import SlackSource
from domain.lifecycle import Status
from tests.builders import REF, at, declared
from tests.domain.paths import ALICE, BOB, in_status


def test_assign_sets_and_changes_the_commander() -> None:
    run = declared()
    source = SlackSource(channel_id="C1", ts="1700000001.000200")
    produced = run.do(Assign(actor=ALICE, commander=BOB, source=source), at(minutes=1))
    assigned = produced[0]
    assert isinstance(assigned, ev.Assigned)
    assert (assigned.previous, assigned.current, assigned.source) == (None, BOB, source)
    assert run.incident.commander == BOB
    assert run.incident.status is Status.DECLARED, "assigning is not acknowledging"
    assert run.incident.acknowledged_at is None

    produced = run.do(Assign(actor=BOB, commander=ALICE), at(minutes=2))
    assigned = produced[0]
    assert isinstance(assigned, ev.Assigned)
    assert (assigned.previous, assigned.current) == (BOB, ALICE)
    assert run.incident.commander == ALICE


def test_assign_refusals() -> None:
    run = declared()
    run.do(Assign(actor=ALICE, commander=BOB), at(minutes=1))
    error = run.refuse(Assign(actor=ALICE, commander=BOB), at(minutes=2), NothingToChange)
    assert error.message == f"They are already the commander of {REF}."
    error = run.refuse(Assign(actor=ALICE, commander="  "), at(minutes=2), InvalidValue)
    assert error.message == "Say who should lead the incident: assign @someone."


def test_notes_are_timeline_only_and_allowed_after_resolution() -> None:
    run = in_status(Status.RESOLVED)
    before = run.incident
    run.do(AddNote(actor=ALICE, text="Postmortem scheduled"), at(hours=1))
    after = run.incident
    assert after.version == before.version + 1
    assert after == replace(before, version=before.version + 1)


def test_update_author_or_model_is_kept() -> None:
    run = declared()
    human = run.do(PostStakeholderUpdate(actor=ALICE, text="Human words"), at(minutes=1))[0]
    approved = run.do(PostStakeholderUpdate(actor=BOB, text="Model words", model="claude-x"), at(minutes=2))[0]
    assert isinstance(human, ev.StakeholderUpdatePosted)
    assert isinstance(approved, ev.StakeholderUpdatePosted)
    assert (human.actor, human.model) == (ALICE, None)
    assert (approved.actor, approved.model) == (BOB, "claude-x")
    assert run.incident.last_update_at == at(minutes=2)


def test_ai_draft_cites_existing_events() -> None:
    run = declared()
    run.do(AddNote(actor=ALICE, text="Seeing 5xx"), at(minutes=1))
    draft = RecordAiDraft(actor="system", text="  Draft\x07 text ", model="claude-x", based_on=(1, 2), ai_written=True)
    produced = run.do(draft, at(minutes=2))
    created = produced[0]
    assert isinstance(created, ev.AiDraftCreated)
    assert (created.text, created.model, created.based_on, created.ai_written) == (
        "Draft text",
        "claude-x",
        (1, 2),
        True,
    )
    assert run.incident.version == 3
    assert run.incident.last_update_at is None, "a draft is not a published update"


def test_ai_draft_citing_unknown_events_is_refused() -> None:
    run = declared()
    draft = RecordAiDraft(actor="system", text="Draft", model=None, based_on=(0, 1, 2), ai_written=False)
    error = run.refuse(draft, at(minutes=2), InvalidValue)
    assert error.message == f"The draft cites events [0, 2] that {REF} does not have."
