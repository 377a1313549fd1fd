"""The programs outside Python that the test suite calls, listed once.

``make test`` runs ``python3 tests/system_tools.py install`` (Debian or Ubuntu packages,
installed only when missing) before ``uv sync --locked`` and ``uv run pytest``; the
suite's session start (tests/conftest.py) runs the same check and stops with one line
naming what is missing, so a missing tool never shows up as a failure or a skip halfway
through. Tools that ship as wheels (linters, act) come from the dev group of
pyproject.toml instead: ``uv sync --locked`` installs those.

Standard library only: this file runs before the dev environment exists.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Tool:
    """A command the tests run, the Debian package that provides it, and why it is needed."""

    command: str
    package: str
    why: str
    # where the package puts the command when that is not on PATH
    elsewhere: str = ""


TOOLS = (
    Tool("git", "git", "rendered projects are git repositories (DVC, pre-commit, copier)"),
    Tool("make", "make", "every rendered project's tasks"),
    Tool("wrk", "wrk", "the serving benchmark's load generator"),
    Tool("promtool", "prometheus", "checks and unit-tests the rendered alert rules"),
    Tool(
        "initdb",
        "postgresql",
        "the MLflow server's database in the run tier",
        elsewhere="/usr/lib/postgresql/*/bin",
    ),
    # the image tier: podman builds and runs the rendered Dockerfile from stand-in base
    # images that debootstrap makes; runc is the runtime it runs them with, uidmap
    # (newuidmap) maps users inside the container
    Tool("podman", "podman", "builds and runs the rendered container image"),
    Tool("buildah", "buildah", "builds images whose base is pinned by digest"),
    Tool("debootstrap", "debootstrap", "makes the stand-in base images"),
    Tool("runc", "runc", "the container runtime podman runs images with"),
    Tool("newuidmap", "uidmap", "user namespaces for podman"),
)

# Administration tools sit in sbin, which a normal user's PATH often leaves out.
SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")
INSTALL = "make test"


def find(tool: Tool) -> str | None:
    """Where ``tool`` is on this machine, or None."""
    path = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
    found = shutil.which(tool.command, path=path)
    if found is None and tool.elsewhere:
        found = next(iter(sorted(glob.glob(f"{tool.elsewhere}/{tool.command}"))), None)
    return found


def missing() -> list[Tool]:
    """The tools this machine lacks."""
    return [tool for tool in TOOLS if find(tool) is None]


def apt_command(tools: list[Tool]) -> list[str]:
    """The apt-get command that installs ``tools``."""
    return ["apt-get", "install", "-y", "--no-install-recommends", *(t.package for t in tools)]


def problem(tools: list[Tool], fix: str = "") -> str:
    """One line naming the missing tools and how to install them."""
    names = ", ".join(f"{t.command} ({t.why})" for t in tools)
    fix = fix or f"install them with `{INSTALL}` (it runs `{' '.join(apt_command(tools))}`)"
    return f"missing system tools: {names}; {fix}"


def install() -> int:
    """Install the missing tools with apt-get (through sudo unless root); 0 when all are there."""
    lacking = missing()
    if not lacking:
        return 0
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    if shutil.which("apt-get") is None or (sudo and shutil.which("sudo") is None):
        # not Debian or Ubuntu, or no way to become root: say what to install, once
        packages = " ".join(t.package for t in lacking)
        print(problem(lacking, f"no apt-get or sudo here: install the packages {packages}"))
        return 1
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, *apt_command(lacking), "-qq"], check=True, env=env)
    if still := missing():
        print(problem(still, "their packages installed but the commands are still not found"))
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python3 tests/system_tools.py install")
    sys.exit(install())
