"""Answer rules: copier.yml declares them once and both engines enforce them.

Copier runs the validators itself; cookiecutter runs them from its pre-generation hook
(hooks/answers.py), and refuses choices outside cookiecutter.json's lists on its own.
Only copier's non-interactive API is used: there is no TTY to prompt on.
"""

from __future__ import annotations

import json
import keyword
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException

from hooks.answers import resolve_components, validate
from tests.checks import (
    assert_same_tree,
    data_file_errors,
    dependency_names,
    read_answers,
    ruff_problems,
    template_syntax_problems,
)
from tests.rendering import (
    ROOT,
    TEMPLATE,
    all_combinations,
    combo_id,
    render_copier,
    resolve,
    tree,
)

pytestmark = pytest.mark.render

COPIER_YML: dict[str, Any] = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
COOKIECUTTER_JSON: dict[str, Any] = json.loads(
    (TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8")
)
QUESTIONS = {
    name: spec
    for name, spec in COPIER_YML.items()
    if not name.startswith("_") and spec.get("when") is not False
}

# (id, answers, the rule's words as both engines print them)
BAD_VALUES = [
    ("empty-name", {"project_name": ""}, "project_name must not be empty"),
    ("blank-name", {"project_name": "   "}, "project_name must not be empty"),
    ("quote-in-name", {"project_name": 'Acme "Churn"'}, "project_name must not contain double"),
    ("slug-space", {"project_slug": "acme churn"}, "project_slug may only hold lowercase"),
    ("slug-upper", {"project_slug": "acme-Churn"}, "project_slug may only hold lowercase"),
    ("slug-upper-first", {"project_slug": "Acme"}, "project_slug must start with a lowercase"),
    ("slug-digit-first", {"project_slug": "2churn"}, "project_slug must start with a lowercase"),
    ("slug-end-hyphen", {"project_slug": "churn-"}, "project_slug must not end with a hyphen"),
    ("slug-double-hyphen", {"project_slug": "churn--2"}, "project_slug must not end with a hyphen"),
    ("pkg-keyword", {"package_name": "class"}, "package_name 'class' is a Python keyword"),
    ("pkg-stdlib", {"package_name": "json"}, "package_name 'json' is a Python keyword"),
    (
        "pkg-hyphen",
        {"package_name": "my-pkg"},
        "package_name must be a lowercase Python identifier",
    ),
    ("pkg-upper", {"package_name": "MyPkg"}, "package_name must be a lowercase Python identifier"),
    ("email-no-at", {"author_email": "no-at-sign"}, "author_email must look like name@example.com"),
    ("email-no-dot", {"author_email": "a@b"}, "author_email must look like name@example.com"),
    ("email-two-at", {"author_email": "two@@example.com"}, "author_email must look like"),
    ("email-space", {"author_email": "a b@example.com"}, "author_email must look like"),
    ("email-no-user", {"author_email": "@example.com"}, "author_email must look like"),
    ("description-quote", {"description": 'A "quoted" one'}, "description must not contain"),
    ("author-empty", {"author_name": ""}, "author_name must not be empty"),
    ("name-too-long", {"project_name": "x" * 81}, "project_name must be at most 80 characters"),
    ("slug-too-long", {"project_slug": "x" * 41}, "project_slug must be at most 40 characters"),
    ("package-too-long", {"package_name": "x" * 41}, "package_name must be at most 40 characters"),
    ("author-backslash", {"author_name": "Data\\Team"}, "author_name must not contain"),
    # rules between components (the question named first is the one refused)
    (
        "docker-without-api",
        {"use_docker": "true", "use_fastapi": "false"},
        "use_docker needs use_fastapi",
    ),
    (
        "cloud-without-image",
        {"cloud_provider": "aws", "maturity_level": "1"},
        "cloud_provider needs use_docker and use_mlflow",
    ),
    (
        "gcp-without-mlflow",
        {"cloud_provider": "gcp", "maturity_level": "3", "use_mlflow": "false"},
        "cloud_provider needs use_docker and use_mlflow",
    ),
    (
        "monitoring-without-api",
        {"use_monitoring": "true", "maturity_level": "1"},
        "use_monitoring needs use_fastapi",
    ),
    (
        "retraining-without-dvc",
        {"use_retraining": "true", "maturity_level": "3", "use_dvc": "false"},
        "use_retraining needs use_dvc and use_mlflow",
    ),
    (
        "governance-without-mlflow",
        {"use_governance": "true", "use_mlflow": "false"},
        "use_governance needs use_mlflow",
    ),
]
# An empty name still gives a folder name ("unnamed"), so cookiecutter reaches the hook
# that names the rule instead of stopping on "directory already exists".
COOKIECUTTER_BAD_VALUES = [
    pytest.param(answers, rule, id=case) for case, answers, rule in BAD_VALUES
]
BAD_CHOICES = [
    ("level-7", {"maturity_level": "7"}, "maturity_level"),
    ("dvc-maybe", {"use_dvc": "maybe"}, "use_dvc"),
    ("mlflow-2", {"use_mlflow": "2"}, "use_mlflow"),
    ("cloud-azure", {"cloud_provider": "azure"}, "cloud_provider"),
    ("python-3.9", {"python_version": "3.9"}, "python_version"),
    ("license-gpl", {"license": "GPL-3.0"}, "license"),
]


def assert_nothing_written(folder: Path) -> None:
    """Nothing but empty output folders may remain after a refusal."""
    leftovers = [p for p in folder.rglob("*") if not p.is_dir() or any(p.iterdir())]
    assert not leftovers, f"left behind: {leftovers}"


def bake(cookies: Any, answers: dict[str, str]) -> Any:
    """Run cookiecutter through pytest-cookies with the repository's template."""
    return cookies.bake(extra_context=answers, template=str(TEMPLATE))


# -- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "rule"), [c[1:] for c in BAD_VALUES], ids=[c[0] for c in BAD_VALUES]
)
def test_copier_refuses_bad_values(tmp_path: Path, answers: dict[str, str], rule: str) -> None:
    question = next(iter(answers))
    with pytest.raises(ValueError, match=f"Validation error for question '{question}'") as error:
        render_copier(tmp_path / "project", answers)
    assert rule in str(error.value)
    assert not (tmp_path / "project").exists()


