from __future__ import annotations

import pytest

from bot.views import action_ids as ids
from domain.incident import IncidentRef

REF = IncidentRef("T123", 42)


def test_action_ids_are_stable() -> None:
    assert (ids.ACK, ids.SEVERITY, ids.STATUS, ids.COMMANDER) == (
        "incident.ack",
        "incident.severity",
        "incident.status",
        "incident.commander",
    )
    assert (ids.STAKEHOLDER_UPDATE, ids.RESOLVE, ids.REOPEN, ids.CLOSE) == (
        "incident.stakeholder_update",
        "incident.resolve",
        "incident.reopen",
        "incident.close",
    )
    assert (ids.POST_UPDATE, ids.SNOOZE) == ("incident.post_update", "incident.snooze")
    assert (ids.DECLARE_MODAL, ids.RESOLVE_MODAL) == ("incident.declare", "incident.resolve")
    assert (ids.POSTMORTEM, ids.POSTMORTEM_MODAL) == ("incident.postmortem", "incident.postmortem")


def test_ref_round_trip() -> None:
    assert ids.encode_ref(REF) == "T123:42"
    assert ids.decode_ref("T123:42") == REF


def test_choice_round_trip() -> None:
    assert ids.encode_choice(REF, "SEV2") == "T123:42:SEV2"
    assert ids.decode_choice("T123:42:SEV2") == (REF, "SEV2")
    assert ids.decode_choice("T123:42:identified") == (REF, "identified")


def test_block_id_round_trip() -> None:
    block_id = ids.actions_block_id(REF, 7)
    assert block_id == "incident.actions:T123:42:v7"
    assert ids.decode_actions_block_id(block_id) == (REF, 7)


@pytest.mark.parametrize(
    "value",
    ["", "T123", "T123:", ":42", "T123:0", "T123:-1", "T123:4x", "T1 23:42", "T123:42:SEV2", "T:1:2:3", "T123:042"],
)
def test_decode_ref_rejects_malformed(value: str) -> None:
    with pytest.raises(ValueError, match="malformed"):
        ids.decode_ref(value)


@pytest.mark.parametrize("value", ["T123:42", "T123:42:", "T123:42:a:b", "T123:x:SEV1", "T123:42:SEV 1"])
def test_decode_choice_rejects_malformed(value: str) -> None:
    with pytest.raises(ValueError, match="malformed"):
        ids.decode_choice(value)


@pytest.mark.parametrize("block_id", ["incident.actions:T123:42", "other:T123:42:v1", "incident.actions:T123:42:v"])
def test_decode_block_id_rejects_malformed(block_id: str) -> None:
    with pytest.raises(ValueError, match="malformed"):
        ids.decode_actions_block_id(block_id)


def test_encode_refuses_unencodable_refs() -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        ids.encode_ref(IncidentRef("T:1", 2))
    with pytest.raises(ValueError, match="cannot encode"):
        ids.encode_choice(REF, "a:b")


def test_action_ref_reads_value_option_or_block_id() -> None:
    block_id = ids.actions_block_id(REF, 3)
    assert ids.action_ref({"action_id": ids.ACK, "block_id": block_id, "value": "T123:42"}) == REF
    chosen = {"action_id": ids.SEVERITY, "block_id": block_id, "selected_option": {"value": "T123:42:SEV1"}}
    assert ids.action_ref(chosen) == REF
    assert ids.action_ref({"action_id": ids.COMMANDER, "block_id": block_id, "selected_user": "U9"}) == REF
    with pytest.raises(ValueError, match="no incident ref"):
        ids.action_ref({"action_id": ids.COMMANDER})
