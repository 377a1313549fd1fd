"""Update tier: `copier update` keeps the user's edits and brings template changes.

Each test builds a temporary git copy of this template, tags releases in it, and drives
copier like a user: copy at v1, edit and commit, then update to v2 (or to a higher
maturity level) and check what survived and what arrived.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from tests.rendering import ANSWERS_FILE
from tests.template_repo import TemplateRepo, commit_all, copy, update

pytestmark = pytest.mark.update


def answers(project: Path) -> dict[str, Any]:
    """The project's copier answers file."""
    return yaml.safe_load((project / ANSWERS_FILE).read_text(encoding="utf-8"))


CONFLICT = "<<<<<<< "


def files_with_conflicts(project: Path) -> list[str]:
    """Files that hold inline conflict markers."""
    found = []
    for path in project.rglob("*"):
        if ".git" in path.parts or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(line.startswith(CONFLICT) for line in text.splitlines()):
            found.append(path.relative_to(project).as_posix())
    return sorted(found)


@pytest.fixture
def template(tmp_path: Path) -> TemplateRepo:
    """This template, released as v1.0.0 in a temporary repository."""
    repo = TemplateRepo(tmp_path / "template-repo")
    repo.release("v1.0.0")
    return repo


def test_update_keeps_user_edits_and_applies_template_changes(
    template: TemplateRepo, tmp_path: Path
) -> None:
    # given a level-1 project with edits of every kind, committed
    project = copy(template, tmp_path / "project", maturity_level=1)
    metrics = next(project.glob("src/*/core/metrics.py"))
    metrics.write_text(metrics.read_text(encoding="utf-8") + "\n# user: our own metric\n")
    params = project / "params.yaml"
    params.write_text(
        params.read_text(encoding="utf-8").replace("n_customers: 5000", "n_customers: 1234")
    )
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n## Our notes\n")
    (project / "notebooks").mkdir()
    (project / "notebooks" / "explore.md").write_text("user notebook\n")
    (project / ".dvcignore").unlink()  # an optional file the user does not want
    commit_all(project, "User edits")

    # when the template changes elsewhere and releases v2.0.0
    gitignore = template.project / ".gitignore"
    gitignore.write_text(gitignore.read_text(encoding="utf-8") + "# v2: editor files\n.idea/\n")
    (template.project / "CONTRIBUTING.md").write_text("# Contributing\n\nv2 guide.\n")
    template.release("v2.0.0", "v2: contributing guide, editor files ignored")
    update(project)

    # then every user edit survives and the template change lands, with no conflict
    assert "# user: our own metric" in metrics.read_text(encoding="utf-8")
    assert "n_customers: 1234" in params.read_text(encoding="utf-8")
    assert "## Our notes" in readme.read_text(encoding="utf-8")
    assert (project / "notebooks" / "explore.md").read_text() == "user notebook\n"
    assert not (project / ".dvcignore").exists(), "a file the user deleted came back"
    assert ".idea/" in (project / ".gitignore").read_text(encoding="utf-8")
    assert (project / "CONTRIBUTING.md").is_file()
    assert files_with_conflicts(project) == []
    assert answers(project)["_commit"] == "v2.0.0"


def test_overlapping_edits_leave_conflict_markers_not_silent_loss(
    template: TemplateRepo, tmp_path: Path
) -> None:
    # given a project whose user changed a line that the template also changes
    project = copy(template, tmp_path / "project", maturity_level=0)
    makefile = project / "Makefile"
    user_line = "\tuv run pytest -x  # user: stop at the first failure\n"
    text = makefile.read_text(encoding="utf-8")
    assert "\tuv run pytest\n" in text
    makefile.write_text(text.replace("\tuv run pytest\n", user_line))
    commit_all(project, "User edits the test target")

    source = template.project / "Makefile.jinja"
    source.write_text(
        source.read_text(encoding="utf-8").replace("\tuv run pytest\n", "\tuv run pytest -q\n")
    )
    template.release("v2.0.0", "v2: quieter tests")

    # when updating
    update(project)

    # then both versions are in the file between conflict markers, nothing else conflicts
    assert files_with_conflicts(project) == ["Makefile"]
    merged = makefile.read_text(encoding="utf-8")
    assert user_line in merged
    assert "\tuv run pytest -q\n" in merged
    # and the project's own pre-commit hook refuses to commit the markers
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hook = next(h for repo in hooks["repos"] for h in repo["hooks"] if "conflict" in h["id"])
    proc = subprocess.run(
        ["uvx", "pre-commit==4.7.0", "run", hook["id"], "--all-files"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pc-home")},
    )
    assert proc.returncode != 0, proc.stdout
    assert "Makefile" in proc.stdout


@pytest.mark.parametrize(("start", "end"), [(0, 1), (1, 2), (0, 2)])
def test_raising_the_level_by_update_turns_components_on(
    template: TemplateRepo, tmp_path: Path, start: int, end: int
) -> None:
    # given a project at a lower level, with a user edit, at the same template release
    project = copy(template, tmp_path / "project", maturity_level=start)
    readme = project / "README.md"
    title, rest = readme.read_text(encoding="utf-8").split("\n", 1)
    readme.write_text(f"{title}\n\nOur notes.\n{rest}")  # away from level-driven sections
    commit_all(project, "User edits")
    params = (project / "params.yaml").read_text(encoding="utf-8")

    # when the user raises the level by update (answers stay `auto`)
    update(project, maturity_level=end)

    # then the project is what a fresh copy at the new level is, plus the user's edit
    fresh = copier.run_copy(
        str(template.path),
        tmp_path / "fresh",
        data={"maturity_level": end},
        defaults=True,
        quiet=True,
    ).dst_path
    assert "Our notes." in readme.read_text(encoding="utf-8")
    assert answers(project)["maturity_level"] == end
    assert all(answers(project)[t] == "auto" for t in ("use_dvc", "use_mlflow"))
    # params.yaml is the user's (`_skip_if_exists`): updates never touch it, and the
    # new components' sections fall back to the defaults in the code
    assert (project / "params.yaml").read_text(encoding="utf-8") == params
    assert same_files(project, Path(fresh), ignore={"README.md", "params.yaml"}) == []
    assert files_with_conflicts(project) == []


def same_files(project: Path, fresh: Path, ignore: set[str]) -> list[str]:
    """Paths whose content differs between two projects (answers file and .git aside)."""

    def files(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(root).parts
        }

    mine, theirs = files(project), files(fresh)
    names = (set(mine) | set(theirs)) - ignore - {ANSWERS_FILE}
    return sorted(n for n in names if mine.get(n) != theirs.get(n))
