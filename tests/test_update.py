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

from tests.projects import Project, project_env
from tests.rendering import ANSWERS_FILE
from tests.template_repo import (
    RENAMED,
    TemplateRepo,
    commit_all,
    copy,
    git,
    latest_release_tag,
    release_current,
    release_previous,
    update,
)

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


@pytest.mark.parametrize(("start", "end"), [(0, 1), (1, 2), (0, 2), (1, 3)])
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
    fresh = fresh_copy(template, tmp_path / "fresh", maturity_level=end)
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


def fresh_copy(template: TemplateRepo, dst: Path, **data: Any) -> Path:
    """A fresh copy of the template's latest release, not committed."""
    copier.run_copy(str(template.path), dst, data=data, defaults=True, quiet=True)
    return dst


# -- across releases -------------------------------------------------------------------------

EMAIL = "ml-platform@example.org"  # a non-default answer to the renamed question


@pytest.mark.parametrize(
    ("level", "migrations"),
    [(0, True), (1, True), (2, True), (3, True), (0, False)],
    ids=["level0", "level1", "level2", "level3", "level0-without-migrations"],
)
def test_update_from_the_previous_release_equals_a_fresh_copy(
    tmp_path: Path, level: int, migrations: bool
) -> None:
    # given a project rendered from the previous release (tests/template_repo.py says
    # which: the latest real tag, or one built from this release before a rename and a
    # move), answering the renamed question
    template = release_previous(tmp_path / "template-repo")
    synthetic = latest_release_tag() is None
    old, new = RENAMED if synthetic else (RENAMED[1], RENAMED[1])
    project = copy(template, tmp_path / "project", maturity_level=level, **{old: EMAIL})

    # when this release is out and the project updates to it
    release_current(template, migrations=migrations)
    update(project, trust=True)

    # then it is exactly a fresh copy of this release with the same answers
    fresh = fresh_copy(template, tmp_path / "fresh", maturity_level=level, **{new: EMAIL})
    differences = same_files(project, fresh, ignore=set())
    if not migrations and synthetic:  # the control: a missing migration shows
        assert "pyproject.toml" in differences
        assert answers(project)[new] != EMAIL
        return
    assert differences == []
    assert answers(project) == answers(fresh)
    assert files_with_conflicts(project) == []


# -- level changes ---------------------------------------------------------------------------

USER_CODE = '''

def lift(rate: float, baseline: float) -> float:
    """Return how many times better than the baseline a rate is (our code)."""
    return rate / baseline
'''


def edit_as_a_user(project: Path) -> dict[str, str]:
    """Edit a source file and the README, add a file; commit; return path -> content."""
    metrics = next(project.glob("src/*/core/metrics.py"))
    metrics.write_text(metrics.read_text(encoding="utf-8") + USER_CODE, encoding="utf-8")
    readme = project / "README.md"
    title, rest = readme.read_text(encoding="utf-8").split("\n", 1)
    readme.write_text(f"{title}\n\nOur notes.\n{rest}", encoding="utf-8")
    (project / "notebooks").mkdir()
    (project / "notebooks" / "explore.md").write_text("user notebook\n", encoding="utf-8")
    commit_all(project, "User edits")
    return {
        metrics.relative_to(project).as_posix(): USER_CODE,
        "README.md": "\nOur notes.\n",
        "notebooks/explore.md": "user notebook\n",
    }


def assert_edits_survive(project: Path, edits: dict[str, str]) -> None:
    """Every user edit is still in its file."""
    for name, text in edits.items():
        assert text in (project / name).read_text(encoding="utf-8"), f"{name} lost the edit"


