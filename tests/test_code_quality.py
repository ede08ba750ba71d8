"""Lint, format and strict typing are part of the test suite, so CI fails when they slip."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param((str(BIN / "ruff"), "check", "."), id="ruff-check"),
        pytest.param((str(BIN / "ruff"), "format", "--check", "."), id="ruff-format"),
        pytest.param((str(BIN / "mypy"),), id="mypy-strict"),
    ],
)
def test_tool_is_clean(command: tuple[str, ...]) -> None:
    result = _run(*command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_domain_imports_nothing_with_side_effects() -> None:
    """domain/ is pure: the standard library and itself only (no Slack, SQL, HTTP)."""
    allowed_roots = set(sys.stdlib_module_names) | {"domain"}
    offenders = []
    for path in (ROOT / "domain").rglob("*.py"):
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("import", "from"):
                root = words[1].split(".")[0]
                if root and root not in allowed_roots:
                    offenders.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert offenders == []


def test_domain_never_reads_the_clock() -> None:
    """``now`` is always passed in, so decisions are reproducible and testable at any instant."""
    clock_reads = ("datetime.now", "datetime.utcnow", "date.today", "time.time", "time.monotonic")
    offenders = [
        f"{path.relative_to(ROOT)}: {needle}"
        for path in (ROOT / "domain").rglob("*.py")
        for needle in clock_reads
        if needle in path.read_text()
    ]
    assert offenders == []
