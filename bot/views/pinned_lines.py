"""How the timeline reads a message pinned from Slack (SPEC §10): its own author, the time it was
posted (date and seconds: a message pinned days later keeps its day) and what it said."""

from __future__ import annotations

from bot.views.escaping import one_line
from bot.views.formatting import DATE_AND_SECONDS, Wording
from domain import events as ev
from domain.pin_rules import PinEvent
from domain.pinned import PinnedBy, posted_at

PINNED_SHOWN_MAX = 500


def pinned_said(event: PinEvent, w: Wording) -> tuple[str, str]:
    """What a pin event did, and the message's text to say after it (``": …"``, or empty)."""
    posted = w.moment(posted_at(event.ts), DATE_AND_SECONDS)
    match event:
        case ev.MessagePinned():
            how = "pinned 📌" if event.pinned_by is PinnedBy.REACTION else "pinned"
            done = f"{how} a {_message_by(event.author, w)} posted {posted}"
            if event.text is None:
                return (f"{done} (its text is on its way from Slack)", "")
            return (done, _quoted(event.text, w))
        case ev.PinnedMessageFetched():
            done = f"fetched the text of the pinned {_message_by(event.author, w)} posted {posted}"
            return (done, _quoted(event.text, w))
        case ev.MessageUnpinned():
            return (f"unpinned the message posted {posted}", "")
        case ev.PinnedMessageEdited():
            return (f"edited the pinned message posted {posted}", _quoted(event.text, w))
    return (f"noted that the pinned message posted {posted} was deleted in Slack", "")


def _message_by(author: str | None, w: Wording) -> str:
    return f"message by {w.person(author)}" if author else "message"


def _quoted(text: str, w: Wording) -> str:
    return f": {w.quote(one_line(text), PINNED_SHOWN_MAX)}"
