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

LEVELS = (0, 1)
TOGGLES = ("use_dvc", "use_mlflow")
TOGGLE_VALUES = ("auto", "true", "false")


def all_combinations() -> list[dict[str, str]]:
    """Every maturity level x every value of every component toggle."""
    combos = []
    for level in LEVELS:
        for values in itertools.product(TOGGLE_VALUES, repeat=len(TOGGLES)):
            toggles = dict(zip(TOGGLES, values, strict=True))
            combos.append({"maturity_level": str(level), **toggles})
    return combos


def combo_id(answers: dict[str, str]) -> str:
    """A short, readable test id for a set of answers."""
    short = {k.removeprefix("use_").removeprefix("maturity_"): v for k, v in answers.items()}
    return "-".join(f"{k}={v}" for k, v in short.items())


def _copier_data(answers: dict[str, str]) -> dict[str, Any]:
    """Convert text answers (cookiecutter's form) to the types copier.yml declares."""
    data: dict[str, Any] = dict(answers)
    if "maturity_level" in data:
        data["maturity_level"] = int(data["maturity_level"])
    for toggle in TOGGLES:
        if toggle in data and data[toggle] in {"true", "false"}:
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
