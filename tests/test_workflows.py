"""The workflows tier: rendered GitHub workflows run by nektos/act on this machine.

Each case is rendered once and brought to where a user is before the first push (the
rendered README: `make install`, commit `uv.lock`); then act runs its workflows on a
push event, job by job, with stand-ins for the setup actions only (tests/act.py,
tests/actions/). A job passes when act reports it succeeded; a failure shows the job's
steps and the tail of its log.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.act import (
    ACTIONS,
    ActRun,
    pins,
    run_workflow,
    stand_in,
    steps_before,
)
from tests.container import build_flags, image_exists
from tests.projects import Project, advisory_service_problem, project_env, render_project
from tests.rendering import tree
from tests.services import mlflow_server, postgres
from tests.template_repo import TemplateRepo, copy, git

pytestmark = [pytest.mark.workflows, pytest.mark.xdist_group("workflows")]

CASES = {
    "level2": {"maturity_level": "2"},
    "level3-aws": {"maturity_level": "3"},
    "level3-gcp": {"maturity_level": "3", "cloud_provider": "gcp"},
}
CI = ".github/workflows/ci.yml"
CI_JOBS = ("lint", "test", "pipeline", "audit", "image")
# the setup actions, the only ones replaced by stand-ins (tests/actions)
SET_UP = (
    "actions/checkout",
    "astral-sh/setup-uv",
    "docker/setup-buildx-action",
    "docker/build-push-action",
)
PROMOTE = ".github/workflows/promote.yml"
RETRAIN = ".github/workflows/retrain.yml"
TEMPLATE_UPDATE = ".github/workflows/template-update.yml"
CD = ".github/workflows/cd.yml"
REGISTERED = "customer-churn"  # the registered model of the default answers


def first_push(workdir: Path, answers: dict[str, str]) -> Project:
    """Render ``answers`` and do what the rendered README asks before the first push."""
    proj = render_project(workdir, answers)
    proj.run("make", "install")
    proj.run("git", "add", "uv.lock")
    proj.run("git", "commit", "-q", "-m", "Lock dependencies")
    return proj


class Pushes:
    """Each case rendered once per module, ready for its first push, on first use."""

    def __init__(self, base: pytest.TempPathFactory) -> None:
        self._base = base
        self._done: dict[str, Project] = {}

    def get(self, case: str) -> Project:
        if case not in self._done:
            self._done[case] = first_push(self._base.mktemp(case), CASES[case])
        return self._done[case]


@pytest.fixture(scope="module")
def pushes(tmp_path_factory: pytest.TempPathFactory) -> Pushes:
    return Pushes(tmp_path_factory)


# The GCP render runs the same ci.yml on the same package and tests as the AWS one (only
# its Makefile's deploy targets, cd.yml and infra/ differ: test_gcp_differs_from_aws_...),
# so its ci jobs beyond lint would repeat the AWS case's minutes for no new evidence.
CI_CASES = ("level2", "level3-aws")


@pytest.fixture(scope="module", params=CI_CASES)
def pushed(request: pytest.FixtureRequest, pushes: Pushes) -> Project:
    """Each case whose ci jobs run, rendered once and ready for its first push."""
    return pushes.get(request.param)


def assert_succeeded(run: ActRun, job_id: str) -> None:
    job = run.job(job_id)
    assert job.result == "success", run.failure_report(job_id)
    assert job.steps, run.failure_report(job_id)
    assert all(result == "success" for _, result in job.steps), run.failure_report(job_id)


# -- the stand-ins are what they replace ------------------------------------------------


@pytest.mark.parametrize("action", SET_UP)
def test_stand_in_declares_exactly_the_real_inputs(action: str) -> None:
    # given the real action's inputs at the pinned commit (tests/data/action_inputs.json;
    # the lint tier checks that the rendered workflows pin that commit and use only those)
    real = pins()[action]["inputs"]
    folder = stand_in(action)
    assert folder is not None, f"no stand-in for {action} under {ACTIONS}"

    # when
    declared = yaml.safe_load((folder / "action.yml").read_text(encoding="utf-8"))

    # then: the same names, and a composite action (its steps run here as they are)
    assert sorted(declared["inputs"]) == real
    assert declared["runs"]["using"] == "composite"


def test_only_setup_actions_have_stand_ins() -> None:
    folders = sorted(
        p.parent.relative_to(ACTIONS).as_posix() for p in ACTIONS.glob("*/*/action.yml")
    )
    assert folders == sorted(SET_UP)


# -- ci.yml ------------------------------------------------------------------------------


def test_gcp_differs_from_aws_only_outside_what_ci_runs(pushes: Pushes) -> None:
    # given both level-3 renders
    aws, gcp = pushes.get("level3-aws").path, pushes.get("level3-gcp").path

    # then ci.yml, the package and its tests are byte-identical (why CI_CASES skips GCP)
    for file in (CI, "pyproject.toml"):
        assert (aws / file).read_bytes() == (gcp / file).read_bytes(), file
    for folder in ("src", "tests"):
        assert tree(aws / folder) == tree(gcp / folder), folder


def test_ci_lint_job_succeeds_on_gcp(pushes: Pushes, tmp_path: Path) -> None:
    # when
    run = run_workflow(pushes.get("level3-gcp"), CI, job="lint", workdir=tmp_path)

    # then
    assert_succeeded(run, "lint")


def test_ci_has_the_jobs_this_tier_runs(pushed: Project) -> None:
    jobs = yaml.safe_load((pushed.path / CI).read_text(encoding="utf-8"))["jobs"]
    assert tuple(jobs) == CI_JOBS


@pytest.mark.parametrize("job_id", ["lint", "test", "pipeline"])
def test_ci_job_succeeds_on_the_first_push(pushed: Project, job_id: str, tmp_path: Path) -> None:
    # when
    run = run_workflow(pushed, CI, job=job_id, workdir=tmp_path)

    # then
    assert_succeeded(run, job_id)


def test_ci_image_job_builds_the_image(pushed: Project, tmp_path: Path) -> None:
    # given the podman flags this machine needs (local stand-in base images under the
    # Dockerfile's exact names, chroot isolation, no pull: tests/container.py), which the
    # build-push stand-in adds to its build of the unchanged Dockerfile
    with build_flags(pushed.path) as flags:
        # when
        run = run_workflow(
            pushed, CI, job="image", env={"PODMAN_BUILD_FLAGS": "\n".join(flags)}, workdir=tmp_path
        )

    # then the job succeeded and the image it built is in podman's store
    assert_succeeded(run, "image")
    build = "".join(run.job("image").output.values())
    image_ids = re.findall(r"^([0-9a-f]{64})$", build, re.MULTILINE)
    assert image_ids, run.failure_report("image")
    try:
        assert image_exists(image_ids[-1])
    finally:
        subprocess.run(
            ["podman", "rmi", "--force", image_ids[-1]], check=False, capture_output=True
        )


def test_ci_audit_job_audits_the_whole_lock_or_fails_loudly(
    pushed: Project, tmp_path: Path
) -> None:
    # when
    run = run_workflow(pushed, CI, job="audit", workdir=tmp_path)

    # then: green with PyPI's advisory data; without it, red at the audit step and saying why
    job = run.job("audit")
    if job.result == "success":
        assert "No known vulnerabilities found" in job.tail(), run.failure_report("audit")
        return
    problem = advisory_service_problem(pushed)
    assert problem is not None, run.failure_report("audit")  # the data was there: a finding
    assert job.steps[-1] == ("make deps-audit", "failure"), run.failure_report("audit")
    assert all(result == "success" for _, result in job.steps[:-1]), run.failure_report("audit")
    log = job.tail(20_000)
    assert "could not be audited" in log, run.failure_report("audit")
    assert "advisory service, pypi.org, is unreachable" in log, run.failure_report("audit")
    # A lack of this machine, not of the project (PyPI's JSON API answers 404 here),
    # confirmed by advisory_service_problem after the job failed exactly as it must.
    pytest.skip(
        f"vulnerability database unreachable: {problem}; the audit job ran every step and "
        "failed loudly at `make deps-audit`, as it must, so its verdict is untested here"
    )


def test_first_push_without_the_lock_says_what_to_do(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # given a fresh render pushed as is: the README's `make install` and lock commit skipped
    workdir = tmp_path_factory.mktemp("no-lock")
    proj = render_project(workdir, CASES["level2"])
    assert not (proj.path / "uv.lock").exists()

    # when
    run = run_workflow(proj, CI, workdir=workdir / "act")

    # then every job stops at its first own step, with the one step that was skipped
    for job_id in CI_JOBS:
        job = run.job(job_id)
        assert job.result == "failure", run.failure_report(job_id)
        first_own = next(step for step, _ in job.steps if step.startswith("make "))
        assert job.steps[-1] == (first_own, "failure"), run.failure_report(job_id)
        assert "uv.lock is not committed: run 'make install'" in job.tail(), run.failure_report(
            job_id
        )
        assert "Unable to find lockfile" not in job.tail(), run.failure_report(job_id)


# -- promote.yml and retrain.yml against a tracking server on PostgreSQL ----------------


def champion(proj: Project, tracking_uri: str) -> str:
    """The registry's champion version, read with the MLflow client."""
    reader = Project(proj.path, {**proj.env, "MLFLOW_TRACKING_URI": tracking_uri})
    return reader.python(
        "from mlflow import MlflowClient; "
        f"print(MlflowClient().get_model_version_by_alias({REGISTERED!r}, 'champion').version)"
    ).strip()