@pytest.mark.parametrize(("answers", "rule"), COOKIECUTTER_BAD_VALUES)
def test_cookiecutter_refuses_bad_values(
    cookies: Any,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
    answers: dict[str, str],
    rule: str,
) -> None:
    result = bake(cookies, answers)

    assert result.exit_code != 0
    assert isinstance(result.exception, FailedHookException)
    assert f"ERROR: {rule}" in capfd.readouterr().err
    assert_nothing_written(tmp_path / "cookies")


@pytest.mark.parametrize(
    ("answers", "question"), [c[1:] for c in BAD_CHOICES], ids=[c[0] for c in BAD_CHOICES]
)
def test_copier_refuses_bad_choices(tmp_path: Path, answers: dict[str, str], question: str) -> None:
    with pytest.raises(ValueError, match=f"Invalid choice for '{question}'"):
        render_copier(tmp_path / "project", answers)
    assert not (tmp_path / "project").exists()


@pytest.mark.parametrize(
    ("answers", "question"), [c[1:] for c in BAD_CHOICES], ids=[c[0] for c in BAD_CHOICES]
)
def test_cookiecutter_refuses_bad_choices(
    cookies: Any, tmp_path: Path, answers: dict[str, str], question: str
) -> None:
    result = bake(cookies, answers)

    assert result.exit_code != 0
    assert isinstance(result.exception, ValueError)
    assert f"provided for choice variable {question}" in str(result.exception)
    assert_nothing_written(tmp_path / "cookies")


@pytest.mark.parametrize(
    ("answers", "question"), [c[1:] for c in BAD_CHOICES], ids=[c[0] for c in BAD_CHOICES]
)
def test_hook_validator_refuses_bad_choices_too(answers: dict[str, str], question: str) -> None:
    # cookiecutter refuses these before its hook runs; the hook's own check is the backstop
    errors = validate(answers)
    assert errors
    assert errors[0].startswith(f"{question} must be one of")


def test_hook_validator_accepts_the_defaults() -> None:
    defaults = {
        name: str(spec["default"]).lower() if name.startswith("use_") else str(spec["default"])
        for name, spec in QUESTIONS.items()
        if "{{" not in str(spec["default"])
    }
    assert (
        validate({**defaults, "project_slug": "customer-churn", "package_name": "customer_churn"})
        == []
    )


# -- odd but valid answers --------------------------------------------------------------------

GOOD_CASES = {
    "digits": {"project_name": "Acme Churn 2", "package_name": "acme_churn2"},
    "punctuation": {
        "project_name": "Zoë's Churn: v2 & more",
        "project_slug": "zoe-churn-v2",
        "package_name": "_zoe2",
        "description": "It's a 'model' for <churn> & co: 100% {braces}, ünïcødé #1.",
        "author_name": "O'Brien & Co.",
        "author_email": "first.last+ml@sub.example.co.uk",
        "maturity_level": "0",
        "use_mlflow": "true",
    },
    "no-final-period": {"description": "Churn scores for the retention team"},
    "long": {
        "project_name": "Customer Lifetime Value Forecast",
        "description": "Forecast the lifetime value of every retail banking customer, monthly.",
        "use_dvc": "true",
    },
    "longest": {
        "project_name": "N" * 80,
        "project_slug": "n" * 40,
        "description": "Scores churn for every account in the regional retail portfolio; see "
        "https://example.com/a/very/long/link/to/the/design/document/that/will/not/fit/on/one/line"
        " for the why and the how, and the limits of the model.",
    },
}


