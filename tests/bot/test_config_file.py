"""FIREBREAK_CONFIG: SLA windows per severity, the tick, the model; bad files fail loudly."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.runtime.config_file import DEFAULT_AI_MODEL, DEFAULT_TICK, load_config
from bot.runtime.settings import ConfigError
from domain.severity import Severity
from domain.sla import DEFAULT_POLICY


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "firebreak.toml"
    path.write_text(text)
    return str(path)


def test_no_file_means_the_spec_defaults() -> None:
    config = load_config(None)
    assert config.policy == DEFAULT_POLICY
    assert config.tick == DEFAULT_TICK == timedelta(seconds=30)
    assert config.ai_model == DEFAULT_AI_MODEL
    assert config.postmortem.required == {Severity.SEV1, Severity.SEV2}


@pytest.mark.parametrize(
    ("listed", "required"),
    [('["SEV1", "sev3"]', {Severity.SEV1, Severity.SEV3}), ('["sev4"]', {Severity.SEV4}), ("[]", set())],
)
def test_postmortem_required_names_the_severities_closed_only_with_one(
    tmp_path: Path, listed: str, required: set[Severity]
) -> None:
    config = load_config(write(tmp_path, f"[postmortem]\nrequired = {listed}\n"))
    assert config.postmortem.required == required


def test_overrides_apply_per_severity_and_keep_the_rest(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
[scheduler]
tick = "5s"

[sla.sev1]
ack = "90s"
update = "off"

[sla.sev4]
update = "1d"

[ai]
model = "claude-sonnet-4-5"
""",
        )
    )
    assert config.tick == timedelta(seconds=5)
    sev1 = config.policy.for_severity(Severity.SEV1)
    assert (sev1.ack, sev1.update, sev1.resolve) == (timedelta(seconds=90), None, timedelta(hours=4))
    assert config.policy.for_severity(Severity.SEV4).update == timedelta(days=1)
    assert config.policy.for_severity(Severity.SEV2) == DEFAULT_POLICY.for_severity(Severity.SEV2)
    assert config.ai_model == "claude-sonnet-4-5"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('[sla.sev1]\nack = "soon"\n', ["[sla.sev1] ack", "soon"]),
        ("[sla.sev1]\nack = 5\n", ["[sla.sev1] ack", "quotes"]),
        ('[sla.sev7]\nack = "5m"\n', ["[sla.sev7]", "sev1"]),
        ('[sla.sev2]\nacknowledge = "5m"\n', ["[sla.sev2] acknowledge", "ack, resolve, update"]),
        ('[scheduler]\ntick = "off"\n', ["[scheduler] tick", "off"]),
        ('[scheduler]\ninterval = "5s"\n', ["[scheduler] interval"]),
        ("[alerts]\nx = 1\n", ["[alerts]"]),
        ("[ai]\nmodel = ''\n", ["[ai] model"]),
        ("[sla]\nsev1 = 3\n", ["[sla.sev1]", "table"]),
        ("this is = not toml [", ["not valid TOML"]),
        ('[postmortem]\nrequired = "sev1"\n', ["[postmortem] required", "list of severities"]),
        ('[postmortem]\nrequired = ["sev1", "critical"]\n', ["[postmortem] required", "'critical'", "sev4"]),
        ("[postmortem]\nrequired = [1]\n", ["[postmortem] required", "1", "not a severity"]),
        ('[postmortem]\nseverities = ["sev1"]\n', ["[postmortem] severities", "required"]),
    ],
)
def test_a_bad_file_names_the_key_and_the_problem(tmp_path: Path, text: str, names: list[str]) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, text))
    for name in names:
        assert name in refused.value.args[0]


def test_a_missing_file_says_which(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(str(tmp_path / "nowhere.toml"))
