"""Modals and App Home views of the workspace model (part of :class:`SlackState`)."""

from __future__ import annotations

import copy
import itertools

from .models import JSON, SlackError, View


class ViewState:
    """Views opened with ``views.open``, updated with ``views.update``, published to App Home."""

    team_id: str
    app_id: str
    bot_id: str
    users: dict[str, JSON]
    _seq: itertools.count[int]

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):08d}"

    def clear_views(self) -> None:
        self.views: dict[str, View] = {}
        self.home_views: dict[str, str] = {}

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
