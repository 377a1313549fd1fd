"""The fleet conformance report (hooks/fleet.py) against projects at different versions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hooks.fleet import COMPONENT_MARKERS
from tests.rendering import COMPONENTS, ROOT
from tests.template_repo import TemplateRepo, commit_all, copy

pytestmark = pytest.mark.update


def fleet(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the conformance command as a platform team would."""
    return subprocess.run(
        [sys.executable, "-m", "hooks.fleet", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def fleet_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Projects rendered from two releases, one of them with a component deleted."""
    base = tmp_path_factory.mktemp("fleet")
    template = TemplateRepo(base / "template-repo")
    template.release("v1.0.0")
    old = copy(template, base / "old-level1", maturity_level=1)
    broken = copy(template, base / "broken-level1", maturity_level=1)
    (broken / "dvc.yaml").unlink()  # DVC is on, but the user deleted the pipeline
    commit_all(broken, "Remove the pipeline")
    readme = template.project / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nv2 note.\n")
    template.release("v1.1.0", "v1.1.0")
    new = copy(template, base / "new-level0", maturity_level=0)
    # level 2 without governance: its model card is not part of the template yet
    serving = copy(template, base / "new-level2", maturity_level=2, use_governance=False)
    return {"old": old, "broken": broken, "new": new, "serving": serving}


def test_json_report_gives_version_update_level_and_components(
    fleet_projects: dict[str, Path],
) -> None:
    proc = fleet(*(str(p) for p in fleet_projects.values()), "--json")

    reports = {Path(r["project"]).name: r for r in json.loads(proc.stdout)}
    old, broken, new = reports["old-level1"], reports["broken-level1"], reports["new-level0"]
    assert (old["template_version"], old["latest_version"]) == ("v1.0.0", "1.1.0")
    assert old["update_available"] is True
    assert old["maturity_level"] == 1
    assert old["components"] == ["dvc", "mlflow"]
    assert old["violations"] == []
    assert broken["missing_components"] == ["dvc"]
    assert new["template_version"] == "v1.1.0"
    assert new["update_available"] is False
    assert new["components"] == []
    serving = reports["new-level2"]
    assert serving["components"] == ["docker", "dvc", "fastapi", "github", "mlflow"]
    assert serving["violations"] == []
    # a deleted component is a violation even without a policy
    assert proc.returncode == 1


def test_policy_violations_fail_and_are_named(
    fleet_projects: dict[str, Path], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("min_level: 1\nrequired_components: [mlflow]\nmin_template_version: 1.1.0\n")

    old, new = str(fleet_projects["old"]), str(fleet_projects["new"])

    proc = fleet(old, new, "--policy", str(policy), "--json")
    table = fleet(old, new, "--policy", str(policy))

    assert proc.returncode == table.returncode == 1
    reports = {Path(r["project"]).name: r for r in json.loads(proc.stdout)}
    assert reports["old-level1"]["violations"] == ["template version v1.0.0 is older than 1.1.0"]
    assert reports["new-level0"]["violations"] == [
        "maturity level 0 is below the required 1",
        "required component mlflow is switched off",
    ]
    assert "Template conformance" in table.stdout
    assert "old-level1" in table.stdout.replace("\n", "")


def test_conforming_project_passes_and_a_non_project_is_reported(
    fleet_projects: dict[str, Path], tmp_path: Path
) -> None:
    assert fleet(str(fleet_projects["old"])).returncode == 0
    proc = fleet(str(tmp_path), "--json")
    assert proc.returncode == 1
    assert "no .copier-answers.yml" in json.loads(proc.stdout)[0]["violations"][0]


def test_every_component_has_marker_files() -> None:
    # a component without markers could be deleted from a project unnoticed
    assert set(COMPONENT_MARKERS) == set(COMPONENTS)
    assert all(COMPONENT_MARKERS.values())
