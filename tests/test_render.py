"""Render tier: every level x toggle renders, with both engines, into one clean, valid tree.

Expectations come from the answers (see ``resolve``), never from the rendered tree.
Renders are cached per session (``renders`` in conftest.py), so the many checks on one
combination share a single render per engine.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import copier
import jinja2
import pytest
import yaml
from binaryornot.check import is_binary
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config
from packaging.specifiers import SpecifierSet

from tests import rendering
from tests.checks import (
    DISABLED,
    JINJA_MARKERS,
    SUFFIX,
    assert_same_tree,
    data_file_errors,
    dependency_names,
    read_answers,
    ruff_problems,
    template_syntax_problems,
    walk_files,
)
from tests.rendering import (
    ANSWERS_FILE,
    ROOT,
    TEMPLATE,
    all_combinations,
    combo_id,
    resolve,
    tree,
)

pytestmark = pytest.mark.render

COMBOS = all_combinations()
SOURCE = TEMPLATE / "{{cookiecutter.project_slug}}"  # the rendered tree, as written
COPIER_YML: dict[str, Any] = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
COOKIECUTTER_JSON: dict[str, Any] = json.loads(
    (TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8")
)
COPY_WITHOUT_RENDER: list[str] = COOKIECUTTER_JSON.get("_copy_without_render", [])
ENGINES = ("copier", "cookiecutter")
# Component toggles -> the private cookiecutter variable that gates their files.
COMPONENT_VARS = {c: f"__{c}" for c in rendering.COMPONENTS}


# -- helpers -------------------------------------------------------------------------------


def resolved_key(answers: dict[str, str]) -> tuple[Any, ...]:
    """Answers that render the same files share this key (level and resolved components)."""
    flags = resolve(answers)
    return (answers["maturity_level"], *(flags[c] for c in COMPONENT_VARS))


def distinct_combos() -> list[dict[str, str]]:
    """One combination per resolved key: enough for checks that run a tool on the tree."""
    seen: dict[tuple[Any, ...], dict[str, str]] = {}
    for answers in COMBOS:
        seen.setdefault(resolved_key(answers), answers)
    return list(seen.values())


def project_tree(root: Path) -> dict[str, bytes]:
    """``rendering.tree`` without a ``.git`` folder (for projects a test committed)."""
    return {k: v for k, v in tree(root).items() if not k.startswith(".git/")}


def cookiecutter_context(answers: dict[str, str]) -> dict[str, Any]:
    """The answers as cookiecutter resolves them (defaults and derived values filled in)."""
    context = generate_context(
        context_file=str(TEMPLATE / "cookiecutter.json"), extra_context=dict(answers)
    )
    return dict(prompt_for_config(context, no_input=True))


def executable_files(root: Path) -> set[str]:
    """Relative paths of the files with an executable bit."""
    return {rel for rel, path in walk_files(root) if os.access(path, os.X_OK)}


# -- 1. both engines render the same tree ---------------------------------------------------


@pytest.mark.parametrize("answers", COMBOS, ids=combo_id)
def test_engines_render_identical_trees(renders: Any, answers: dict[str, str]) -> None:
    copier_project = renders.get("copier", answers)
    cookiecutter_project = renders.get("cookiecutter", answers)

    assert_same_tree(tree(copier_project), tree(cookiecutter_project), "copier/cookiecutter")
    assert executable_files(copier_project) == executable_files(cookiecutter_project)
    assert (copier_project / ANSWERS_FILE).is_file()
    assert not (cookiecutter_project / ANSWERS_FILE).exists()


# -- 2. nothing of the template machinery is left -------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("answers", COMBOS, ids=combo_id)
def test_no_template_syntax_left(renders: Any, answers: dict[str, str], engine: str) -> None:
    problems = template_syntax_problems(renders.get(engine, answers))
    assert not problems, "\n".join(problems)


# -- 3. components follow the flags ---------------------------------------------------------


def gated_sources() -> list[tuple[str, set[str]]]:
    """Template paths whose name depends on a component flag, and the flags it mentions."""
    gated = []
    for path in sorted(SOURCE.rglob("*")):
        if path.is_dir() and not any(p.is_file() for p in path.rglob("*")):
            continue  # no engine renders an empty folder (and git does not keep one)
        rel = path.relative_to(SOURCE).as_posix()
        name_flags = {c for c, var in COMPONENT_VARS.items() if f"cookiecutter.{var}" in path.name}
        if name_flags:
            gated.append((rel, name_flags))
    return gated


def render_source_path(rel: str, context: dict[str, Any]) -> str | None:
    """Where a template path lands for ``context``; None when a part renders it away."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    parts = [env.from_string(part).render(cookiecutter=context) for part in rel.split("/")]
    if any(part in {"", SUFFIX} or part.startswith(DISABLED) for part in parts):
        return None
    parts[-1] = parts[-1].removesuffix(SUFFIX)
    return "/".join(parts)


