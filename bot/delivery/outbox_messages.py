"""The kinds of outbox message the bot writes, and builders for each.

Cards are not rendered when the row is written but when it is delivered, from the incident as it
is then: so a card update that waited behind Slack's rate limit shows the latest state, and many
pending updates of one card collapse into one (they share a coalesce key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.handler.origin import Origin
from domain.pinned import PinnedBy
from storage.stored import OutboxMessage

POST_CARD = "slack.post_card"
REFRESH_CARD = "slack.refresh_card"
THREAD_MESSAGE = "slack.thread_message"
EPHEMERAL = "slack.ephemeral"
RESPOND = "slack.respond"
CHANNEL_MESSAGE = "slack.channel_message"
# An edit of a message that is not the card (a draft whose Post button was used).
EDIT_MESSAGE = "slack.edit_message"
DIRECT_MESSAGE = "slack.direct_message"
REACTION = "slack.reaction"
# Not for Slack: a job that drafts a stakeholder update with the AI (see bot.ai.drafting).
AI_DRAFT_UPDATE = "ai.draft_update"
# A job: fetch a pinned message from Slack and put it, text and all, on its incident's timeline
# (see bot.delivery.pinned_fetch).
FETCH_PINNED_MESSAGE = "timeline.fetch_pinned_message"


# Jobs too: a postmortem draft, and a catch-up for whoever asked (see bot.ai.drafting).
AI_DRAFT_POSTMORTEM = "ai.draft_postmortem"
AI_CATCH_UP = "ai.catch_up"


def draft_job(incident_id: int, requested_by: str) -> OutboxMessage:
    return OutboxMessage(AI_DRAFT_UPDATE, {"incident_id": incident_id, "requested_by": requested_by}, detached=True)


def postmortem_draft_job(incident_id: int, requested_by: str) -> OutboxMessage:
    payload = {"incident_id": incident_id, "requested_by": requested_by}
    return OutboxMessage(AI_DRAFT_POSTMORTEM, payload, detached=True)


def catch_up_job(incident_id: int, asker: Origin) -> OutboxMessage:
    """A catch-up on the incident for ``asker`` alone, answered where they asked (see :func:`answer_asker`)."""
    payload = {"incident_id": incident_id, "user": asker.user_id, "channel": asker.channel_id}
    if asker.thread_ts:
        payload["thread_ts"] = asker.thread_ts
    if asker.response_url:
        payload["response_url"] = asker.response_url
    return OutboxMessage(AI_CATCH_UP, payload, detached=True)


def answer_asker(job: Mapping[str, Any], text: str) -> OutboxMessage:
    """``text`` for whoever asked for a job (``job`` its catch_up_job payload), seen by them alone:
    through their slash command's response_url, else in the channel or thread they asked in."""
    user = str(job["user"])
    response_url = job.get("response_url")
    if isinstance(response_url, str):
        return respond(response_url, text, user=user)
    thread_ts = job.get("thread_ts")
    return ephemeral(str(job["channel"]), user, text, thread_ts=thread_ts if isinstance(thread_ts, str) else None)


def fetch_pinned_message(workspace_id: str, channel: str, ts: str, pinned_by: str, how: PinnedBy) -> OutboxMessage:
    """Fetch message ``ts`` of ``channel``, which ``pinned_by`` pinned: until Slack gives it, its
    incident's timeline has it without its text (or, when its thread was not known, not yet)."""
    payload = {"workspace_id": workspace_id, "channel": channel, "ts": ts, "pinned_by": pinned_by, "how": how.value}
    # Detached: Slack failing to give one message must hold up no thread.
    return OutboxMessage(FETCH_PINNED_MESSAGE, payload, detached=True)


def post_card(incident_id: int, requester: Origin | None = None) -> OutboxMessage:
    """The incident's card; should Slack refuse it, ``requester`` (the request that asked for it)
    is told why and what to do (see :func:`tell_requester`)."""
    # No coalesce key: posting the card is never made redundant by a refresh queued after it.
    payload: dict[str, Any] = {"incident_id": incident_id}
    if requester is not None:
        payload["requested_by"] = requester.user_id
        if requester.response_url:
            payload["response_url"] = requester.response_url
    return OutboxMessage(POST_CARD, payload)


def tell_requester(card: Mapping[str, Any], text: str) -> list[OutboxMessage]:
    """``text`` for whoever asked for a card (``card`` is its post_card payload): through their
    slash command's response_url, which answers in their channel even where the bot is not a
    member; else as a direct message. A card the scheduler asked for has nobody to tell."""
    user = card.get("requested_by")
    response_url = card.get("response_url")
    if isinstance(response_url, str):
        return [respond(response_url, text, user=user if isinstance(user, str) else None)]
    return [direct_message(user, text)] if isinstance(user, str) else []


def refresh_card(incident_id: int) -> OutboxMessage:
    return OutboxMessage(REFRESH_CARD, {"incident_id": incident_id}, coalesce_key=f"card:{incident_id}")


