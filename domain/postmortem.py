"""Postmortems (SPEC §10): the review written once an incident is over, and which severities must
have one before they are closed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from domain.severity import Severity

# Slack's multiline input holds at most 3000 characters; a field fits one, prefilled as it is saved.
POSTMORTEM_FIELD_MAX = 3000


class PostmortemField(StrEnum):
    """The fields in the order people write (and read) them."""

    SUMMARY = "summary"
    CUSTOMER_IMPACT = "customer_impact"
    ROOT_CAUSE = "root_cause"
    CONTRIBUTING_FACTORS = "contributing_factors"
    WHAT_WENT_WELL = "what_went_well"
    CORRECTIVE_ACTIONS = "corrective_actions"
    PREVENTION = "prevention"

    @property
    def label(self) -> str:
        """How people call it: ``root cause``."""
        return self.value.replace("_", " ")


# What a postmortem must say before an incident that needs one can be closed.
NEEDED_TO_CLOSE = (PostmortemField.ROOT_CAUSE, PostmortemField.CORRECTIVE_ACTIONS)


@dataclass(frozen=True)
class PostmortemText:
    """One field's text as saved; empty when it was cleared."""

    field: PostmortemField
    text: str


@dataclass(frozen=True)
class Postmortem:
    summary: str = ""
    customer_impact: str = ""
    root_cause: str = ""
    contributing_factors: str = ""
    what_went_well: str = ""
    corrective_actions: str = ""
    prevention: str = ""

    def text(self, field: PostmortemField) -> str:
        value: str = getattr(self, field.value)
        return value

    def with_texts(self, texts: Iterable[PostmortemText]) -> Postmortem:
        return replace(self, **{item.field.value: item.text for item in texts})

    def missing(self, fields: Iterable[PostmortemField] = NEEDED_TO_CLOSE) -> tuple[PostmortemField, ...]:
        return tuple(field for field in fields if not self.text(field))

    @property
    def is_empty(self) -> bool:
        return len(self.missing(PostmortemField)) == len(PostmortemField)


EMPTY_POSTMORTEM = Postmortem()


@dataclass(frozen=True)
class PostmortemPolicy:
    """The severities whose incidents are closed only with a postmortem (``[postmortem] required``)."""

    required: frozenset[Severity]

    def requires(self, severity: Severity) -> bool:
        return severity in self.required


# What the deployment asks unless its config says otherwise (bot.runtime.config_file).
DEFAULT_POSTMORTEM_POLICY = PostmortemPolicy(frozenset({Severity.SEV1, Severity.SEV2}))
# What decide asks when it is told nothing: the domain requires what the deployment configured.
NONE_REQUIRED = PostmortemPolicy(frozenset())


def field_list(fields: Iterable[PostmortemField]) -> str:
    """``root cause and corrective actions``; ``a, b and c`` for more."""
    labels = [field.label for field in fields]
    return " and ".join(labels) if len(labels) < 3 else f"{', '.join(labels[:-1])} and {labels[-1]}"