@pytest.mark.parametrize("answers", COMBOS, ids=combo_id)
def test_template_resolves_components_like_the_answers_say(answers: dict[str, str]) -> None:
    context = cookiecutter_context(answers)
    for component, flag in resolve(answers).items():
        assert bool(context[COMPONENT_VARS[component]]) is flag, component


@pytest.mark.parametrize("answers", COMBOS, ids=combo_id)
def test_gated_paths_follow_their_flags(renders: Any, answers: dict[str, str]) -> None:
    project = renders.get("copier", answers)
    flags = resolve(answers)
    context = cookiecutter_context(answers)
    all_on = {**context, **dict.fromkeys(COMPONENT_VARS.values(), "yes")}
    # the names' conditions (and, or) evaluated on the flags the answers resolve to
    on_flags = {**context, **{COMPONENT_VARS[c]: "yes" if on else "" for c, on in flags.items()}}
    sources = gated_sources()
    expected = {render_source_path(rel, on_flags) for rel, _ in sources} - {None}
    for rel, name_flags in sources:
        target = render_source_path(rel, all_on)
        assert target is not None, f"{rel} renders away even with every component on"
        wanted_at = render_source_path(rel, on_flags)
        wanted = wanted_at is not None
        # a path off here may still exist as its twin's (infra/modules/platform per cloud)
        present = (project / (wanted_at or target)).exists()
        assert present if wanted else (not present or target in expected), (
            f"{target} (from {rel}) should {'exist' if wanted else 'be absent'} "
            f"with {', '.join(f'{c}={flags[c]}' for c in sorted(name_flags))}"
        )


IMPORTS_MLFLOW = re.compile(r"^\s*(import|from)\s+mlflow\b", re.MULTILINE)


@pytest.mark.parametrize("answers", COMBOS, ids=combo_id)
def test_dvc_files_exist_iff_dvc_is_on(renders: Any, answers: dict[str, str]) -> None:
    project = renders.get("copier", answers)
    dvc = resolve(answers)["dvc"]
    if not dvc:
        assert not (project / "dvc.yaml").exists()
        assert not (project / "dvc.lock").exists()
        assert not (project / ".dvc").exists()
        assert not (project / ".dvcignore").exists()
        assert not [rel for rel, _ in walk_files(project) if rel.endswith(".dvc")]
    else:
        assert (project / "dvc.yaml").is_file()
        assert (project / ".dvc" / "config").is_file()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert ("dvc" in dependency_names(pyproject)) is dvc


@pytest.mark.parametrize("answers", COMBOS, ids=combo_id)
def test_mlflow_code_exists_iff_mlflow_is_on(renders: Any, answers: dict[str, str]) -> None:
    project = renders.get("copier", answers)
    mlflow = resolve(answers)["mlflow"]
    importers = [
        rel
        for rel, path in walk_files(project)
        if rel.endswith(".py") and IMPORTS_MLFLOW.search(path.read_text(encoding="utf-8"))
    ]
    if not mlflow:
        assert not importers, f"MLflow is off but these import it: {importers}"
    else:
        assert importers, "MLflow is on but no rendered module imports it"
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    names = dependency_names(pyproject)
    assert bool(names & {"mlflow", "mlflow-skinny"}) is mlflow, sorted(names)


# -- 4. data files parse ---------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("answers", COMBOS, ids=combo_id)
def test_data_files_parse(renders: Any, answers: dict[str, str], engine: str) -> None:
    errors = data_file_errors(renders.get(engine, answers))
    assert not errors, "\n".join(errors)


# -- 5. rendered Python is lint-clean and formatted ---------------------------------------------


@pytest.mark.parametrize("answers", distinct_combos(), ids=combo_id)
def test_rendered_python_passes_ruff(renders: Any, answers: dict[str, str]) -> None:
    problems = ruff_problems(renders.get("copier", answers))
    assert not problems, "\n".join(problems)


# -- 6. the answers file round-trips ---------------------------------------------------------


def stored_questions() -> set[str]:
    """Questions copier stores: every question except computed ones (``when: false``)."""
    return {
        name
        for name, spec in COPIER_YML.items()
        if not name.startswith("_") and not (isinstance(spec, dict) and spec.get("when") is False)
    }


@pytest.mark.parametrize("answers", COMBOS, ids=combo_id)
def test_answers_file_stores_answers_not_resolved_values(
    renders: Any, answers: dict[str, str]
) -> None:
    stored = read_answers(renders.get("copier", answers))

    assert set(stored) == stored_questions() | {"_commit", "_src_path"}
    assert Path(stored["_src_path"]).is_absolute()  # `copier update` needs it
    assert "cookiecutter" not in stored
    assert "python_reserved_names" not in stored
    assert stored["maturity_level"] == int(answers["maturity_level"])
    for toggle in rendering.TOGGLES:
        # the answer as given ("auto" stays "auto"), so raising the level re-derives it
        assert str(stored[toggle]).lower() == answers[toggle]


ROUND_TRIP = [
    {"maturity_level": "0", "use_dvc": "auto", "use_mlflow": "auto"},
    {"maturity_level": "1", "use_dvc": "auto", "use_mlflow": "auto"},
    {"maturity_level": "0", "use_dvc": "true", "use_mlflow": "false"},
    {"maturity_level": "1", "use_dvc": "false", "use_mlflow": "true"},
]