def thread_message(
    incident_id: int, text: str, blocks: Sequence[dict[str, Any]] | None = None, *, draft_seq: int | None = None
) -> OutboxMessage:
    """A message in the incident's thread, wherever that thread turns out to be when it is sent;
    ``draft_seq`` when it shows that draft, so the message can be found again (see :func:`shows_draft`)."""
    payload: dict[str, Any] = {"incident_id": incident_id, "text": text}
    if blocks:
        payload["blocks"] = list(blocks)
    if draft_seq is not None:
        payload["draft_seq"] = draft_seq
    return OutboxMessage(THREAD_MESSAGE, payload)


def shows_draft(payload: Mapping[str, Any], draft_seq: int) -> bool:
    """Whether a thread message (its payload) shows the draft at ``draft_seq``, with its Post button."""
    return payload.get("draft_seq") == draft_seq


def audit_line(incident_id: int, text: str) -> OutboxMessage:
    """An audit line for the thread. Lines that pile up while Slack is slow go out as one message."""
    return OutboxMessage(THREAD_MESSAGE, {"incident_id": incident_id, "text": text, "audit": True})


def is_audit_line(payload: Mapping[str, Any]) -> bool:
    return bool(payload.get("audit")) and not payload.get("blocks")


def ephemeral(
    channel: str,
    user: str,
    text: str,
    *,
    thread_ts: str | None = None,
    blocks: Sequence[dict[str, Any]] | None = None,
) -> OutboxMessage:
    payload: dict[str, Any] = {"channel": channel, "user": user, "text": text}
    if thread_ts:
        payload["thread_ts"] = thread_ts
    if blocks:
        payload["blocks"] = list(blocks)
    return OutboxMessage(EPHEMERAL, payload)


def respond(
    response_url: str, text: str, blocks: Sequence[dict[str, Any]] | None = None, *, user: str | None = None
) -> OutboxMessage:
    """An ephemeral answer through a request's response_url; with ``user``, a direct message to
    them instead once the URL no longer takes answers (Slack keeps one for 30 minutes)."""
    payload: dict[str, Any] = {"response_url": response_url, "text": text}
    if blocks:
        payload["blocks"] = list(blocks)
    if user:
        payload["user"] = user
    return OutboxMessage(RESPOND, payload, detached=True)


def direct_message(user: str, text: str) -> OutboxMessage:
    """A message in the bot's direct conversation with ``user`` (their app's Messages tab)."""
    return OutboxMessage(DIRECT_MESSAGE, {"user": user, "text": text}, detached=True)


def channel_message(channel: str, text: str, blocks: Sequence[dict[str, Any]] | None = None) -> OutboxMessage:
    payload: dict[str, Any] = {"channel": channel, "text": text}
    if blocks:
        payload["blocks"] = list(blocks)
    return OutboxMessage(CHANNEL_MESSAGE, payload)


def reaction(channel: str, ts: str, name: str) -> OutboxMessage:
    """The bot's emoji reaction to a message: it says "done" without a message of its own."""
    # Detached: a reaction needs no place in the thread's order, and holds none of it up.
    return OutboxMessage(REACTION, {"channel": channel, "timestamp": ts, "name": name}, detached=True)


def edit_message(channel: str, ts: str, text: str, blocks: Sequence[dict[str, Any]]) -> OutboxMessage:
    """Replace the message at ``ts`` in ``channel``; nothing else waits for it."""
    payload: dict[str, Any] = {"channel": channel, "ts": ts, "text": text, "blocks": list(blocks)}
    return OutboxMessage(EDIT_MESSAGE, payload, detached=True)


# The status page's emails (SPEC §14; see bot.delivery.status_mail). Detached: an SMTP outage holds up
# no incident's Slack messages, and one address refusing mail holds up no other's.
STATUS_MAIL_FANOUT = "email.status_fanout"
STATUS_EMAIL = "email.status"


def status_mail_fanout(incident_id: int, number: str, title: str, text: str | None) -> OutboxMessage:
    """A job: an email to every confirmed subscriber about a public incident's published update
    (``text``), or its resolution (``text`` None), as the incident read when it happened."""
    payload = {"incident_id": incident_id, "number": number, "title": title, "text": text}
    return OutboxMessage(STATUS_MAIL_FANOUT, payload, detached=True)


def status_email(
    to: str, subject: str, body: str, *, unsubscribe_url: str | None = None, incident_id: int | None = None
) -> OutboxMessage:
    payload: dict[str, Any] = {"to": to, "subject": subject, "body": body}
    if unsubscribe_url:
        payload["unsubscribe_url"] = unsubscribe_url
    if incident_id is not None:
        payload["incident_id"] = incident_id  # so the console can count an incident's failed emails
    return OutboxMessage(STATUS_EMAIL, payload, detached=True)
