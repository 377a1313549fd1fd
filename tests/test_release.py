"""Releases of the template: PEP 440 tags, the changelog, the release workflow."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
from packaging.version import Version

from tests.rendering import ROOT
from tests.test_lint import load_yaml

pytestmark = pytest.mark.lint

SCRIPT = ROOT / ".ci" / "release_notes.py"
CHANGELOG = ROOT / "docs" / "src" / "changelog.md"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def release_notes(tag: str) -> subprocess.CompletedProcess[str]:
    """Run the release workflow's check on ``tag``."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), tag], capture_output=True, text=True, check=False
    )


def test_newest_changelog_version_is_pep440_and_the_project_version() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        from release_notes import newest_version  # the script the workflow runs
    finally:
        sys.path.pop(0)
    newest = newest_version(CHANGELOG.read_text(encoding="utf-8"))
    assert isinstance(newest, Version)
    assert str(newest) == VERSION


def test_release_notes_are_the_tags_changelog_section() -> None:
    proc = release_notes(f"v{VERSION}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    assert "## " not in proc.stdout.replace("### ", "")  # one section, not the next one


@pytest.mark.parametrize(
    ("tag", "reason"),
    [
        ("vnext", "is not v + a PEP 440 version"),
        ("v0.1.0-rc1", "not in canonical form"),
        ("v99.0.0", "pyproject.toml says version"),
    ],
)
def test_release_is_refused_when_not_ready(tag: str, reason: str) -> None:
    proc = release_notes(tag)
    assert proc.returncode == 1
    assert reason in proc.stderr


def test_release_workflow_tests_then_publishes_with_least_privilege() -> None:
    workflow = load_yaml(ROOT / ".github" / "workflows" / "release.yml")
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["test"]["needs"] == "changelog"
    assert jobs["publish"]["needs"] == "test"
    assert any(step.get("run") == "bash .ci/run" for step in jobs["test"]["steps"])
    for name, job in jobs.items():
        writes = {k for k, v in job["permissions"].items() if v == "write"}
        assert writes == ({"contents"} if name == "publish" else set()), name
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] == "false"
            assert "${{" not in step.get("run", ""), "expressions go through env"
