"""Migrations: a release that renames a question or moves a file keeps projects whole.

Each test builds a temporary git copy of this template whose v1.0.0 still has the old
name (or path) and whose v2.0.0 is this template with the rename and its migration
from hooks/migrations/, then updates a v1 project like a user would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import copier
import pytest
from copier.errors import UnsafeTemplateError

from tests.rendering import ROOT
from tests.template_repo import (
    MOVE,
    MOVED,
    RENAME,
    TemplateRepo,
    commit_all,
    copy,
    move_path,
    rename_question,
    update,
)
from tests.test_update import answers, files_with_conflicts

pytestmark = pytest.mark.update

EMAIL = "ml-platform@example.org"


@pytest.mark.parametrize("with_migration", [True, False], ids=["migration", "no-migration"])
def test_renamed_question_keeps_the_old_answer(tmp_path: Path, with_migration: bool) -> None:
    # given a v1 project answered with the question's old name, with a user edit
    template = TemplateRepo(tmp_path / "template-repo")
    rename_question(template, "author_email", old="contact_email")
    template.release("v1.0.0", "v1: contact_email")
    project = copy(template, tmp_path / "project", contact_email=EMAIL)
    assert answers(project)["contact_email"] == EMAIL
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n## Our notes\n")
    commit_all(project, "User edits")

    # and v2 renames the question to author_email (with its migration, or without)
    template.copy_working_tree()
    if with_migration:
        template.add_migrations(RENAME)
    template.release("v2.0.0", "v2: contact_email is now author_email")

    # when updating as the docs say (--skip-answered; --trust for the migration)
    update(project, trust=True)

    # then the answer is carried over under the new name, and nothing else moved
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    if not with_migration:  # the control: without it the answer is silently lost
        assert answers(project)["author_email"] != EMAIL
        assert EMAIL not in pyproject
        return
    assert answers(project)["author_email"] == EMAIL
    assert "contact_email" not in answers(project)
    assert answers(project)["_commit"] == "v2.0.0"
    assert f'email = "{EMAIL}"' in pyproject
    assert "## Our notes" in readme.read_text(encoding="utf-8")
    assert files_with_conflicts(project) == []


@pytest.fixture
def moved(tmp_path: Path) -> TemplateRepo:
    """v1.0.0 has core/metrics.py one folder up; v2.0.0 moves it, with its migration."""
    template = TemplateRepo(tmp_path / "template-repo")
    move_path(template, MOVED[1], old=MOVED[0])
    template.release("v1.0.0", "v1: metrics.py in the package root")
    return template


def release_move(template: TemplateRepo) -> None:
    """Release v2.0.0: the file at its new place, its content changed too, the migration."""
    template.copy_working_tree()
    metrics = template.project / MOVED[1]
    metrics.write_text(metrics.read_text(encoding="utf-8") + "\n# v2: moved into core/\n")
    template.add_migrations(MOVE)
    template.release("v2.0.0", "v2: metrics.py moved into core/")


def test_moved_file_keeps_the_users_edits(moved: TemplateRepo, tmp_path: Path) -> None:
    # given a v1 project whose user edited the file that v2 moves
    project = copy(moved, tmp_path / "project", maturity_level=0)
    old = next(project.glob("src/*/metrics.py"))
    text = old.read_text(encoding="utf-8")
    first_line = text.splitlines()[0]
    old.write_text(text.replace(first_line, f"{first_line}  # user: our wording", 1))
    commit_all(project, "User edits metrics.py")
    release_move(moved)

    # when updating
    update(project, trust=True)

    # then the file is at its new place with both the user's and the template's changes
    new = old.parent / "core" / "metrics.py"
    assert not old.exists()
    merged = new.read_text(encoding="utf-8")
    assert f"{first_line}  # user: our wording" in merged
    assert merged.endswith("# v2: moved into core/\n")
    assert files_with_conflicts(project) == []

    # and the migration is idempotent: a second run changes nothing
    script = ROOT / "hooks" / "migrations" / "move_paths.py"
    pair = f"{old.relative_to(project)}={new.relative_to(project)}"
    args = [sys.executable, str(script), ".copier-answers.yml", pair]
    subprocess.run(args, cwd=project, check=True, capture_output=True)
    assert new.read_text(encoding="utf-8") == merged


def test_moved_file_the_user_deleted_stays_deleted(moved: TemplateRepo, tmp_path: Path) -> None:
    project = copy(moved, tmp_path / "project", maturity_level=0)
    old = next(project.glob("src/*/metrics.py"))
    old.unlink()
    commit_all(project, "User deletes metrics.py")
    release_move(moved)

    update(project, trust=True)

    assert not old.exists()
    assert not (old.parent / "core" / "metrics.py").exists()


def test_update_across_a_migration_needs_trust(moved: TemplateRepo, tmp_path: Path) -> None:
    project = copy(moved, tmp_path / "project", maturity_level=0)
    release_move(moved)

    with pytest.raises(UnsafeTemplateError, match="migrations"):
        copier.run_update(project, defaults=True, overwrite=True, skip_answered=True, quiet=True)

    assert answers(project)["_commit"] == "v1.0.0"


def test_rename_answers_is_idempotent(tmp_path: Path) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    header = "# Changes here will be overwritten by Copier; do not edit manually\n"
    answers_file.write_text(f"{header}_commit: v1.0.0\ncontact_email: {EMAIL}\n")
    script = ROOT / "hooks" / "migrations" / "rename_answers.py"
    args = [sys.executable, str(script), str(answers_file), "contact_email=author_email"]

    subprocess.run(args, check=True, capture_output=True)
    once = answers_file.read_text(encoding="utf-8")
    subprocess.run(args, check=True, capture_output=True)

    assert once == f"{header}_commit: v1.0.0\nauthor_email: {EMAIL}\n"
    assert answers_file.read_text(encoding="utf-8") == once
    bad = subprocess.run([*args[:3], "no-equals-sign"], capture_output=True, check=False)
    assert bad.returncode == 2
