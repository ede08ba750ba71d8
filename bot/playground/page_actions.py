"""What people do on the page, done the way Slack does it: the message goes into the workspace, and
the app hears about it as Slack would tell it, by the transport chosen on the page
(:mod:`bot.playground.transport`): a signed HTTP request, or a Socket Mode envelope."""

from __future__ import annotations

from typing import Any

from bot.local_slack import ResponseTarget, SlackError
from bot.local_slack import payloads as slack
from bot.local_slack.message_events import reaction_event
from bot.local_slack.models import JSON
from bot.local_slack.responses import apply_response
from bot.local_slack.socket_mode import EVENTS_API, INTERACTIVE, SLASH_COMMANDS
from bot.playground.transport import Transport
from bot.playground.workspace import Playground, slack_text

PUSHPIN = "pushpin"


class PageActions:
    def __init__(self, playground: Playground, transport: Transport) -> None:
        self._playground = playground
        self._slack = playground.slack
        self._transport = transport

    # ------------------------------------------------------------------ the page's actions
    async def message(self, user: str, channel: str, typed: str, thread_ts: str | None) -> JSON:
        """A person sends a message; if it mentions the bot, the app gets an ``app_mention`` event."""
        state = self._slack.state
        text = slack_text(typed, state.users)
        message = state.post_user_message(channel, user, text, thread_ts=thread_ts)
        self._slack.notify_change("message")
        result: JSON = {"ok": True, "ts": message.ts}
        if f"<@{state.bot_user_id}>" in text:
            event = slack.app_mention(user, channel, text, message.ts, thread_ts)
            reply = await self._transport.send(EVENTS_API, slack.event_envelope(state, event))
            result |= reply.outcome()
        return result

    async def slash(self, user: str, channel: str, typed: str, thread_ts: str | None) -> JSON:
        """``/incident <text>``: the app's acknowledgement is the reply, only for the person. Slack
        escapes the text for the app (the manifest's ``should_escape``): ``@carol`` arrives as
        ``<@U…|carol>``, which is how the app knows it names a person."""
        target = ResponseTarget(channel, user, thread_ts)
        form = slack.slash_form(
            self._slack.state,
            user,
            channel,
            slack_text(typed, self._slack.state.users, labelled=True),
            response_url=self._slack.response_url_for(target),
            trigger_id=self._playground.trigger_for(user, slack.new_trigger_id()),
        )
        reply = await self._transport.send(SLASH_COMMANDS, slack.form_fields(form))
        if reply.ok and (reply.body.get("text") or reply.body.get("blocks")):
            apply_response(self._slack.state, target, reply.body)
            self._slack.notify_change("slash")
        return reply.outcome()

    async def click(
        self,
        user: str,
        channel: str,
        *,
        message_ts: str,
        block_id: str,
        action_id: str,
        choice: str | None,
        ephemeral: bool = False,
    ) -> JSON:
        """A control on a message used: ``block_actions`` with the element from the message itself."""
        state = self._slack.state
        blocks, thread_ts, message = self._clicked(user, channel, message_ts, ephemeral=ephemeral)
        _, element = slack.find_control(blocks, action_id, block_id)
        action = slack.chosen_action(element, block_id, choice)
        container = slack.message_container(channel, message_ts, thread_ts, ephemeral=ephemeral)
        target = ResponseTarget(channel, user, thread_ts, None if ephemeral else message_ts)
        payload = slack.block_actions(
            state,
            user,
            channel=channel,
            message=message,
            container=container,
            action=action,
            response_url=self._slack.response_url_for(target),
            trigger_id=self._playground.trigger_for(user, slack.new_trigger_id()),
        )
        reply = await self._transport.send(INTERACTIVE, payload)
        return reply.outcome()

    def _clicked(
        self, user: str, channel: str, ts: str, *, ephemeral: bool
    ) -> tuple[list[JSON] | None, str | None, JSON | None]:
        state = self._slack.state
        if ephemeral:
            eph = next((e for e in state.ephemerals if e.message_ts == ts and e.user == user), None)
            if eph is None:
                raise SlackError("message_not_found")
            return eph.blocks, eph.thread_ts, None
        found = state.find_message(channel, ts)
        if found is None:
            raise SlackError("message_not_found")
        message = state.message_dict(found)
        return found.blocks, found.thread_ts, message

    async def submit(self, user: str, view_id: str, typed: dict[str, Any]) -> JSON:
        """A modal submitted: ``view_submission``; the app's ``response_action`` decides what next."""
        view = self._playground.modal_for(user)
        if view is None or view.id != view_id:
            raise SlackError("view_not_found")
        state = self._slack.state
        shown = state.view_dict(view)
        values = slack.view_state_values(shown, typed)
        trigger_id = self._playground.trigger_for(user, slack.new_trigger_id())
        payload = slack.view_submission(state, user, shown, values, trigger_id=trigger_id)
        reply = await self._transport.send(INTERACTIVE, payload)
        action = reply.body.get("response_action")
        if not reply.ok:
            return reply.outcome() | {"errors": {}}
        if action == "errors":
            errors = reply.body.get("errors")
            return {"ok": True, "closed": False, "errors": errors if isinstance(errors, dict) else {}}
        if action == "update" and isinstance(reply.body.get("view"), dict):
            state.update_view(reply.body["view"], view_id=view.id, external_id=None, expected_hash=None)
        elif action == "clear":
            self._playground.close_views(user)
        else:
            self._playground.closed_views.add(view.id)
        self._slack.notify_change("view_submission")
        return {"ok": True, "closed": action != "update", "errors": {}}

    async def close_modal(self, user: str, view_id: str) -> JSON:
        """The modal dismissed; the app hears of it (``view_closed``) only if it asked to."""
        view = self._playground.modal_for(user)
        if view is None or view.id != view_id:
            return {"ok": True}
        self._playground.closed_views.add(view_id)
        self._slack.notify_change("view_closed")
        if view.payload.get("notify_on_close"):
            shown = self._slack.state.view_dict(view)
            payload = slack.view_closed(self._slack.state, user, shown)
            reply = await self._transport.send(INTERACTIVE, payload)
            return reply.outcome()
        return {"ok": True}

    async def pushpin(self, user: str, channel: str, ts: str) -> JSON:
        """The 📌 on a message, or off it again if ``user`` had put it there: the app hears of it as
        Slack tells it (``reaction_added`` / ``reaction_removed``)."""
        state = self._slack.state
        message = state.find_message(channel, ts)
        if message is None:
            raise SlackError("message_not_found")
        added = user not in message.reactions.get(PUSHPIN, [])
        event = reaction_event(state, user, message, PUSHPIN, added=added)
        self._slack.notify_change("reaction")
        reply = await self._transport.send(EVENTS_API, slack.event_envelope(state, event))
        return {"ok": True, "pinned": added} | reply.outcome()

    def dismiss(self, user: str, ts: str) -> JSON:
        if any(e.message_ts == ts and e.user == user for e in self._slack.state.ephemerals):
            self._playground.dismissed.add(ts)
            self._slack.notify_change("dismissed")
        return {"ok": True}
