"""The local Slack's workspace kept in a file: a restart shows the same conversations and never
hands out an old ``ts`` again; a file it did not write is refused and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.local_slack import SlackState
from bot.local_slack.snapshot import UnreadableSnapshot, load, save


def test_a_restarted_workspace_shows_the_same_messages_and_goes_on_from_there(tmp_path: Path) -> None:
    path = tmp_path / "workspace.json"
    before = SlackState(clock=lambda: 1_800_000_000.0)
    card = before.post_message("C1", text="card", blocks=[{"type": "divider"}])
    before.post_user_message("C1", "U0ALICE", "<@U0FIREBOT> ack", thread_ts=card.ts)
    before.update_message("C1", card.ts, text="card v2")
    before.add_user("U0ERIN", "erin", "Erin Evans")
    opened = before.open_view("trigger", {"type": "modal"})
    save(before, path)

    after = SlackState(clock=lambda: 1_000_000_000.0)  # a clock gone backwards, even
    load(after, path)

    assert [(m.ts, m.text, m.thread_ts) for m in after.messages("C1")] == [
        (m.ts, m.text, m.thread_ts) for m in before.messages("C1")
    ]
    restored = after.find_message("C1", card.ts)
    assert restored is not None
    assert (restored.blocks, restored.edited_ts is not None, restored.revisions) == ([{"type": "divider"}], True, [])
    assert after.users["U0ERIN"]["real_name"] == "Erin Evans"
    assert float(after.post_message("C1", text="next").ts) > max(float(m.ts) for m in before.messages("C1"))
    assert after.views == {}, "a modal does not outlive a restart"
    assert after.open_view("trigger", {"type": "modal"}).id > opened.id


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "JSONDecodeError"),
        ('{"format": 99}', "not a format 1 workspace"),
        ('{"format": 1, "team_id": "T0OTHER"}', "it is workspace T0OTHER"),
        ('{"format": 1, "team_id": "T0FIREBRK", "users": []}', "KeyError"),
    ],
)
def test_a_file_it_did_not_write_is_refused_and_changes_nothing(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "workspace.json"
    path.write_text(content)
    state = SlackState()
    state.post_message("C1", text="still here")

    with pytest.raises(UnreadableSnapshot, match=reason):
        load(state, path)

    assert [m.text for m in state.messages("C1")] == ["still here"]
