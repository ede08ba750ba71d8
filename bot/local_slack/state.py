"""In-memory model of one Slack workspace, independent of HTTP.

Every operation either returns the new/changed object or raises :class:`SlackError` and leaves the
state untouched; the same model backs the tests' fake Slack and the playground's local Slack.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Mapping

from .models import DEFAULT_USERS, JSON, Ephemeral, Message, SlackError
from .view_state import ViewState

_USER_ID = re.compile(r"[UW][A-Z0-9]+")


class SlackState(ViewState):
    """Messages, ephemerals, views and users of a single workspace.

    Message ``ts`` values are fixed fake times (``1700000000.000100``, …) so tests can predict them;
    with ``clock`` (seconds since the epoch) they are real times, as the playground shows them.
    """

    def __init__(
        self,
        *,
        team_id: str = "T0FIREBRK",
        team_domain: str = "firebreak-test",
        bot_user_id: str = "U0FIREBOT",
        bot_id: str = "B0FIREBOT",
        app_id: str = "A0FIREBRK",
        users: tuple[JSON, ...] = DEFAULT_USERS,
        channel_names: Mapping[str, str] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self._initial_users = users
        self._initial_channel_names = dict(channel_names or {})
        self._seq = itertools.count(1)  # never reset: ts values stay unique across clear()
        self._clock = clock
        self._last_micros = 0
        self.clear()

    # ----------------------------------------------------------------- bookkeeping
    def clear(self) -> None:
        self.channels: dict[str, list[Message]] = {}
        self.channel_names = dict(self._initial_channel_names)
        self.ephemerals: list[Ephemeral] = []
        self.clear_views()
        self.users: dict[str, JSON] = {}
        for user in self._initial_users:
            self.add_user(user["id"], user["name"], user["real_name"], tz=user.get("tz", "UTC"))
        self.add_user(self.bot_user_id, "firebreak", "Firebreak", is_bot=True)
        # User groups (``usergroups.list``): a service's owner may be one (SPEC §13).
        self.usergroups: list[JSON] = []

    def add_user(self, user_id: str, name: str, real_name: str, *, tz: str = "UTC", is_bot: bool = False) -> JSON:
        user: JSON = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": is_bot,
            "is_admin": False,
            "tz": tz,
            "profile": {"real_name": real_name, "display_name": name, "email": f"{name}@example.com"},
        }
        self.users[user_id] = user
        return user

    def position(self) -> tuple[int, int]:
        """Where ids and ``ts`` values have got to, for :meth:`resume` in a later run."""
        seq = next(self._seq)
        self._seq = itertools.count(seq)
        return seq, self._last_micros

    def resume(self, seq: int, last_micros: int) -> None:
        """Continue after ``position()`` of an earlier run: no id or ``ts`` is handed out twice."""
        self._seq = itertools.count(max(seq, next(self._seq)))
        self._last_micros = max(last_micros, self._last_micros)

    def next_ts(self) -> str:
        if self._clock is None:
            micros = 1_700_000_000_000_000 + 100 * next(self._seq)
        else:
            micros = max(int(self._clock() * 1_000_000), self._last_micros + 1)
            self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # ----------------------------------------------------------------- messages
    def post_message(
        self,
        channel: str,
        *,
        text: str = "",
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        thread_ts: str | None = None,
        metadata: JSON | None = None,
    ) -> Message:
        msg = Message(
            channel=channel,
            ts=self.next_ts(),
            text=text,
            user=self.bot_user_id,
            bot_id=self.bot_id,
            blocks=copy.deepcopy(blocks),
            attachments=copy.deepcopy(attachments),
            thread_ts=thread_ts,
            metadata=copy.deepcopy(metadata),
        )
        self.channels.setdefault(channel, []).append(msg)
        return msg

    def add_channel(self, channel_id: str, name: str) -> None:
        """A channel with the bot in it, by name (as ``conversations.list`` shows it)."""
        self.channel_names[channel_id] = name

    def conversations(self) -> list[JSON]:
        """The channels the bot is in: those named, then any it has messages in (direct ones aside)."""
        unnamed = [c for c in self.channels if c not in self.channel_names and not c.startswith("D")]
        return [
            {
                "id": channel_id,
                "name": self.channel_names.get(channel_id, channel_id.lower()),
                "is_channel": True,
                "is_private": False,
                "is_archived": False,
                "is_member": True,
            }
            for channel_id in [*self.channel_names, *unnamed]
        ]

    def conversation(self, channel: str) -> str:
        """The conversation a ``channel`` argument names: a user's id names the bot's direct
        conversation with that user (its ``D…`` id), as chat.postMessage reads it."""
        if _USER_ID.fullmatch(channel) is None:
            return channel
        if channel not in self.users:
            raise SlackError("channel_not_found")
        return "D" + channel[1:]

    def post_user_message(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None, ts: str | None = None
    ) -> Message:
        """A person's message (the kind that mentions the bot), as if typed in the Slack client; with
        ``ts``, one typed then (a message from yesterday, say)."""
        msg = Message(channel=channel, ts=ts or self.next_ts(), text=text, user=user, bot_id="", thread_ts=thread_ts)
        self.channels.setdefault(channel, []).append(msg)
        return msg

    def find_message(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.channels.get(channel, []) if m.ts == ts), None)

    def update_message(
        self,
        channel: str,
        ts: str,
        *,
        text: str | None = None,
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
    ) -> Message:
        msg = self.find_message(channel, ts)
        if msg is None:
            raise SlackError("message_not_found")
        msg.revisions.append({"text": msg.text, "blocks": msg.blocks, "attachments": msg.attachments})
        if text is not None:
            msg.text = text
        if blocks is not None:  # Slack keeps the old blocks when none are sent
            msg.blocks = copy.deepcopy(blocks)
        if attachments is not None:
            msg.attachments = copy.deepcopy(attachments)
        msg.edited_ts = self.next_ts()
        return msg

    def add_reaction(self, channel: str, ts: str, name: str, user: str) -> Message:
        """``user`` reacts to a message with ``name``; as Slack does, at most once per emoji."""
        msg = self._existing(channel, ts)
        if user in msg.reactions.get(name, []):
            raise SlackError("already_reacted")
        msg.reactions.setdefault(name, []).append(user)
        return msg

    def remove_reaction(self, channel: str, ts: str, name: str, user: str) -> Message:
        msg = self._existing(channel, ts)
        if user not in msg.reactions.get(name, []):
            raise SlackError("no_reaction")
        msg.reactions[name].remove(user)
        if not msg.reactions[name]:
            del msg.reactions[name]
        return msg

    def pin(self, channel: str, ts: str, user: str | None) -> Message:
        """``user`` pins the message to its channel (None: unpins it), once, as Slack allows."""
        msg = self._existing(channel, ts)
        if (msg.pinned_by is None) == (user is None):
            raise SlackError("no_pin" if user is None else "already_pinned")
        msg.pinned_by = user
        return msg

    def delete_message(self, channel: str, ts: str) -> Message:
        msg = self._existing(channel, ts)
        self.channels[channel].remove(msg)
        return msg

    def _existing(self, channel: str, ts: str) -> Message:
        msg = self.find_message(channel, ts)
        if msg is None:
            raise SlackError("message_not_found")
        return msg

    def messages(self, channel: str, thread_ts: str | None = None) -> list[Message]:
        """All messages of a channel (posting order), or only the replies in thread ``thread_ts``."""
        msgs = self.channels.get(channel, [])
        if thread_ts is None:
            return list(msgs)
        return [m for m in msgs if m.thread_ts == thread_ts and m.ts != thread_ts]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The thread rooted at ``ts``: the parent (if posted here) followed by its replies."""
        parent = self.find_message(channel, ts)
        return ([parent] if parent else []) + self.messages(channel, ts)

    def message_dict(self, msg: Message) -> JSON:
        out: JSON = {"type": "message", "text": msg.text, "user": msg.user, "team": self.team_id, "ts": msg.ts}
        if msg.bot_id:  # a person's message has no subtype, and no bot in it
            out |= {"subtype": "bot_message", "bot_id": msg.bot_id, "app_id": self.app_id}
        for key in ("blocks", "attachments", "metadata"):
            if getattr(msg, key) is not None:
                out[key] = copy.deepcopy(getattr(msg, key))
        if msg.thread_ts is not None:
            out["thread_ts"] = msg.thread_ts
        replies = self.messages(msg.channel, msg.ts)
        if replies:
            out |= {"thread_ts": msg.ts, "reply_count": len(replies), "latest_reply": replies[-1].ts}
        if msg.edited_ts is not None:
            out["edited"] = {"user": msg.user, "ts": msg.edited_ts}
        if msg.pinned_by is not None:
            out["pinned_to"] = [msg.channel]
        if msg.reactions:
            out["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)} for name, users in msg.reactions.items()
            ]
        return out

    def permalink(self, channel: str, ts: str) -> str:
        msg = self.find_message(channel, ts)
        if msg is None:
            raise SlackError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        if msg.is_reply:
            link += f"?thread_ts={msg.thread_ts}&cid={channel}"
        return link

    # ----------------------------------------------------------------- ephemerals
    def post_ephemeral(
        self,
        channel: str,
        user: str,
        *,
        text: str = "",
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        thread_ts: str | None = None,
    ) -> Ephemeral:
        if user not in self.users:
            raise SlackError("user_not_found")
        eph = Ephemeral(
            channel, user, self.next_ts(), text, copy.deepcopy(blocks), copy.deepcopy(attachments), thread_ts
        )
        self.ephemerals.append(eph)
        return eph
