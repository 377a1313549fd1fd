"""A throwaway git copy of this template, for tests that tag releases and update."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import copier
import yaml

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

    def __init__(self, path: Path, ref: str | None = None) -> None:
        """Copy the template into ``path``: its working tree, or its files at git ``ref``."""
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        if ref is None:
            self.copy_working_tree()
        else:
            archive = subprocess.run(
                ["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(path)], input=archive.stdout, check=True)
        git(path, "init", "-q", "-b", "main")
        commit_all(path, "template")

    def copy_working_tree(self) -> None:
        """Make the files those of this repository's working tree (tracked and new)."""
        for old in self.path.iterdir():
            if old.name != ".git":
                shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
        listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        for name in filter(None, listed.split("\0")):
            src = ROOT / name
            if not src.exists() and not src.is_symlink():
                continue  # deleted in the working tree
            dst = self.path / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_symlink():
                dst.symlink_to(src.readlink())
            else:
                shutil.copy2(src, dst)

    @property
    def config(self) -> Path:
        """The template's copier.yml."""
        return self.path / "copier.yml"

    def add_migrations(self, *entries: dict[str, Any]) -> None:
        """Append entries to copier.yml's `_migrations` (the file is rewritten as YAML)."""
        config = yaml.safe_load(self.config.read_text(encoding="utf-8"))
        config["_migrations"] = [*(config.get("_migrations") or []), *entries]
        self.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

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


def update(project: Path, *, trust: bool = False, **data: Any) -> None:
    """Update to the latest release, keeping earlier answers (`--skip-answered`).

    ``trust`` is copier's ``--trust``, which releases with migrations need.
    """
    copier.run_update(
        project,
        data=data,
        defaults=True,
        overwrite=True,
        skip_answered=True,
        unsafe=trust,
        quiet=True,
    )


# -- migrations ------------------------------------------------------------------------------
# A migration entry for copier.yml: run one of hooks/migrations/ with copier's Python.


def migration(version: str, script: str, *args: str, stage: str = "after") -> dict[str, Any]:
    """A `_migrations` entry running ``hooks/migrations/<script>.py ANSWERS_FILE ARGS``."""
    command = [
        "{{ _copier_python }}",
        f"{{{{ _copier_conf.src_path }}}}/hooks/migrations/{script}.py",
        "{{ _copier_conf.answers_file }}",
        *args,
    ]
    return {"version": version, "when": f"{{{{ _stage == '{stage}' }}}}", "command": command}


def rename_question(template: TemplateRepo, new: str, old: str) -> None:
    """Give question ``new`` its former name ``old`` (the rendered files keep working).

    Templates read answers through the computed ``cookiecutter`` dict, so only
    copier.yml names the question: its key, its validator and its dict entry.
    """
    text = template.config.read_text(encoding="utf-8")
    assert f"\n{new}:\n" in text, f"copier.yml has no question {new}"
    text = re.sub(rf"\b{new}\b", old, text)
    text = text.replace(f'"{old}": {old},', f'"{new}": {old},')
    template.config.write_text(text, encoding="utf-8")


def move_path(template: TemplateRepo, new: str, old: str) -> None:
    """Put the rendered tree's file ``new`` at its former place ``old``."""
    (template.project / old).parent.mkdir(parents=True, exist_ok=True)
    (template.project / new).rename(template.project / old)


# -- the previous release --------------------------------------------------------------------
# Update tests compare "previous release updated to this one" with "this one rendered
# fresh". The previous release is this repository's latest real tag when its history has
# one; otherwise (no release renamed or moved anything yet) it is built from this one:
# one question and one file as they were before a rename and a move, and this release
# ships their migrations, so a migration that goes missing shows up as a difference.

PREVIOUS, CURRENT = "v1.0.0", "v2.0.0"
RENAMED = ("contact_email", "author_email")  # (old, new) question names
MOVED = (  # (old, new) places of a file in the rendered tree
    "src/{{cookiecutter.package_name}}/metrics.py",
    "src/{{cookiecutter.package_name}}/core/metrics.py",
)
RENAME = migration(CURRENT, "rename_answers", "=".join(RENAMED), stage="before")
MOVE = migration(
    CURRENT,
    "move_paths",
    "=".join(path.replace("{{cookiecutter.package_name}}", "{{ package_name }}") for path in MOVED),
)


def latest_release_tag() -> str | None:
    """This repository's newest release tag before HEAD, if its history has one."""
    proc = subprocess.run(
        ["git", "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", "HEAD^"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def release_previous(path: Path) -> TemplateRepo:
    """A template repository whose newest tag is the previous release.

    Copy projects from it, then call :func:`release_current`.
    """
    tag = latest_release_tag()
    if tag:
        template = TemplateRepo(path, ref=tag)
        template.release(tag)
        return template
    template = TemplateRepo(path)
    rename_question(template, RENAMED[1], old=RENAMED[0])
    move_path(template, MOVED[1], old=MOVED[0])
    template.release(PREVIOUS, "previous release: before a rename and a move")
    return template


def release_current(template: TemplateRepo, *, migrations: bool = True) -> None:
    """Tag this repository's working tree as the next release (with the migrations)."""
    synthetic = latest_release_tag() is None
    template.copy_working_tree()
    if synthetic and migrations:
        template.add_migrations(RENAME, MOVE)
    template.release(CURRENT if synthetic else "v9999.0.0", "this release")
