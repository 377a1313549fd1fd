"""Fleet conformance: where each project rendered from this template stands.

    uv run python -m hooks.fleet PROJECT [PROJECT ...] [--policy policy.yml] [--json]

Each PROJECT is a folder or a git URL of a project rendered with copier. For each one
it reports the template version it was rendered or last updated from, whether a newer
release exists, the maturity level, the components on, and the components that should
be there but are missing (deleted or never rendered). A policy file can require a
minimum level, components and a minimum template version; the exit code is 1 when any
project violates it, so CI can gate on it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from packaging.version import InvalidVersion, Version
from rich.console import Console
from rich.table import Table

from hooks.answers import resolve_components

ANSWERS_FILE = ".copier-answers.yml"
# What proves a component is present in a project (glob patterns; each must match).
COMPONENT_MARKERS = {
    "dvc": ("dvc.yaml", ".dvc/config"),
    "mlflow": ("src/*/io/registry.py",),
    "fastapi": ("src/*/serving/main.py",),
    "docker": ("Dockerfile",),
    "github": (".github/workflows/ci.yml",),
    "aws": ("infra",),
    "gcp": ("infra",),
    "monitoring": ("src/*/jobs/drift.py",),
    "feast": ("feature_repo/feature_store.yaml",),
    "retraining": ("src/*/jobs/rollback.py",),
    "governance": ("model_card.yaml",),
}

app = typer.Typer(
    add_completion=False, help="Report where each project rendered from this template stands."
)
console = Console(stderr=True)


@dataclass
class Policy:
    """What every project of the fleet must have."""

    min_level: int = 0
    required_components: list[str] = field(default_factory=list)
    min_template_version: str | None = None

    @classmethod
    def load(cls, path: Path | None) -> Policy:
        """Read a policy file (YAML with the fields above); no file means no rules."""
        if path is None:
            return cls()
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        unknown = set(data) - {"min_level", "required_components", "min_template_version"}
        if unknown:
            msg = f"{path}: unknown policy keys {sorted(unknown)}"
            raise typer.BadParameter(msg)
        return cls(**data)


@dataclass
class ProjectReport:
    """The conformance of one project."""

    project: str
    template_version: str | None = None
    latest_version: str | None = None
    update_available: bool | None = None
    maturity_level: int | None = None
    components: list[str] = field(default_factory=list)
    missing_components: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def release_version(ref: str | None) -> Version | None:
    """Parse the release a copier ``_commit`` names (``v1.2.0`` or ``v1.2.0-3-gabc1234``)."""
    if not ref:
        return None
    try:
        return Version(ref.split("-")[0])
    except InvalidVersion:
        return None


def latest_release(src_path: str) -> Version | None:
    """Find the newest PEP 440 tag of the template repository at ``src_path``."""
    proc = subprocess.run(
        ["git", "ls-remote", "--tags", "--refs", src_path],
        capture_output=True,
        text=True,
        check=False,
    )
    versions = [release_version(line.rsplit("/", 1)[-1]) for line in proc.stdout.splitlines()]
    found = [v for v in versions if v is not None]
    return max(found) if found else None


def check(project: Path, label: str, policy: Policy) -> ProjectReport:
    """Inspect one rendered project folder against the policy."""
    report = ProjectReport(project=label)
    answers_path = project / ANSWERS_FILE
    if not answers_path.is_file():
        report.violations.append(f"no {ANSWERS_FILE}: not rendered with copier, or it was deleted")
        return report
    answers: dict[str, Any] = yaml.safe_load(answers_path.read_text(encoding="utf-8"))
    current = release_version(answers.get("_commit"))
    latest = latest_release(str(answers.get("_src_path", "")))
    report.template_version = answers.get("_commit")
    report.latest_version = str(latest) if latest else None
    # unknown (None) when either side is not a release tag
    report.update_available = latest > current if current and latest else None
    report.maturity_level = answers.get("maturity_level")

    flags = resolve_components(answers)
    report.components = sorted(name for name, on in flags.items() if on)
    for name in report.components:
        if not all(any(project.glob(marker)) for marker in COMPONENT_MARKERS.get(name, ())):
            report.missing_components.append(name)
            report.violations.append(f"component {name} is on but its files are missing")

    if (report.maturity_level or 0) < policy.min_level:
        report.violations.append(
            f"maturity level {report.maturity_level} is below the required {policy.min_level}"
        )
    for name in policy.required_components:
        if name not in report.components:
            report.violations.append(f"required component {name} is switched off")
    if policy.min_template_version:
        wanted = Version(policy.min_template_version)
        if current is None or current < wanted:
            report.violations.append(
                f"template version {report.template_version} is older than {wanted}"
            )
    return report


def inspect(target: str, policy: Policy) -> ProjectReport:
    """Check a folder, or a shallow clone of a git URL."""
    path = Path(target)
    if path.is_dir():
        return check(path, target, policy)
    with tempfile.TemporaryDirectory() as tmp:
        clone = subprocess.run(
            ["git", "clone", "--quiet", "--depth", "1", target, tmp],
            capture_output=True,
            text=True,
            check=False,
        )
        if clone.returncode != 0:
            return ProjectReport(project=target, violations=[f"cannot clone: {clone.stderr}"])
        return check(Path(tmp), target, policy)


def render_table(reports: list[ProjectReport]) -> Table:
    """Build the table for people."""
    table = Table(title="Template conformance")
    for column in ("project", "template", "update", "level", "components", "problems"):
        table.add_column(column)
    for r in reports:
        update = "?" if r.update_available is None else ("yes" if r.update_available else "no")
        if r.update_available:
            update = f"yes ({r.latest_version})"
        table.add_row(
            r.project,
            r.template_version or "-",
            update,
            "-" if r.maturity_level is None else str(r.maturity_level),
            ", ".join(r.components) or "-",
            "\n".join(r.violations) or "ok",
            style="red" if r.violations else None,
        )
    return table


@app.command()
def main(
    projects: Annotated[list[str], typer.Argument(help="Project folders or git URLs.")],
    policy_file: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="YAML policy: min_level, required_components, min_template_version.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Report the template version, level and components of each project."""
    policy = Policy.load(policy_file)
    reports = []
    for target in projects:
        console.print(f"checking {target}", style="dim")
        reports.append(inspect(target, policy))
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in reports], indent=2))
    else:
        # wide when piped (CI logs), so paths and messages stay on one line
        out = Console() if sys.stdout.isatty() else Console(width=240)
        out.print(render_table(reports))
    raise typer.Exit(code=1 if any(r.violations for r in reports) else 0)


if __name__ == "__main__":
    app()
