"""Organisation defaults: a platform team's data file sets answers for every render."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.rendering import ANSWERS_FILE, ROOT

pytestmark = pytest.mark.render

ORG = {
    "author_name": "Data Platform",
    "author_email": "data-platform@example.org",
    "license": "Proprietary",
    "maturity_level": 2,
    "use_mlflow": True,
}


def copier_cli(dst: Path, *args: str) -> dict:
    """Render with copier's command line; return the stored answers."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--defaults",
            "--vcs-ref",
            "HEAD",
            "--quiet",
            *args,
            str(ROOT),
            str(dst),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return yaml.safe_load((dst / ANSWERS_FILE).read_text(encoding="utf-8"))


def test_data_file_sets_the_organisation_answers(tmp_path: Path) -> None:
    org = tmp_path / "org.yml"
    org.write_text(yaml.safe_dump(ORG))

    answers = copier_cli(tmp_path / "project", "--data-file", str(org))

    assert {k: answers[k] for k in ORG} == ORG
    license_text = (tmp_path / "project" / "LICENSE").read_text(encoding="utf-8")
    assert "This software is proprietary" in license_text


def test_cli_data_overrides_the_data_file_as_documented(tmp_path: Path) -> None:
    # docs/src/platform-teams.md: the data file sets defaults, it does not enforce them
    org = tmp_path / "org.yml"
    org.write_text(yaml.safe_dump(ORG))

    answers = copier_cli(
        tmp_path / "project", "--data-file", str(org), "--data", "maturity_level=0"
    )

    assert answers["maturity_level"] == 0
    assert answers["author_name"] == "Data Platform"
