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
        # The layering and the absence of import cycles ([tool.importlinter] in pyproject.toml).
        pytest.param((str(BIN / "lint-imports"),), id="import-layers"),
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


SHIPPED = ("bot", "domain", "storage", "bench")


def _shipped_modules() -> list[Path]:
    return sorted(path for package in SHIPPED for path in (ROOT / package).rglob("*.py"))


def test_no_shipped_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n for path in _shipped_modules() if (n := len(path.read_text().splitlines())) > 400
    }
    assert long == {}


def test_no_two_shipped_modules_share_a_file_name() -> None:
    """A name tells a reader what a module holds: two ``messages.py`` would hold two things."""
    seen: dict[str, list[str]] = {}
    for path in _shipped_modules():
        if not (path.name.startswith("__") or "migrations" in path.parts):
            seen.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in seen.items() if len(paths) > 1} == {}


def test_bot_keeps_its_modules_in_folders_named_for_each_step() -> None:
    loose = sorted(path.name for path in (ROOT / "bot").glob("*.py"))
    assert len(loose) <= 5, loose
