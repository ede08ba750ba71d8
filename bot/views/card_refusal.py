"""What people are told about a card Slack refused: which incident, where, what Slack said, and
what to do so that the card can be posted."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.views.escaping import channel_link, escape_within
from bot.views.formatting import MENTION_PREFIX, SLASH_PREFIX, slack_date
from domain.incident import Incident

TITLE_SHOWN_MAX = 80
ERROR_SHOWN_MAX = 60

_INVITE = f"`/invite {MENTION_PREFIX}`"
# What Slack's word means for this channel; the fix follows from it.
_NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
_REASONS = {
    "not_in_channel": "I'm not a member of that channel",
    "channel_not_found": "it is a private channel I'm not in, or it no longer exists",
    "is_archived": "the channel is archived",
}
_RESTRICTED = "restricted_action"


def card_refused_text(incident: Incident, error: str) -> str:
    """The notice for whoever asked for the card: what failed, why, and how to fix it."""
    ref, channel = incident.ref, channel_link(incident.channel_id)
    title = escape_within(incident.title, TITLE_SHOWN_MAX)
    said = f"Slack said {_code(error)}"
    reason = _reason(error)
    return "\n".join(
        [
            f"⚠️ I couldn't post the card of *{ref}* · {title} in {channel}: {said}"
            + (f" ({reason})." if reason else "."),
            card_fix(incident, error),
            f"{ref} is recorded all the same: `{SLASH_PREFIX}` commands on it work from any channel,"
            " and the next one tries the card again.",
        ]
    )


def card_fix(incident: Incident, error: str) -> str:
    """What to do about the refusal, ending with the command that posts the card again."""
    channel = channel_link(incident.channel_id)
    repost = f"`{SLASH_PREFIX} repost {incident.ref}`"
    if error in _NOT_A_MEMBER:
        return f"Invite me with {_INVITE} in {channel}, then run {repost}."
    if error == "is_archived":
        return f"Unarchive {channel} and invite me with {_INVITE}, then run {repost}."
    if error.startswith(_RESTRICTED):
        return f"Ask a workspace admin to let me post in {channel}, then run {repost}."
    return f"Once that is sorted out, run {repost}."


def card_shown_text(incident: Incident, card_ts: str) -> str:
    """The answer to ``repost`` when the card is already there."""
    posted = datetime.fromtimestamp(float(card_ts), UTC)
    return (
        f"{incident.ref}'s card is already in {channel_link(incident.channel_id)} (posted {slack_date(posted)}),"
        " so there is nothing to post again."
    )


def card_refused_line(incident: Incident, error: str) -> str:
    """``show``'s note about a card that is not in Slack."""
    channel = channel_link(incident.channel_id)
    return f"⚠️ No card in {channel}: Slack refused it ({_code(error)}). {card_fix(incident, error)}"


def _reason(error: str) -> str | None:
    if error.startswith(_RESTRICTED):
        return "only some members may post in that channel"
    return _REASONS.get(error)


def _code(error: str) -> str:
    shown = escape_within(error.replace("`", "'"), ERROR_SHOWN_MAX)
    return f"`{shown}`"
