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

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template"  # cookiecutter's template folder (holds cookiecutter.json)
ANSWERS_FILE = ".copier-answers.yml"

LEVELS = (0, 1, 2)
# component -> (its question, the level from which "auto" turns it on, on value, off value)
COMPONENTS = {
    "dvc": ("use_dvc", 1, "true", "false"),
    "mlflow": ("use_mlflow", 1, "true", "false"),
    "fastapi": ("use_fastapi", 2, "true", "false"),
    "docker": ("use_docker", 2, "true", "false"),
    "github": ("ci_provider", 2, "github", "none"),
}
TOGGLES = tuple(question for question, *_ in COMPONENTS.values())


def resolve(answers: dict[str, str]) -> dict[str, bool]:
    """Which components the answers turn on: a toggle follows the level unless set."""
    level = int(answers.get("maturity_level", "1"))
    flags = {}
    for component, (question, from_level, on, _off) in COMPONENTS.items():
        value = str(answers.get(question, "auto")).lower()
        flags[component] = level >= from_level if value == "auto" else value == on
    return flags


def is_valid(flags: dict[str, bool]) -> bool:
    """The rules copier.yml enforces between components (the image runs the API)."""
    return not (flags["docker"] and not flags["fastapi"])


def all_combinations() -> list[dict[str, str]]:
    """Every level with all toggles on auto, and with every valid explicit on/off set.

    Rendered files depend only on the level and the resolved components, so this
    covers every distinct tree without the full product of the three-valued toggles.
    """
    combos = []
    for level in LEVELS:
        combos.append({"maturity_level": str(level), **dict.fromkeys(TOGGLES, "auto")})
        for values in itertools.product((True, False), repeat=len(COMPONENTS)):
            flags = dict(zip(COMPONENTS, values, strict=True))
            if not is_valid(flags):
                continue
            answers = {"maturity_level": str(level)}
            for component, (question, _from, on, off) in COMPONENTS.items():
                answers[question] = on if flags[component] else off
            combos.append(answers)
    return combos


def combo_id(answers: dict[str, str]) -> str:
    """A short, readable test id for a set of answers."""
    short = {
        k.removeprefix("use_").removeprefix("maturity_").removeprefix("ci_"): v
        for k, v in answers.items()
    }
    return "-".join(f"{k}={v}" for k, v in short.items())


def _copier_data(answers: dict[str, str]) -> dict[str, Any]:
    """Convert text answers (cookiecutter's form) to the types copier.yml declares."""
    data: dict[str, Any] = dict(answers)
    if "maturity_level" in data:
        data["maturity_level"] = int(data["maturity_level"])
    for toggle in TOGGLES:
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
