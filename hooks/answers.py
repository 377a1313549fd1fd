"""Validate template answers with the validators declared in copier.yml.

copier.yml is the one place where answer rules live. Copier evaluates them itself;
cookiecutter has no validators, so its pre-generation hook calls :func:`validate`,
which renders the same Jinja validators against cookiecutter's answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

COPIER_YML = Path(__file__).resolve().parent.parent / "copier.yml"
# Copier renders its expressions in a sandbox with strict undefined; so do we.
_JINJA = SandboxedEnvironment(undefined=StrictUndefined)


def load_questions(copier_yml: Path = COPIER_YML) -> dict[str, dict[str, Any]]:
    """Return the questions of copier.yml (settings, which start with ``_``, left out)."""
    config = yaml.safe_load(copier_yml.read_text(encoding="utf-8"))
    return {name: spec for name, spec in config.items() if not name.startswith("_")}


def _cast(value: Any, kind: str) -> Any:
    """Cast a cookiecutter answer (always text) to the type copier.yml declares."""
    if kind == "int":
        return int(value)
    if kind == "yaml":
        return yaml.safe_load(str(value))
    if kind == "bool":
        return str(value).strip().lower() in {"true", "yes", "y", "on", "1"}
    return str(value)


def validate(answers: dict[str, Any], copier_yml: Path = COPIER_YML) -> list[str]:
    """Return one message per broken rule; an empty list means the answers are valid."""
    questions = load_questions(copier_yml)
    context: dict[str, Any] = {}
    for name, spec in questions.items():
        if name in answers:
            context[name] = _cast(answers[name], spec.get("type", "str"))
        elif not isinstance(spec.get("default"), str):
            # computed constants such as python_reserved_names
            context[name] = spec.get("default")
    errors = []
    for name, spec in questions.items():
        if name not in answers:
            continue
        choices = spec.get("choices")
        if choices is not None:
            allowed = list(choices.values()) if isinstance(choices, dict) else choices
            if context[name] not in allowed:
                errors.append(f"{name} must be one of {allowed}, got {answers[name]!r}")
                continue
        if "validator" in spec:
            message = _render(spec["validator"], context).strip()
            if message:
                errors.append(message)
    return errors


def resolve_components(answers: dict[str, Any], copier_yml: Path = COPIER_YML) -> dict[str, bool]:
    """Which components a project's stored answers turn on, as copier.yml resolves them.

    Renders the hidden ``cookiecutter`` answer of copier.yml (the one place where the
    level and the toggles become component flags) and reads its ``__<component>`` keys.

    Args:
        answers: The answers, typed as copier stores them (``.copier-answers.yml``).
        copier_yml: The template's copier.yml.

    Returns:
        Component name (``dvc``, ``mlflow``, ...) -> whether it is on.

    """
    questions = load_questions(copier_yml)
    context: dict[str, Any] = {"_copier_conf": {"answers_file": ".copier-answers.yml"}}
    for name, spec in questions.items():
        if name in answers:
            context[name] = answers[name]
        elif name != "cookiecutter":
            default = spec.get("default")
            # string defaults are templates of earlier answers; constants are used as is
            context[name] = _render(default, context) if isinstance(default, str) else default
            context[name] = _cast(context[name], spec.get("type", "str"))
    rendered = yaml.safe_load(_render(questions["cookiecutter"]["default"], context))
    return {
        key.removeprefix("__"): bool(value)
        for key, value in rendered.items()
        if key.startswith("__") and key != "__answers"
    }


def _render(template: str, context: dict[str, Any]) -> str:
    """Render one Jinja expression of copier.yml, strictly."""
    return _JINJA.from_string(template).render(context)