@pytest.mark.parametrize("answers", GOOD_CASES.values(), ids=GOOD_CASES.keys())
def test_odd_but_valid_answers_render_identically(renders: Any, answers: dict[str, str]) -> None:
    copier_project = renders.get("copier", answers)
    cookiecutter_project = renders.get("cookiecutter", answers)

    assert_same_tree(tree(copier_project), tree(cookiecutter_project), "copier/cookiecutter")
    stored = read_answers(copier_project)
    for name, value in answers.items():
        assert str(stored[name]).lower() == value.lower()
    slug = stored["project_slug"]
    assert cookiecutter_project.name == slug
    assert (copier_project / "src" / stored["package_name"] / "__init__.py").is_file()
    for project in (copier_project, cookiecutter_project):
        assert not template_syntax_problems(project)
        assert not data_file_errors(project)
    pyproject = tomllib.loads((copier_project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == slug
    assert pyproject["project"]["description"] == stored["description"]
    assert (
        bool(dependency_names(pyproject) & {"mlflow", "mlflow-skinny"})
        is resolve(answers)["mlflow"]
    )


@pytest.mark.parametrize("answers", GOOD_CASES.values(), ids=GOOD_CASES.keys())
def test_odd_but_valid_answers_render_lint_clean(renders: Any, answers: dict[str, str]) -> None:
    problems = ruff_problems(renders.get("copier", answers))
    assert not problems, "\n".join(problems)


def test_names_derive_from_the_project_name_in_both_engines(renders: Any) -> None:
    answers = {"project_name": "  Acme_Churn Model 2 "}
    copier_project = renders.get("copier", answers)
    cookiecutter_project = renders.get("cookiecutter", answers)

    stored = read_answers(copier_project)
    assert stored["project_slug"] == "acme-churn-model-2"
    assert stored["package_name"] == "acme_churn_model_2"
    assert cookiecutter_project.name == "acme-churn-model-2"
    assert_same_tree(tree(copier_project), tree(cookiecutter_project), "copier/cookiecutter")


# -- the two answer declarations agree ---------------------------------------------------------


def test_python_reserved_names_cover_keywords_and_stdlib() -> None:
    reserved = set(COPIER_YML["python_reserved_names"]["default"])
    # True/False/None cannot pass the lowercase-identifier rule, so the list needs only these
    keywords = {word for word in keyword.kwlist if word.islower()}
    stdlib = {
        name for name in sys.stdlib_module_names if name.islower() and not name.startswith("_")
    }

    assert not sorted(keywords - reserved), "keywords missing from python_reserved_names"
    assert not sorted(stdlib - reserved), "stdlib modules missing from python_reserved_names"
    for word in set(keyword.kwlist) - keywords:
        assert validate({"package_name": word}), word


def test_cookiecutter_json_mirrors_copier_questions() -> None:
    asked = {name for name in COOKIECUTTER_JSON if not name.startswith("_")}
    assert asked == set(QUESTIONS)
    assert set(COOKIECUTTER_JSON["__prompts__"]) == set(QUESTIONS)
    for name, spec in QUESTIONS.items():
        mirrored = COOKIECUTTER_JSON[name]
        if "choices" in spec:
            choices = spec["choices"]
            values = list(choices.values()) if isinstance(choices, dict) else choices
            as_text = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
            assert sorted(mirrored) == sorted(as_text), name
            default = spec["default"]
            assert mirrored[0] == (
                str(default).lower() if isinstance(default, bool) else str(default)
            )
        else:
            assert mirrored.replace("cookiecutter.", "") == str(spec["default"]), name


@pytest.mark.parametrize("answers", all_combinations(), ids=combo_id)
def test_tests_resolve_components_as_the_template_does(answers: dict[str, str]) -> None:
    # the tests derive expectations from the answers with their own table; it must
    # agree with copier.yml's expression, which hooks.answers.resolve_components renders
    typed: dict[str, Any] = {
        k: (int(v) if k == "maturity_level" else yaml.safe_load(v) if k.startswith("use_") else v)
        for k, v in answers.items()
    }
    assert resolve_components(typed) == resolve(answers)