def test_promote_then_retrain_move_the_champion_on_the_tracking_server(
    pushes: Pushes, tmp_path: Path
) -> None:
    # given a level-3 project and a tracking server on PostgreSQL, named by the repository
    # variable the workflows read
    proj = pushes.get("level3-aws")
    with (
        postgres(databases=["mlflow"]) as pg,
        mlflow_server(
            proj.path,
            pg.uri("mlflow"),
            tmp_path / "artifacts",
            env=proj.env,
            log=tmp_path / "mlflow-server.log",
        ) as server,
    ):
        variables = {"MLFLOW_TRACKING_URI": server.url}

        # when a push runs promote.yml
        promoted = run_workflow(proj, PROMOTE, variables=variables, workdir=tmp_path / "promote")

        # then it trained, validated and promoted the first version
        assert_succeeded(promoted, "promote")
        assert "no-tracking-server" not in promoted.jobs
        assert champion(proj, server.url) == "1"

        # when retraining is dispatched (the job that needs no cloud; deploy is beyond it)
        retrained = run_workflow(
            proj,
            RETRAIN,
            event="workflow_dispatch",
            job="retrain",
            variables=variables,
            workdir=tmp_path / "retrain",
        )

        # then a second version, fitted on fresh data, passed the gate and is the champion
        assert_succeeded(retrained, "retrain")
        assert champion(proj, server.url) == "2"


