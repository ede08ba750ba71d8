"""A postmortem draft as people meet it (SPEC §10): in the thread, labelled for what wrote it with
the sentences it kept and how many it left out; and in the postmortem form, where it fills only the
empty fields and is saved, as shown or as edited, only when the form is saved."""

from __future__ import annotations

from dataclasses import replace

from bot.local_slack.block_limits import view_errors
from bot.views import action_ids as ids
from bot.views.drafted_postmortem import latest_postmortem_draft, postmortem_draft_blocks, prefilled
from bot.views.modals import parse_postmortem_submission, postmortem_modal
from domain import events as ev
from domain.postmortem import Postmortem, PostmortemField, PostmortemText
from tests.bot.views.test_modals import postmortem_values
from tests.builders import REF, REPORTER, T0, declared
from tests.e2e.verb_support import block_texts


def draft(*, ai_written: bool = True, dropped: int = 0, **texts: str) -> ev.PostmortemDrafted:
    return ev.PostmortemDrafted(
        actor=REPORTER,
        at=T0,
        texts=tuple(PostmortemText(PostmortemField(name), text) for name, text in texts.items()),
        model="claude-test" if ai_written else None,
        based_on=(1, 2),
        ai_written=ai_written,
        dropped=dropped,
    )


def test_the_thread_shows_the_kept_sentences_what_wrote_them_and_the_form_button() -> None:
    text, blocks = postmortem_draft_blocks(REF, draft(dropped=2, summary="Deploy broke it. [#2]", root_cause=""))
    shown = block_texts(blocks)
    assert text == "Postmortem draft for INC-42"
    assert "AI draft (claude-test), each sentence citing its timeline entries [#n]" in shown
    assert "*Summary*\nDeploy broke it. [#2]" in shown
    assert "Root cause" not in shown, "an empty field is not shown"
    assert "2 sentences without a valid citation left out." in shown
    assert blocks[-1]["elements"][0]["action_id"] == ids.POSTMORTEM
    template = block_texts(postmortem_draft_blocks(REF, draft(ai_written=False))[1])
    assert "Template of the incident's facts, not AI-written" in template
    assert "the postmortem is yours to write" in template


def test_the_form_fills_only_empty_fields_from_the_latest_draft() -> None:
    saved = Postmortem(root_cause="a config push")
    older, latest = draft(summary="old"), draft(summary="Deploy broke it. [#2]", root_cause="a deploy [#2]")
    assert latest_postmortem_draft([older, latest, ev.Closed(actor=REPORTER, at=T0)]) is latest
    assert latest_postmortem_draft([]) is None
    filled = prefilled(saved, latest)
    assert filled[PostmortemField.SUMMARY] == "Deploy broke it. [#2]"
    assert filled[PostmortemField.ROOT_CAUSE] == "a config push", "what people saved is never replaced"
    assert filled[PostmortemField.PREVENTION] == ""


def test_the_draft_shown_in_the_modal_is_saved_as_shown_and_cleared_fields_stay_empty() -> None:
    incident = replace(declared().incident, postmortem=Postmortem(root_cause="a config push"))
    view = postmortem_modal(incident, draft(summary="Deploy broke it. [#2]", prevention="Canaries. [#1]"))
    assert view_errors(view) == []
    assert view["blocks"][0]["type"] == "context", "the form says it was filled from a draft"
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"}
    assert initial["postmortem.summary"] == "Deploy broke it. [#2]"
    assert initial["postmortem.root_cause"] == "a config push"
    kept = postmortem_values(summary="Deploy broke it. [#2]", root_cause="a config push", prevention=None)
    form, errors = parse_postmortem_submission(kept, view["private_metadata"])
    assert errors == {}
    assert form is not None
    assert form.texts == (PostmortemText(PostmortemField.SUMMARY, "Deploy broke it. [#2]"),)
    assert postmortem_modal(incident)["blocks"][0]["type"] == "input", "no draft, no notice"
