"""The kinds of outbox message the bot writes, and builders for each.

Cards are not rendered when the row is written but when it is delivered, from the incident as it
is then: so a card update that waited behind Slack's rate limit shows the latest state, and many
pending updates of one card collapse into one (they share a coalesce key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.handler.origin import Origin
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


def draft_job(incident_id: int, requested_by: str) -> OutboxMessage:
    return OutboxMessage(AI_DRAFT_UPDATE, {"incident_id": incident_id, "requested_by": requested_by}, detached=True)


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


def thread_message(incident_id: int, text: str, blocks: Sequence[dict[str, Any]] | None = None) -> OutboxMessage:
    """A message in the incident's thread, wherever that thread turns out to be when it is sent."""
    payload: dict[str, Any] = {"incident_id": incident_id, "text": text}
    if blocks:
        payload["blocks"] = list(blocks)
    return OutboxMessage(THREAD_MESSAGE, payload)


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