# -- template-update.yml against a newer local release of the template -------------------


def test_template_update_produces_the_change_it_would_open_a_pull_request_from(
    tmp_path: Path,
) -> None:
    # given a level-2 project rendered from release v1.0.0 of a local template copy, and a
    # newer release v2.0.0 with one more file
    template = TemplateRepo(tmp_path / "template")
    template.release("v1.0.0")
    proj = Project(copy(template, tmp_path / "project", maturity_level=2), project_env(tmp_path))
    (template.project / "CONTRIBUTING.md").write_text("# Contributing\n", encoding="utf-8")
    template.release("v2.0.0", "v2: contributing guide")
    # peter-evans/create-pull-request is no setup action: no stand-in; the job runs up to
    # it, then the probe prints the working tree it would commit to the update branch
    workflow = steps_before(
        proj.path / TEMPLATE_UPDATE,
        "peter-evans/create-pull-request",
        tmp_path / "steps" / "template-update.yml",
        probe="git status --porcelain && git rev-parse HEAD && cat .copier-answers.yml",
    )

    # when the scheduled workflow runs (dispatched by hand: the same job)
    run = run_workflow(proj, str(workflow), event="workflow_dispatch", workdir=tmp_path / "act")

    # then every step before the pull request succeeded, and the job's working tree holds
    # exactly the update the pull request would carry, on the pushed commit
    assert_succeeded(run, "update")
    probed = run.job("update").output["probe"].splitlines()
    status = [line.removeprefix("| ") for line in probed[:2]]
    assert sorted(status) == [" M .copier-answers.yml", "?? CONTRIBUTING.md"], probed
    assert probed[2].removeprefix("| ") == git(proj.path, "rev-parse", "HEAD").strip()
    assert "_commit: v2.0.0" in probed[3:], probed


# -- cd.yml up to the cloud boundary -------------------------------------------------------


def test_cd_dependency_sbom_job_writes_the_sbom(pushed: Project, tmp_path: Path) -> None:
    # given the project's cd workflow up to the artifact upload (no stand-in: the job runs
    # up to it, then the probe prints the file it would upload)
    workflow = steps_before(
        pushed.path / CD,
        "actions/upload-artifact",
        tmp_path / "steps" / "cd.yml",
        probe="cat reports/sbom.cdx.json",
    )

    # when main is pushed
    run = run_workflow(pushed, str(workflow), job="sbom", workdir=tmp_path / "act")

    # then the SBOM lists what the image installs
    assert_succeeded(run, "sbom")
    printed = run.job("sbom").output["probe"]
    sbom = json.loads("".join(line.removeprefix("| ") for line in printed.splitlines(True)))
    assert sbom["bomFormat"] == "CycloneDX"
    names = {component["name"] for component in sbom["components"]}
    assert {"fastapi", "onnxruntime"} <= names


@pytest.mark.parametrize("case", ["level3-aws", "level3-gcp"])
def test_cd_without_a_registry_says_what_to_set(pushes: Pushes, case: str, tmp_path: Path) -> None:
    # given a project whose images go to the cloud registry of infra/, with no
    # IMAGE_REPOSITORY variable yet: GitHub gives an unset variable as "" (act would give
    # null, which its expressions do not take as equal to "")
    proj = pushes.get(case)
    workflow = steps_before(
        proj.path / CD, "actions/upload-artifact", tmp_path / "steps" / "cd.yml", probe="true"
    )

    # when main is pushed
    run = run_workflow(
        proj, str(workflow), variables={"IMAGE_REPOSITORY": ""}, workdir=tmp_path / "act"
    )

    # then the notice says what to set, and nothing that needs the cloud starts
    assert_succeeded(run, "no-registry")
    assert "Image not pushed" in run.job("no-registry").tail()
    assert "image" not in run.jobs
    assert "deploy" not in run.jobs
    assert_succeeded(run, "sbom")
