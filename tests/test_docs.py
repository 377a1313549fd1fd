"""Docs tier: the generated Options page is current and the site builds cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "docs" / "generate_options.py"
MKDOCS_YML = ROOT / "docs" / "mkdocs.yml"

pytestmark = pytest.mark.docs


def test_options_page_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, (
        "docs/src/options.md does not match copier.yml; "
        f"run `uv run python docs/generate_options.py`.\n{proc.stderr}"
    )


def test_options_page_lists_every_asked_question() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    page = (ROOT / "docs" / "src" / "options.md").read_text(encoding="utf-8")
    for name, spec in config.items():
        if name.startswith("_"):
            continue
        row = f"| <code>{name}</code> |"
        if isinstance(spec, dict) and spec.get("when") is False:
            assert row not in page, f"{name} is never asked but has a row"
        else:
            assert row in page, f"question {name} has no row in options.md"


def test_site_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(MKDOCS_YML),
            "-d",
            str(site),
        ],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # quiet Material's end-of-life banner
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    for page in (
        "index",
        "getting-started",
        "maturity-levels",
        "options",
        "architecture",
        "testing",
    ):
        built = site / "index.html" if page == "index" else site / page / "index.html"
        assert built.is_file(), f"{page} was not built"
