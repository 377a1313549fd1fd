"""Render the template with either engine, the way users do, for the tests.

Both engines render the working tree of this repository: copier includes uncommitted
changes of a local template, and cookiecutter reads files as they are.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import copier
from allpairspy import AllPairs

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template"  # cookiecutter's template folder (holds cookiecutter.json)
ANSWERS_FILE = ".copier-answers.yml"

LEVELS = (0, 1, 2, 3)
# component -> (its question, the level from which "auto" turns it on (None: never),
# its on value, its off value)
COMPONENTS = {
    "dvc": ("use_dvc", 1, "true", "false"),
    "mlflow": ("use_mlflow", 1, "true", "false"),
    "fastapi": ("use_fastapi", 2, "true", "false"),
    "docker": ("use_docker", 2, "true", "false"),
    "github": ("ci_provider", 2, "github", "none"),
    "aws": ("cloud_provider", 3, "aws", "none"),
    "gcp": ("cloud_provider", None, "gcp", "none"),
    "monitoring": ("use_monitoring", 3, "true", "false"),
    "feast": ("use_feature_store", 3, "true", "false"),
    "retraining": ("use_retraining", 3, "true", "false"),
    "governance": ("use_governance", 2, "true", "false"),
}
TOGGLES = tuple(dict.fromkeys(question for question, *_ in COMPONENTS.values()))
BOOLEAN_TOGGLES = tuple(t for t in TOGGLES if t.startswith("use_"))
# component -> the components it needs (copier.yml's validators refuse the rest)
REQUIRES = {
    "docker": ("fastapi",),
    "aws": ("docker", "mlflow"),
    "gcp": ("docker", "mlflow"),
    "monitoring": ("fastapi",),
    "retraining": ("dvc", "mlflow"),
    "governance": ("mlflow",),
}


def resolve(answers: dict[str, str]) -> dict[str, bool]:
    """Which components the answers turn on: a toggle follows the level unless set."""
    level = int(answers.get("maturity_level", "1"))
    flags = {}
    for component, (question, from_level, on, _off) in COMPONENTS.items():
        value = str(answers.get(question, "auto")).lower()
        if value == "auto":
            flags[component] = from_level is not None and level >= from_level
        else:
            flags[component] = value == on
    return flags


def is_valid(flags: dict[str, bool]) -> bool:
    """The rules copier.yml enforces between components."""
    return all(
        flags[need] for component, needs in REQUIRES.items() if flags[component] for need in needs
    )


def _question_values() -> dict[str, list[str]]:
    """Every explicit value of every toggle question (``auto`` aside)."""
    values: dict[str, list[str]] = {}
    for question, _from, on, off in COMPONENTS.values():
        values.setdefault(question, [])
        for value in (on, off):
            if value not in values[question]:
                values[question].append(value)
    return values


def all_combinations() -> list[dict[str, str]]:
    """Every level with all toggles on auto, plus pairwise-covering explicit answers.

    Rendered files depend only on the level and the resolved components. The full
    product of the explicit values (over 2,000 sets per level) is far more than any
    file condition needs: they combine at most two components, so every valid pair of
    (level or toggle value, toggle value) appearing in some set is enough.
    allpairspy builds that covering set; its filter drops sets copier.yml refuses.
    """
    combos = [{"maturity_level": str(level), **dict.fromkeys(TOGGLES, "auto")} for level in LEVELS]
    values = _question_values()
    names = ["maturity_level", *values]

    def valid(row: list[str]) -> bool:
        # allpairspy checks partial rows too: a partial row is valid if some completion is
        answers = dict(zip(names, row, strict=False))
        missing = [n for n in names if n not in answers]
        options = [values.get(n, [str(lv) for lv in LEVELS]) for n in missing]
        return any(
            is_valid(resolve({**answers, **dict(zip(missing, rest, strict=True))}))
            for rest in itertools.product(*options)
        )

    parameters = [[str(level) for level in LEVELS], *values.values()]
    for row in AllPairs(parameters, filter_func=valid):
        combos.append(dict(zip(names, row, strict=True)))
    # what users do most: take the top level and switch one component off
    top = {"maturity_level": str(LEVELS[-1]), **dict.fromkeys(TOGGLES, "auto")}
    for question, _from, _on, off in COMPONENTS.values():
        answers = {**top, question: off}
        if is_valid(resolve(answers)) and answers not in combos:
            combos.append(answers)
    # ... or switch on a component no level turns on (gcp): the full project on it
    for question, from_level, on, _off in COMPONENTS.values():
        answers = {**top, question: on}
        if from_level is None and is_valid(resolve(answers)) and answers not in combos:
            combos.append(answers)
    return combos


def combo_id(answers: dict[str, str]) -> str:
    """A short, readable test id for a set of answers."""
    short = {
        k.removeprefix("use_").removeprefix("maturity_").removesuffix("_provider"): v
        for k, v in answers.items()
    }
    return "-".join(f"{k}={v}" for k, v in short.items())


def _copier_data(answers: dict[str, str]) -> dict[str, Any]:
    """Convert text answers (cookiecutter's form) to the types copier.yml declares."""
    data: dict[str, Any] = dict(answers)
    if "maturity_level" in data:
        data["maturity_level"] = int(data["maturity_level"])
    for toggle in BOOLEAN_TOGGLES:
        if data.get(toggle) in {"true", "false"}:
            data[toggle] = data[toggle] == "true"
    return data


def render_copier(dst: Path, answers: dict[str, str], **kwargs: Any) -> Path:
    """Render with copier into ``dst`` (non-interactive, defaults for the rest)."""
    copier.run_copy(
        str(ROOT),
        dst,
        data=_copier_data(answers),
        defaults=True,
        unsafe=False,
        quiet=True,
        vcs_ref="HEAD",
        **kwargs,
    )
    return dst


def render_cookiecutter(cookies: Any, answers: dict[str, str]) -> Path:
    """Render with cookiecutter through pytest-cookies; raise on failure."""
    result = cookies.bake(extra_context=dict(answers), template=str(TEMPLATE))
    if result.exception is not None:
        raise result.exception
    assert result.exit_code == 0
    return Path(result.project_path)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> bytes), copier's answers file aside."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ANSWERS_FILE
    }


def fresh_copy(src: Path, dst: Path) -> Path:
    """Copy a rendered project so a test can change it without touching shared renders."""
    shutil.copytree(src, dst, symlinks=True)
    return dst
