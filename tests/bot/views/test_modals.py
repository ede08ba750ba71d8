from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.local_slack.block_limits import view_errors
from bot.views import action_ids as ids
from bot.views.modals import (
    DeclareForm,
    declare_channel,
    declare_modal,
    parse_declare_submission,
    parse_postmortem_submission,
    parse_resolve_submission,
    postmortem_block,
    postmortem_modal,
    resolve_modal,
    resolve_ref,
)
from domain.postmortem import POSTMORTEM_FIELD_MAX, Postmortem, PostmortemField, PostmortemText
from domain.severity import Severity
from domain.text import DESCRIPTION_MAX, SERVICE_MAX, SUMMARY_MAX, TITLE_MAX
from tests.bot.views.slack_limits import check_modal
from tests.builders import REF, declared


def submitted(
    title: str | None = "Checkout down",
    severity: str | None = "SEV2",
    description: str | None = None,
    service: str | None = None,
) -> dict[str, Any]:
    """``view.state.values`` as Slack sends it: empty inputs come as null."""
    option = None if severity is None else {"text": {"type": "plain_text", "text": severity}, "value": severity}
    return {
        ids.DECLARE_TITLE_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": title}},
        ids.DECLARE_SEVERITY_BLOCK: {ids.INPUT: {"type": "static_select", "selected_option": option}},
        ids.DECLARE_DESCRIPTION_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": description}},
        ids.DECLARE_SERVICE_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": service}},
    }


def test_declare_modal_shape() -> None:
    view = declare_modal("C0INCIDENTS")
    check_modal(view)
    assert view["callback_id"] == ids.DECLARE_MODAL
    assert json.loads(view["private_metadata"]) == {"channel_id": "C0INCIDENTS"}
    assert declare_channel(view["private_metadata"]) == "C0INCIDENTS"
    blocks = {block["block_id"]: block for block in view["blocks"]}
    assert list(blocks) == [
        ids.DECLARE_TITLE_BLOCK,
        ids.DECLARE_SEVERITY_BLOCK,
        ids.DECLARE_DESCRIPTION_BLOCK,
        ids.DECLARE_SERVICE_BLOCK,
    ]
    title = blocks[ids.DECLARE_TITLE_BLOCK]
    assert title["optional"] is False
    assert title["element"]["max_length"] == TITLE_MAX
    severity = blocks[ids.DECLARE_SEVERITY_BLOCK]["element"]
    assert severity["initial_option"]["value"] == "SEV3"
    assert severity["initial_option"] in severity["options"]
    description = blocks[ids.DECLARE_DESCRIPTION_BLOCK]
    assert description["optional"] is True
    assert description["element"]["multiline"] is True
    assert description["element"]["max_length"] == DESCRIPTION_MAX
    assert blocks[ids.DECLARE_SERVICE_BLOCK]["optional"] is True
    assert blocks[ids.DECLARE_SERVICE_BLOCK]["element"]["max_length"] == SERVICE_MAX


def test_parse_valid_declare_submission() -> None:
    form, errors = parse_declare_submission(
        submitted(title="  Checkout \t down ", severity="SEV1", description=" lots\nof detail ", service=" pay ")
    )
    assert errors == {}
    assert form == DeclareForm(
        title="Checkout down", severity=Severity.SEV1, description="lots\nof detail", service="pay"
    )


def test_parse_minimal_declare_submission() -> None:
    form, errors = parse_declare_submission(submitted())
    assert errors == {}
    assert form == DeclareForm(title="Checkout down", severity=Severity.SEV2, description="", service=None)


@pytest.mark.parametrize(
    ("values", "block", "message"),
    [
        (submitted(title=None), ids.DECLARE_TITLE_BLOCK, "The title cannot be empty."),
        (submitted(title="   "), ids.DECLARE_TITLE_BLOCK, "The title cannot be empty."),
        (submitted(title="x" * (TITLE_MAX + 1)), ids.DECLARE_TITLE_BLOCK, "the limit is 120"),
        (submitted(severity=None), ids.DECLARE_SEVERITY_BLOCK, "Choose a severity"),
        (submitted(severity="SEV9"), ids.DECLARE_SEVERITY_BLOCK, "Choose a severity"),
        (submitted(description="d" * (DESCRIPTION_MAX + 1)), ids.DECLARE_DESCRIPTION_BLOCK, "the limit is 2000"),
        (submitted(service="s" * (SERVICE_MAX + 1)), ids.DECLARE_SERVICE_BLOCK, "the limit is 80"),
    ],
)
def test_parse_invalid_declare_submission(values: dict[str, Any], block: str, message: str) -> None:
    form, errors = parse_declare_submission(values)
    assert form is None
    assert list(errors) == [block]
    assert message in errors[block]


def test_parse_reports_every_bad_field_at_once() -> None:
    form, errors = parse_declare_submission(submitted(title="", severity="bogus"))
    assert form is None
    assert set(errors) == {ids.DECLARE_TITLE_BLOCK, ids.DECLARE_SEVERITY_BLOCK}


