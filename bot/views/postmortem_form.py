"""How the postmortem's fields are asked for, in Slack's modal and on the console's page alike, and
how a form tells the fields its author changed from those it only showed."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.views import action_ids as ids
from bot.views.blocks import Block, actions, button, section
from domain.incident import Incident
from domain.postmortem import NEEDED_TO_CLOSE, Postmortem, PostmortemField, field_list
from domain.severity import Severity


@dataclass(frozen=True)
class FieldWording:
    label: str
    hint: str


FIELD_WORDING: Mapping[PostmortemField, FieldWording] = MappingProxyType(
    {
        PostmortemField.SUMMARY: FieldWording("Summary", "What happened, in a few sentences"),
        PostmortemField.CUSTOMER_IMPACT: FieldWording("Customer impact", "Who was affected, how, and for how long"),
        PostmortemField.ROOT_CAUSE: FieldWording("Root cause", "Why it happened"),
        PostmortemField.CONTRIBUTING_FACTORS: FieldWording(
            "Contributing factors", "What made it likelier, bigger or slower to fix"
        ),
        PostmortemField.WHAT_WENT_WELL: FieldWording("What went well", "What helped, to keep doing"),
        PostmortemField.CORRECTIVE_ACTIONS: FieldWording("Corrective actions", "What was and will be done to fix it"),
        PostmortemField.PREVENTION: FieldWording("Prevention", "How it is kept from happening again"),
    }
)


def shown_digest(text: str) -> str:
    """A short fingerprint of a field's text as a form showed it: a form sent back with the same
    text left the field alone, so a save does not put back an older text someone else replaced."""
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:12]


def close_requirement(postmortem: Postmortem, severity: Severity, required: bool) -> str | None:
    """What closing still waits for, in a sentence; None when nothing."""
    missing = postmortem.missing(NEEDED_TO_CLOSE)
    if not required or not missing:
        return None
    return f"As a {severity.label} incident, it can be closed only once its postmortem has {field_list(missing)}."


@dataclass(frozen=True)
class Prompt:
    text: str
    blocks: list[Block]


def postmortem_prompt(incident: Incident) -> Prompt:
    """What the postmortem says so far, and the button that opens its form (a message has no
    trigger to open a form with; a click does)."""
    written = [FIELD_WORDING[field].label.lower() for field in PostmortemField if incident.postmortem.text(field)]
    so_far = f"written so far: {', '.join(written)}" if written else "nothing written yet"
    text = f"The postmortem of {incident.ref}: {so_far}."
    value = ids.encode_ref(incident.ref)
    label = "Edit the postmortem" if written else "Write the postmortem"
    opener = actions(f"{ids.POSTMORTEM}:{value}", [button(label, ids.POSTMORTEM, value, style="primary")])
    return Prompt(text, [section(text), opener])
