"""Rendered projects driven as a user drives them: a shell environment and commands.

The run tier, the serving and tracking-server tests and the benchmark all render a
project, commit it to git and run its own tasks; this module is the one way they do it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.rendering import render_copier

# A git identity for commits made in tests, so they never depend on the machine's config.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}
# pip-audit's default service reads one release's JSON from PyPI, advisories included
PYPI_RELEASE = "https://pypi.org/pypi/{name}/{version}/json"


class CommandError(AssertionError):
    """A command in a rendered project failed; the message holds its output."""


@dataclass
class Project:
    """A rendered project, the environment its commands run in, and their timings."""

    path: Path
    env: dict[str, str]
    slug: str = "customer-churn"
    timings: dict[str, float] = field(default_factory=dict)
    echo: Callable[[str], None] | None = None  # progress output, for the benchmark

    def run(self, *cmd: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """Run ``cmd`` in the project; raise CommandError with its output if it fails."""
        first, *rest = " ".join(cmd).splitlines()
        shown = f"{first} ..." if rest else first
        if self.echo:
            self.echo(f"  $ {shown}")
        started = time.perf_counter()
        proc = subprocess.run(
            cmd,
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.timings[shown] = round(time.perf_counter() - started, 1)
        if proc.returncode != 0:
            msg = (
                f"`{' '.join(cmd)}` exited {proc.returncode} in {self.path}\n"
                f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"
            )
            raise CommandError(msg)
        return proc

    def python(self, code: str) -> str:
        """Run Python code in the project's own environment; return its stdout."""
        return self.run("uv", "run", "--frozen", "python", "-c", code).stdout


def project_env(home: Path) -> dict[str, str]:
    """A user's shell environment, minus this run's virtualenv and tracking server."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "MLFLOW_TRACKING_URI"}}
    env.update(
        GIT_IDENTITY,
        PRE_COMMIT_HOME=str(home / "pre-commit-home"),
        DVC_NO_ANALYTICS="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def render_project(
    workdir: Path, answers: dict[str, str], echo: Callable[[str], None] | None = None
) -> Project:
    """Render ``answers`` with copier into ``workdir/project`` and commit it to git."""
    path = render_copier(workdir / "project", answers)
    proj = Project(path, project_env(workdir), echo=echo)
    proj.run("git", "init", "-q", "-b", "main")
    proj.run("git", "add", "-A")
    proj.run("git", "commit", "-q", "-m", "Render from template")
    if os.environ.get("TEMPLATE_TEST_NEWEST"):
        # the scheduled job: newest releases the ranges allow, not the pinned date
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        proj.run("uv", "lock", "--upgrade", "--exclude-newer", now)
    return proj


def advisory_service_problem(proj: Project) -> str | None:
    """Why pip-audit's vulnerability data cannot be read from here, or None when it can.

    Asks PyPI the way pip-audit does, for a release that certainly exists: the locked
    pip-audit itself. (Here the package index is reachable but its JSON API is not.)
    """
    lock = tomllib.loads((proj.path / "uv.lock").read_text(encoding="utf-8"))
    version = next(p["version"] for p in lock["package"] if p["name"] == "pip-audit")
    url = PYPI_RELEASE.format(name="pip-audit", version=version)
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        return f"{url} answered HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return f"{url} is unreachable ({error})"
    except json.JSONDecodeError:
        return f"{url} did not answer JSON"
    return None if "vulnerabilities" in body else f"{url} has no vulnerability data"
