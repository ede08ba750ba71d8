"""Stable ids for every control and modal, and the incident reference their values carry.

Encoding (all plain ASCII, parsed strictly; anything malformed raises ValueError):

- a button's ``value`` is the ref: ``"T123:42"`` (workspace id, incident number);
- a static_select option's ``value`` is the ref plus the choice: ``"T123:42:SEV2"``,
  ``"T123:42:identified"``, so each option stands on its own;
- a ``users_select`` has no value of its own, so the card's actions block carries the ref in its
  ``block_id``: ``"incident.actions:T123:42:v7"``. The card version there gives every edit of the
  card a new block_id, which Slack asks for so that clients drop a stale menu selection.

Slack signs every interaction payload, so these values need no signature of their own; they are
still parsed strictly because handlers act on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from domain.incident import IncidentRef

ACK = "incident.ack"
SEVERITY = "incident.severity"
STATUS = "incident.status"
COMMANDER = "incident.commander"
STAKEHOLDER_UPDATE = "incident.stakeholder_update"
RESOLVE = "incident.resolve"
REOPEN = "incident.reopen"
CLOSE = "incident.close"
POST_UPDATE = "incident.post_update"
SNOOZE = "incident.snooze"
POSTMORTEM = "incident.postmortem"
# The card's Runbook button posts the service's runbook; each step's Done button carries its
# number as the choice (``T123:42:3``).
RUNBOOK = "incident.runbook"
RUNBOOK_DONE = "incident.runbook_done"

# A link button (the card's "Open in console"): the browser follows it, and the click Slack reports
# anyway is only acknowledged. Not under "incident.", whose clicks are commands.
OPEN_IN_CONSOLE = "console.open"

CARD_ACTIONS = "incident.actions"
"""Prefix of the card's actions block_id (the full id carries the ref and card version)."""

DECLARE_MODAL = "incident.declare"
RESOLVE_MODAL = "incident.resolve"
POSTMORTEM_MODAL = "incident.postmortem"

# Input blocks of the modals: block_id keys ``view.state.values``, action_id the element in it.
DECLARE_TITLE_BLOCK = "declare.title"
DECLARE_SEVERITY_BLOCK = "declare.severity"
DECLARE_DESCRIPTION_BLOCK = "declare.description"
DECLARE_SERVICE_BLOCK = "declare.service"
DECLARE_CATALOG_BLOCK = "declare.catalog_service"  # a service of the catalog (SPEC §13), when there is one
RESOLVE_SUMMARY_BLOCK = "resolve.summary"
# One input block per postmortem field: ``postmortem.root_cause``…
POSTMORTEM_BLOCK_PREFIX = "postmortem."
INPUT = "value"

_WORKSPACE = r"[A-Za-z0-9_-]{1,64}"
_NUMBER = r"[1-9][0-9]{0,17}"
# Incident numbers are stored as 32-bit integers: a bigger one cannot name an incident.
_NUMBER_MAX = 2**31 - 1
_REF = re.compile(rf"^({_WORKSPACE}):({_NUMBER})$")
_CHOICE = re.compile(rf"^({_WORKSPACE}):({_NUMBER}):([A-Za-z0-9_-]{{1,40}})$")
_BLOCK_ID = re.compile(rf"^{re.escape(CARD_ACTIONS)}:({_WORKSPACE}):({_NUMBER}):v([0-9]{{1,18}})$")


def encode_ref(ref: IncidentRef) -> str:
    value = f"{ref.workspace_id}:{ref.number}"
    if not _REF.match(value):
        raise ValueError(f"cannot encode incident ref {ref!r}")
    return value


def decode_ref(value: str) -> IncidentRef:
    match = _REF.match(value)
    if match is None:
        raise ValueError(f"malformed incident ref {value[:80]!r}")
    return IncidentRef(match.group(1), _number(match.group(2)))


def _number(digits: str) -> int:
    number = int(digits)
    if number > _NUMBER_MAX:
        raise ValueError(f"no incident has the number {digits[:20]}")
    return number


def encode_choice(ref: IncidentRef, choice: str) -> str:
    value = f"{encode_ref(ref)}:{choice}"
    if not _CHOICE.match(value):
        raise ValueError(f"cannot encode choice {choice!r}")
    return value


def decode_choice(value: str) -> tuple[IncidentRef, str]:
    match = _CHOICE.match(value)
    if match is None:
        raise ValueError(f"malformed option value {value[:80]!r}")
    return IncidentRef(match.group(1), _number(match.group(2))), match.group(3)


def actions_block_id(ref: IncidentRef, version: int) -> str:
    if version < 0:
        raise ValueError("card version cannot be negative")
    return f"{CARD_ACTIONS}:{encode_ref(ref)}:v{version}"


def decode_actions_block_id(block_id: str) -> tuple[IncidentRef, int]:
    """The ref and the card version a control was clicked on."""
    match = _BLOCK_ID.match(block_id)
    if match is None:
        raise ValueError(f"malformed actions block_id {block_id[:80]!r}")
    return IncidentRef(match.group(1), _number(match.group(2))), int(match.group(3))


def action_ref(action: Mapping[str, Any]) -> IncidentRef:
    """The incident a card interaction (one entry of a payload's ``actions``) is about."""
    value = action.get("value")
    if isinstance(value, str):
        # A button either names its incident or carries a choice with it (``T1:42:30m``).
        return decode_ref(value) if _REF.match(value) else decode_choice(value)[0]
    option = action.get("selected_option")
    if isinstance(option, Mapping) and isinstance(option.get("value"), str):
        return decode_choice(option["value"])[0]
    block_id = action.get("block_id")
    if isinstance(block_id, str):
        return decode_actions_block_id(block_id)[0]
    raise ValueError("the action carries no incident ref")
