"""A throwaway git copy of this template, for tests that tag releases and update."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import copier

from tests.projects import GIT_IDENTITY
from tests.rendering import ROOT


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; fail the test with git's output if it fails."""
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc.stdout


def commit_all(cwd: Path, message: str) -> None:
    """Stage everything and commit."""
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)


class TemplateRepo:
    """A throwaway git copy of this template whose releases a test can tag."""

    def __init__(self, path: Path) -> None:
        """Copy the template's files (tracked and new, not ignored) into ``path``."""
        listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        for name in filter(None, listed.split("\0")):
            src = ROOT / name
            if not src.exists() and not src.is_symlink():
                continue  # deleted in the working tree
            dst = path / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_symlink():
                dst.symlink_to(src.readlink())
            else:
                shutil.copy2(src, dst)
        self.path = path
        git(path, "init", "-q", "-b", "main")
        commit_all(path, "template")

    @property
    def project(self) -> Path:
        """The rendered project folder inside the template tree."""
        return self.path / "template" / "{{cookiecutter.project_slug}}"

    def release(self, tag: str, message: str = "release") -> None:
        """Commit pending changes (if any) and tag a release."""
        git(self.path, "add", "-A")
        if git(self.path, "status", "--porcelain"):
            git(self.path, "commit", "-q", "-m", message)
        git(self.path, "tag", tag)


def copy(template: TemplateRepo, dst: Path, **data: Any) -> Path:
    """Render the latest release of ``template`` and commit it as the user would."""
    copier.run_copy(str(template.path), dst, data=data, defaults=True, quiet=True)
    git(dst, "init", "-q", "-b", "main")
    commit_all(dst, "Render from template")
    return dst


def update(project: Path, **data: Any) -> None:
    """Update to the latest release, keeping earlier answers (`--skip-answered`)."""
    copier.run_update(
        project, data=data, defaults=True, overwrite=True, skip_answered=True, quiet=True
    )
