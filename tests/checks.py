"""Checks on a rendered tree, shared by the render tier and the answer tests.

Each returns what is wrong (an empty list when all is well) or fails the test itself.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from binaryornot.check import is_binary

from tests.rendering import ANSWERS_FILE, ROOT

SUFFIX = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))["_templates_suffix"]
DISABLED = "__disabled__"  # the name prefix of a switched-off component's folder

JINJA_MARKERS = re.compile(r"\{\{|\{%|\{#")


# `${{ ... }}` is GitHub Actions' expression syntax, legal only in workflow files.
GITHUB_EXPRESSION_FILES = (".github/workflows/*.yml", ".github/workflows/*.yaml")


def walk_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every file under ``root`` as (relative posix path, path), answers file included."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(root).parts:
            yield path.relative_to(root).as_posix(), path


def text_of(path: Path) -> str | None:
    """The file's text, or None for a binary file (which no engine renders)."""
    if is_binary(str(path)):
        return None
    return path.read_text(encoding="utf-8")


def assert_same_tree(expected: dict[str, bytes], actual: dict[str, bytes], labels: str) -> None:
    """Fail with the file names only one side has, or a diff of the first differing file."""
    left, right = labels.split("/")
    only_left = sorted(set(expected) - set(actual))
    only_right = sorted(set(actual) - set(expected))
    if only_left or only_right:
        pytest.fail(
            f"file lists differ\n  only in {left}: {only_left}\n  only in {right}: {only_right}"
        )
    for name in sorted(expected):
        if expected[name] != actual[name]:
            try:
                diff = difflib.unified_diff(
                    expected[name].decode().splitlines(),
                    actual[name].decode().splitlines(),
                    f"{left}/{name}",
                    f"{right}/{name}",
                    lineterm="",
                )
                shown = "\n".join(list(diff)[:60])
            except UnicodeDecodeError:
                shown = f"(binary, {len(expected[name])} vs {len(actual[name])} bytes)"
            pytest.fail(f"first differing file: {name}\n{shown}")


def leftover_jinja(rel: str, text: str) -> list[str]:
    """Jinja markers left in ``text``; `${{` counts only outside workflow files."""
    found = []
    for match in JINJA_MARKERS.finditer(text):
        start = match.start()
        if start and text[start - 1] == "$":
            if match.group() == "{#":
                continue  # shell's ${#var} (string length); Jinja would have eaten a comment
            if match.group() == "{{" and any(
                fnmatch.fnmatch(rel, pattern) for pattern in GITHUB_EXPRESSION_FILES
            ):
                continue
        line = text.count("\n", 0, start) + 1
        found.append(f"{rel}:{line}: {text.splitlines()[line - 1].strip()[:100]}")
    return found


def template_syntax_problems(project: Path) -> list[str]:
    """Unrendered Jinja, template suffixes and disabled-folder sentinels left in ``project``."""
    problems = []
    for path in sorted(project.rglob("*")):
        rel = path.relative_to(project).as_posix()
        if JINJA_MARKERS.search(rel):
            problems.append(f"unrendered path: {rel}")
        if path.name.endswith(SUFFIX):
            problems.append(f"template suffix left: {rel}")
        if path.name.startswith(DISABLED):
            problems.append(f"disabled-component sentinel left: {rel}")
        if path.is_file() and (text := text_of(path)) is not None:
            problems.extend(leftover_jinja(rel, text))
    return problems


def dependency_names(pyproject: dict[str, Any]) -> set[str]:
    """Lowercase distribution names the project declares anywhere (runtime, extras, groups)."""
    project = pyproject.get("project", {})
    requirements = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    for group in pyproject.get("dependency-groups", {}).values():
        requirements += [r for r in group if isinstance(r, str)]
    return {re.split(r"[\s\[<>=!~;@]", r, maxsplit=1)[0].lower() for r in requirements}


class _TolerantLoader(yaml.SafeLoader):
    """SafeLoader that accepts application tags (mkdocs' !!python/name, !ENV, ...) as data."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_TolerantLoader.add_multi_constructor("!", _any_tag)


_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", _any_tag)


def data_file_errors(project: Path) -> list[str]:
    """Rendered YAML, TOML and JSON files that do not parse, with the parser's message."""
    errors = []
    for rel, path in walk_files(project):
        try:
            if path.suffix in {".yaml", ".yml"}:
                text = path.read_text(encoding="utf-8")
                list(yaml.load_all(text, Loader=_TolerantLoader))  # a SafeLoader subclass
            elif path.suffix == ".toml":
                tomllib.loads(path.read_text(encoding="utf-8"))
            elif path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
            errors.append(f"{rel}: {error}")
    return errors


def ruff_problems(project: Path) -> list[str]:
    """Output of ``ruff check`` and ``ruff format --check`` run from ``project`` when they fail.

    Run from the project folder so the project's own configuration applies.
    """
    problems = []
    for args in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--no-cache", "."],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            problems.append(f"ruff {' '.join(args)}:\n{result.stdout}{result.stderr}")
    return problems


def read_answers(project: Path) -> dict[str, Any]:
    """The copier answers file of a rendered project."""
    return yaml.safe_load((project / ANSWERS_FILE).read_text(encoding="utf-8"))
