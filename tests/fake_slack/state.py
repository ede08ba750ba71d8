"""In-memory model of one Slack workspace, independent of HTTP.

Every operation either returns the new/changed object or raises :class:`SlackError` and leaves the
state untouched, so the same model can back the test fake and a local "playground" Slack.
"""

from __future__ import annotations

import copy
import itertools

from .models import DEFAULT_USERS, JSON, Ephemeral, Message, SlackError, View


class SlackState:
    """Messages, ephemerals, views and users of a single fake workspace."""

    def __init__(
        self,
        *,
        team_id: str = "T0FIREBRK",
        team_domain: str = "firebreak-test",
        bot_user_id: str = "U0FIREBOT",
        bot_id: str = "B0FIREBOT",
        app_id: str = "A0FIREBRK",
        users: tuple[JSON, ...] = DEFAULT_USERS,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self._initial_users = users
        self._seq = itertools.count(1)  # never reset: ts values stay unique across clear()
        self.clear()

    # ----------------------------------------------------------------- bookkeeping
    def clear(self) -> None:
        self.channels: dict[str, list[Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, View] = {}
        self.home_views: dict[str, str] = {}
        self.users: dict[str, JSON] = {}
        for user in self._initial_users:
            self.add_user(user["id"], user["name"], user["real_name"], tz=user.get("tz", "UTC"))
        self.add_user(self.bot_user_id, "firebreak", "Firebreak", is_bot=True)

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

    def next_ts(self) -> str:
        micros = 1_700_000_000_000_000 + 100 * next(self._seq)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):08d}"

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

    def post_user_message(self, channel: str, user: str, text: str, *, thread_ts: str | None = None) -> Message:
        """A person's message (the kind that mentions the bot), as if typed in the Slack client."""
        msg = Message(channel=channel, ts=self.next_ts(), text=text, user=user, bot_id="", thread_ts=thread_ts)
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
        out: JSON = {
            "type": "message",
            "subtype": "bot_message",
            "text": msg.text,
            "user": msg.user,
            "bot_id": msg.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": msg.ts,
        }
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

    # ----------------------------------------------------------------- views
    def open_view(self, trigger_id: str, payload: JSON) -> View:
        view = View(id=self.next_id("V"), payload=copy.deepcopy(payload), hash=self._hash(), trigger_id=trigger_id)
        view.root_view_id = view.id
        self.views[view.id] = view
        return view

    def find_view(self, view_id: str | None = None, external_id: str | None = None) -> View | None:
        if view_id:
            return self.views.get(view_id)
        return next((v for v in self.views.values() if external_id and v.external_id == external_id), None)

    def update_view(
        self, payload: JSON, *, view_id: str | None, external_id: str | None, expected_hash: str | None
    ) -> View:
        view = self.find_view(view_id, external_id)
        if view is None:
            raise SlackError("not_found")
        if expected_hash and expected_hash != view.hash:
            raise SlackError("hash_conflict")
        view.revisions.append(view.payload)
        view.payload, view.hash = copy.deepcopy(payload), self._hash()
        return view

    def publish_view(self, user_id: str, payload: JSON, *, expected_hash: str | None) -> View:
        if user_id not in self.users:
            raise SlackError("user_not_found")
        current = self.views.get(self.home_views.get(user_id, ""))
        if current is not None:
            if expected_hash and expected_hash != current.hash:
                raise SlackError("hash_conflict")
            current.revisions.append(current.payload)
            current.payload, current.hash = copy.deepcopy(payload), self._hash()
            return current
        view = View(id=self.next_id("V"), payload=copy.deepcopy(payload), hash=self._hash(), user=user_id)
        self.views[view.id] = view
        self.home_views[user_id] = view.id
        return view

    def view_dict(self, view: View) -> JSON:
        defaults: JSON = {
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
        }
        return (
            defaults
            | copy.deepcopy(view.payload)
            | {
                "id": view.id,
                "team_id": self.team_id,
                "state": {"values": {}},
                "hash": view.hash,
                "root_view_id": view.root_view_id,
                "app_id": self.app_id,
                "bot_id": self.bot_id,
                "app_installed_team_id": self.team_id,
            }
        )

    def _hash(self) -> str:
        return f"{next(self._seq):010d}.fakehash"