def git(project: Path, *args: str) -> None:
    """Run git in ``project`` with a throwaway identity."""
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


@pytest.mark.parametrize("answers", ROUND_TRIP, ids=combo_id)
def test_recopy_from_the_answers_file_gives_the_same_tree(
    answers: dict[str, str], tmp_path: Path
) -> None:
    # rendered here, not taken from the session cache, so both renders see the same template
    original = rendering.render_copier(tmp_path / "original", answers)
    project = rendering.fresh_copy(original, tmp_path / "project")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "rendered")

    copier.run_recopy(
        project, defaults=True, overwrite=True, vcs_ref="HEAD", quiet=True, unsafe=False
    )

    assert_same_tree(project_tree(original), project_tree(project), "copy/recopy")
    before, after = read_answers(original), read_answers(project)
    before.pop("_commit")
    after.pop("_commit")
    assert after == before


# -- 7. template sources: Jinja only where a file says so ------------------------------------


def copied_verbatim(rel: str) -> bool:
    """Whether cookiecutter copies ``rel`` (or a folder holding it) without rendering it."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in COPY_WITHOUT_RENDER
    )


def test_plain_template_files_hold_no_jinja() -> None:
    offenders = []
    for root, dirs, files in os.walk(SOURCE):
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            rel = path.relative_to(SOURCE).as_posix()
            if name.endswith(SUFFIX):
                assert not copied_verbatim(rel), (
                    f"{rel} is a template for copier but cookiecutter copies it verbatim"
                )
                continue
            if copied_verbatim(rel) or path.is_symlink() or is_binary(str(path)):
                continue
            text = path.read_text(encoding="utf-8")
            if match := JINJA_MARKERS.search(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{rel}:{line}")
    assert not offenders, (
        "files without the .jinja suffix must hold no Jinja (cookiecutter renders them all);"
        " rename them to .jinja or list them in _copy_without_render:\n" + "\n".join(offenders)
    )


# -- 8. every license and Python version renders ---------------------------------------------

LICENSE_TEXT = {
    "MIT": ["MIT License", "Permission is hereby granted, free of charge"],
    "Apache-2.0": ["Apache License", "Version 2.0, January 2004"],
    "BSD-3-Clause": [
        "Redistribution and use in source and binary forms",
        "Neither the name of the copyright holder",
    ],
    "Proprietary": ["All rights reserved"],
}
OPEN_LICENSE_GRANTS = ["Permission is hereby granted", "Redistribution and use", "Apache License"]
LICENSES: list[str] = COPIER_YML["license"]["choices"]
PYTHON_VERSIONS: list[str] = COPIER_YML["python_version"]["choices"]
# Each license with a different Python version: every choice of both renders once.
CHOICE_CASES = [
    {"license": lic, "python_version": PYTHON_VERSIONS[i % len(PYTHON_VERSIONS)]}
    for i, lic in enumerate(LICENSES)
] + [
    {"license": LICENSES[0], "python_version": version}
    for version in PYTHON_VERSIONS[len(LICENSES) :]
]


def test_every_choice_has_a_case() -> None:
    assert set(LICENSE_TEXT) == set(LICENSES)
    assert {case["license"] for case in CHOICE_CASES} == set(LICENSES)
    assert {case["python_version"] for case in CHOICE_CASES} == set(PYTHON_VERSIONS)


@pytest.mark.parametrize("answers", CHOICE_CASES, ids=combo_id)
def test_license_and_python_version_render(renders: Any, answers: dict[str, str]) -> None:
    copier_project = renders.get("copier", answers)
    assert_same_tree(
        tree(copier_project), tree(renders.get("cookiecutter", answers)), "copier/cookiecutter"
    )
    license_text = (copier_project / "LICENSE").read_text(encoding="utf-8")
    for phrase in LICENSE_TEXT[answers["license"]]:
        assert phrase in license_text
    if answers["license"] == "Proprietary":
        assert not [grant for grant in OPEN_LICENSE_GRANTS if grant in license_text]
    if answers["license"] != "Apache-2.0":  # Apache's text has no copyright line
        assert COPIER_YML["author_name"]["default"] in license_text

    version = answers["python_version"]
    pyproject = tomllib.loads((copier_project / "pyproject.toml").read_text(encoding="utf-8"))
    assert (copier_project / ".python-version").read_text(encoding="utf-8").strip() == version
    requires = SpecifierSet(pyproject["project"]["requires-python"])
    major, minor = (int(part) for part in version.split("."))
    assert requires.contains(f"{version}.0")
    assert not requires.contains(f"{major}.{minor - 1}.99")
    if isinstance(declared := pyproject["project"].get("license"), str):
        assert declared == answers["license"] or answers["license"] == "Proprietary"
    ruff_target = pyproject.get("tool", {}).get("ruff", {}).get("target-version")
    if ruff_target is not None:
        assert ruff_target == f"py{major}{minor}"