@pytest.mark.run
def test_level_raised_step_by_step_passes_its_own_checks(
    template: TemplateRepo, tmp_path: Path
) -> None:
    # given two level-1 projects with the same user edits
    stepped = copy(template, tmp_path / "stepped", maturity_level=1)
    direct = copy(template, tmp_path / "direct", maturity_level=1)
    edits = edit_as_a_user(stepped)
    assert edit_as_a_user(direct) == edits

    # when one is raised 1 -> 2 -> 3, committing each step, and the other 1 -> 3
    for level in (2, 3):
        update(stepped, maturity_level=level)
        assert_edits_survive(stepped, edits)
        assert files_with_conflicts(stepped) == []
        commit_all(stepped, f"Raise to level {level}")
    update(direct, maturity_level=3)

    # then both are a fresh level-3 copy plus the user's edits
    fresh = fresh_copy(template, tmp_path / "fresh", maturity_level=3)
    assert same_files(stepped, direct, ignore=set()) == []
    assert answers(stepped) == answers(direct)
    # (params.yaml is the user's: the update leaves it as it was at level 1)
    assert (stepped / "params.yaml").read_bytes() == (direct / "params.yaml").read_bytes()
    assert same_files(stepped, fresh, ignore={*edits, "params.yaml"}) == []
    assert_edits_survive(direct, edits)
    # and the raised project installs, lints clean and passes its own tests
    project = Project(stepped, project_env(tmp_path))
    for target in ("install", "lint", "test"):
        project.run("make", target)
    # and the sections new to level 3, missing from its params.yaml, fall back to the
    # values a fresh level-3 copy writes: the same effective parameters
    effective = (
        "import sys; from pathlib import Path; from customer_churn.io.params import load_params;"
        " print(load_params(Path(sys.argv[1])).model_dump_json())"
    )
    mine = project.run("uv", "run", "--frozen", "python", "-c", effective, "params.yaml").stdout
    theirs = project.run(
        "uv", "run", "--frozen", "python", "-c", effective, str(fresh / "params.yaml")
    ).stdout
    assert mine == theirs


@pytest.mark.parametrize(
    ("start", "change", "component_file", "user_file"),
    [
        (
            {"maturity_level": 2},
            {"maturity_level": 1},
            "src/customer_churn/serving/api/routes/predict.py",
            "src/customer_churn/serving/NOTES.md",
        ),
        ({"maturity_level": 1}, {"use_dvc": False}, "dvc.yaml", ".dvc/NOTES.md"),
    ],
    ids=["level-2-to-1", "dvc-off"],
)
def test_switching_a_component_off_deletes_its_files_edited_or_not(
    template: TemplateRepo,
    tmp_path: Path,
    start: dict[str, Any],
    change: dict[str, Any],
    component_file: str,
    user_file: str,
) -> None:
    # given a project whose user edited one of a component's files, added a file of
    # their own in the component's folder and edited a file the component does not own
    project = copy(template, tmp_path / "project", **start)
    edited = project / component_file
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# user: tuned\n")
    (project / user_file).write_text("our notes\n", encoding="utf-8")
    readme = project / "README.md"
    title, rest = readme.read_text(encoding="utf-8").split("\n", 1)
    readme.write_text(f"{title}\n\nOur notes.\n{rest}", encoding="utf-8")
    commit_all(project, "User edits")
    params = (project / "params.yaml").read_text(encoding="utf-8")

    # when the component is switched off by update
    update(project, **change)

    # then its files are gone, the edited one too, but the edit is in git's history and
    # the deletion shows in `git status` for review
    assert not edited.exists()
    assert f" D {component_file}" in git(project, "status", "--porcelain").splitlines()
    assert "# user: tuned" in git(project, "show", f"HEAD:{component_file}")
    # files the template never rendered, and the user's other edits, stay
    assert (project / user_file).read_text(encoding="utf-8") == "our notes\n"
    assert "Our notes." in readme.read_text(encoding="utf-8")
    # and the rest is what a fresh copy with the new answers is; params.yaml is the
    # user's (`_skip_if_exists`), sections of switched-off components are ignored
    assert (project / "params.yaml").read_text(encoding="utf-8") == params
    fresh = fresh_copy(template, tmp_path / "fresh", **{**start, **change})
    assert same_files(project, fresh, ignore={"README.md", "params.yaml", user_file}) == []
    assert files_with_conflicts(project) == []


def test_make_template_update_applies_a_newer_release(
    template: TemplateRepo, tmp_path: Path
) -> None:
    # given a project on the newest release: the Make targets say so and change nothing
    project = Project(copy(template, tmp_path / "project", maturity_level=0), project_env(tmp_path))
    assert "Already on the newest" in project.run("make", "template-update").stdout

    # when the template releases v2.0.0
    (template.project / "CONTRIBUTING.md").write_text("# Contributing\n", encoding="utf-8")
    template.release("v2.0.0", "v2: contributing guide")
    check = project.run("make", "template-check")
    project.run("make", "template-update")

    # then the check saw it and the update brought it in, as the scheduled workflow does
    assert "2.0.0" in check.stdout + check.stderr
    assert (project.path / "CONTRIBUTING.md").is_file()
    assert answers(project.path)["_commit"] == "v2.0.0"
