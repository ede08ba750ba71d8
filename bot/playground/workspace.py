"""The playground's side of the local Slack: its channels, who opened which modal, and the
workspace as the page shows it to one person (their ephemerals and modal only)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.local_slack import LocalSlack, Message, View
from bot.local_slack.models import JSON

CHANNELS: dict[str, str] = {"C0INCIDENTS": "incidents", "C0GENERAL": "general"}
"""Channel id -> name: the channels a newcomer finds in the playground."""

_AT_NAME = re.compile(r"(?<![\w@<])@([A-Za-z0-9][A-Za-z0-9._-]*)")
_SPECIAL = {"here": "<!here>", "channel": "<!channel>", "everyone": "<!everyone>"}


def slack_text(typed: str, users: dict[str, JSON], *, labelled: bool = False) -> str:
    """What Slack makes of typed text: ``& < >`` escaped, ``@name`` of a known user as a mention.

    ``labelled``: as a slash command's text (the app asks for escaping): ``<@U…|name>``, not ``<@U…>``.
    """
    escaped = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    by_name = {str(user["name"]).lower(): user_id for user_id, user in users.items()}

    def mention(match: re.Match[str]) -> str:
        name = match.group(1).rstrip(".-")
        rest = match.group(1)[len(name) :]
        if name.lower() in _SPECIAL:
            return _SPECIAL[name.lower()] + rest
        user_id = by_name.get(name.lower())
        if user_id is None:
            return match.group(0)
        label = f"|{users[user_id]['name']}" if labelled else ""
        return f"<@{user_id}{label}>{rest}"

    return _AT_NAME.sub(mention, escaped)


@dataclass
class Playground:
    """What the page needs beyond the Slack state: modal ownership and dismissed ephemerals."""

    slack: LocalSlack
    triggers: dict[str, str] = field(default_factory=dict)
    """trigger_id -> the user whose action it came with (their modal opens with it)."""
    closed_views: set[str] = field(default_factory=set)
    dismissed: set[str] = field(default_factory=set)
    """message_ts of ephemerals someone dismissed."""

    def trigger_for(self, user: str, trigger_id: str) -> str:
        self.triggers[trigger_id] = user
        return trigger_id

    def modal_for(self, user: str) -> View | None:
        """The modal ``user`` has open: the latest one opened with their trigger and not closed."""
        for view in reversed(list(self.slack.state.views.values())):
            opener = self.triggers.get(view.trigger_id or "")
            if view.user is None and opener == user and view.id not in self.closed_views:
                return view
        return None

    def forget(self) -> None:
        """After a reset: no modal, trigger or dismissal of the old workspace applies any more."""
        self.triggers.clear()
        self.closed_views.clear()
        self.dismissed.clear()

    def close_views(self, user: str) -> None:
        for view in self.slack.state.views.values():
            if self.triggers.get(view.trigger_id or "") == user:
                self.closed_views.add(view.id)

    def page(self, user: str) -> JSON:
        """Everything the page shows to ``user``, as JSON."""
        state = self.slack.state
        channels = dict(CHANNELS) | {c: c for c in state.channels if c not in CHANNELS}
        modal = self.modal_for(user)
        return {
            "me": user,
            "team": {"id": state.team_id, "domain": state.team_domain},
            "bot": {"id": state.bot_user_id, "name": state.users[state.bot_user_id]["name"]},
            "users": [
                {"id": u["id"], "name": u["name"], "real_name": u["real_name"], "is_bot": u["is_bot"]}
                for u in state.users.values()
            ],
            "channels": [{"id": cid, "name": name} for cid, name in channels.items()],
            "messages": {cid: [self._message(m) for m in state.channels.get(cid, [])] for cid in channels},
            "ephemerals": [
                {"ts": e.message_ts, "channel": e.channel, "text": e.text, "blocks": e.blocks, "thread_ts": e.thread_ts}
                for e in state.ephemerals
                if e.user == user and e.message_ts not in self.dismissed
            ],
            "modal": None if modal is None else state.view_dict(modal),
        }

    @staticmethod
    def _message(message: Message) -> JSON:
        return {
            "ts": message.ts,
            "user": message.user,
            "text": message.text,
            "blocks": message.blocks,
            "thread_ts": message.thread_ts,
            "edited": message.edited_ts is not None,
            "bot": bool(message.bot_id),
            "reactions": [
                {"name": name, "count": len(users), "users": list(users)} for name, users in message.reactions.items()
            ],
        }