def test_parse_survives_missing_blocks() -> None:
    form, errors = parse_declare_submission({})
    assert form is None
    assert set(errors) == {ids.DECLARE_TITLE_BLOCK, ids.DECLARE_SEVERITY_BLOCK}


@pytest.mark.parametrize("metadata", ["", "not json", "[]", "{}", '{"channel_id": 5}', '{"channel_id": ""}'])
def test_declare_channel_rejects_bad_metadata(metadata: str) -> None:
    with pytest.raises(ValueError, match="metadata"):
        declare_channel(metadata)


def test_resolve_modal_shape() -> None:
    view = resolve_modal(REF)
    check_modal(view)
    assert view["callback_id"] == ids.RESOLVE_MODAL
    assert view["title"]["text"] == "Resolve INC-42"
    assert resolve_ref(view["private_metadata"]) == REF
    (block,) = view["blocks"]
    assert block["block_id"] == ids.RESOLVE_SUMMARY_BLOCK
    assert block["optional"] is True
    assert block["element"]["max_length"] == SUMMARY_MAX
    assert "multiline" not in block["element"]


def summary_values(value: str | None) -> dict[str, Any]:
    return {ids.RESOLVE_SUMMARY_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": value}}}


def test_parse_resolve_submission() -> None:
    assert parse_resolve_submission(summary_values(" Rolled back ")) == ("Rolled back", {})
    assert parse_resolve_submission(summary_values(None)) == (None, {})
    assert parse_resolve_submission(summary_values("  ")) == (None, {})
    summary, errors = parse_resolve_submission(summary_values("x" * (SUMMARY_MAX + 1)))
    assert summary is None
    assert "the limit is 500" in errors[ids.RESOLVE_SUMMARY_BLOCK]


@pytest.mark.parametrize("metadata", ["{}", '{"ref": "T1"}', '{"ref": 42}', "x"])
def test_resolve_ref_rejects_bad_metadata(metadata: str) -> None:
    with pytest.raises(ValueError, match=r"metadata|malformed"):
        resolve_ref(metadata)


def postmortem_values(**typed: str | None) -> dict[str, Any]:
    """The postmortem form as Slack sends it: every field, those left empty as null."""
    return {
        postmortem_block(field): {ids.INPUT: {"type": "plain_text_input", "value": typed.get(field.value)}}
        for field in PostmortemField
    }


def test_postmortem_modal_is_prefilled_and_within_slacks_limits_at_full_length() -> None:
    full = Postmortem(**{field.value: "x" * POSTMORTEM_FIELD_MAX for field in PostmortemField})
    view = postmortem_modal(replace(declared().incident, postmortem=full))
    check_modal(view)
    assert view_errors(view) == []
    assert view["callback_id"] == ids.POSTMORTEM_MODAL
    assert view["title"]["text"] == "Postmortem INC-42"
    assert [block["block_id"] for block in view["blocks"]] == [f"postmortem.{field.value}" for field in PostmortemField]
    assert all(block["element"]["multiline"] and block["optional"] for block in view["blocks"])
    assert {block["element"]["initial_value"] for block in view["blocks"]} == {"x" * POSTMORTEM_FIELD_MAX}
    # Slack refuses a prefilled text longer than the input may hold; the local Slack says so too.
    view["blocks"][0]["element"]["initial_value"] += "x"
    assert view_errors(view) == [
        "must be a string of less than 3001 characters [json-pointer:/view/blocks/0/element/initial_value]"
    ]


def test_a_postmortem_submission_holds_only_the_fields_changed_from_what_was_shown() -> None:
    shown = Postmortem(summary="Checkout failed", root_cause="bad deploy")
    view = postmortem_modal(replace(declared().incident, postmortem=shown))
    typed = postmortem_values(summary="Checkout failed", root_cause="a config push", prevention="canaries")
    form, errors = parse_postmortem_submission(typed, view["private_metadata"])
    assert errors == {}
    assert form is not None
    assert form.ref == REF
    assert form.texts == (
        PostmortemText(PostmortemField.ROOT_CAUSE, "a config push"),
        PostmortemText(PostmortemField.PREVENTION, "canaries"),
    )
    unchanged, _ = parse_postmortem_submission(
        postmortem_values(summary="Checkout failed", root_cause="bad deploy"), view["private_metadata"]
    )
    assert unchanged is not None
    assert unchanged.texts == ()

    too_long = postmortem_values(root_cause="x" * (POSTMORTEM_FIELD_MAX + 1))
    refused, errors = parse_postmortem_submission(too_long, view["private_metadata"])
    assert refused is None
    assert errors == {"postmortem.root_cause": "The root cause is 3001 characters long; the limit is 3000."}
    with pytest.raises(ValueError, match="malformed"):
        parse_postmortem_submission(typed, '{"ref": "nope"}')
