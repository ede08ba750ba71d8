"""A postmortem draft as the thread shows it: labelled for what wrote it, its fields with their
citations, how many sentences were dropped for want of one, and the button that opens the form
where a person reviews it and saves what they keep."""

from __future__ import annotations

from collections.abc import Iterable

from bot.views import action_ids as ids
from bot.views.blocks import SECTION_TEXT_MAX, Block, actions, button, context, section
from bot.views.escaping import escape_within, readable_plain
from bot.views.postmortem_form import FIELD_WORDING
from domain import events as ev
from domain.incident import IncidentRef
from domain.postmortem import Postmortem, PostmortemField


def postmortem_draft_label(draft: ev.PostmortemDrafted) -> str:
    if draft.ai_written and draft.model:
        return f"AI draft ({draft.model}), each sentence citing its timeline entries [#n]"
    return "Template of the incident's facts, not AI-written"


def postmortem_draft_blocks(ref: IncidentRef, draft: ev.PostmortemDrafted) -> tuple[str, list[Block]]:
    label = escape_within(postmortem_draft_label(draft), 200)
    blocks = [context(f"📝 Postmortem draft for {ref} · {label}")]
    for item in draft.texts:
        if item.text:
            title = FIELD_WORDING[item.field].label
            blocks.append(section(f"*{title}*\n{escape_within(item.text, SECTION_TEXT_MAX - len(title) - 4)}"))
    if len(blocks) == 1:
        blocks.append(section("The timeline gave nothing the draft could cite; the postmortem is yours to write."))
    if draft.dropped:
        plural = "s" if draft.dropped != 1 else ""
        blocks.append(context(f"{draft.dropped} sentence{plural} without a valid citation left out."))
    value = ids.encode_ref(ref)
    opener = button("Review and save", ids.POSTMORTEM, value, style="primary")
    blocks.append(actions(f"{ids.POSTMORTEM}:draft:{value}", [opener]))
    return f"Postmortem draft for {ref}", blocks


def latest_postmortem_draft(events: Iterable[ev.Event]) -> ev.PostmortemDrafted | None:
    drafts = [event for event in events if isinstance(event, ev.PostmortemDrafted)]
    return drafts[-1] if drafts else None


def prefilled(postmortem: Postmortem, draft: ev.PostmortemDrafted | None) -> dict[PostmortemField, str]:
    """What a postmortem form shows: each field as saved, or, while empty, as the latest draft has
    it (a person reviews it there; nothing of a draft is saved until they save the form). A draft
    quotes the timeline as Slack sent it (``&amp;``); a form, like a saved field, holds plain text."""
    drafted = {item.field: readable_plain(item.text) for item in draft.texts} if draft is not None else {}
    return {field: postmortem.text(field) or drafted.get(field, "") for field in PostmortemField}
