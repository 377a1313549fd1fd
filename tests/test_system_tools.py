"""The system tools the suite calls: a missing one stops the run with one line, up front.

Each test runs the real check (pytest's session start) or the real installer in a
subprocess whose PATH holds every required tool but one, so this machine's packages stay
as they are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import system_tools
from tests.rendering import ROOT

pytestmark = pytest.mark.lint

WRK = next(tool for tool in system_tools.TOOLS if tool.command == "wrk")


def path_without(tmp_path: Path, *left_out: system_tools.Tool) -> dict[str, str]:
    """An environment whose PATH has every required tool except ``left_out``, nothing else."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in system_tools.TOOLS:
        found = system_tools.find(tool)
        if tool not in left_out and found and not tool.elsewhere:
            (bindir / tool.command).symlink_to(found)
    for tool in left_out:  # nor in the sbin folders the check always searches
        assert shutil.which(tool.command, path=os.pathsep.join(system_tools.SBIN)) is None
    return {**os.environ, "PATH": str(bindir)}


def test_a_missing_tool_stops_the_session_with_one_line(tmp_path: Path) -> None:
    env = path_without(tmp_path, WRK)
    # any test file: the check runs before collection
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/test_docs.py"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    assert proc.stdout == ""  # no session header, no test ran
    line = f"ERROR: {system_tools.problem([WRK])}"
    assert proc.stderr.strip().splitlines() == [line]  # pytest ends it with a blank line
    assert "missing system tools: wrk (" in line
    assert "`make test`" in line
    assert "apt-get install -y --no-install-recommends wrk`" in line


def test_installer_names_the_packages_where_it_cannot_install(tmp_path: Path) -> None:
    env = path_without(tmp_path, WRK)  # and no apt-get: as on a machine that is not Debian
    cmd = [sys.executable, "tests/system_tools.py", "install"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        system_tools.problem([WRK], "no apt-get or sudo here: install the packages wrk")
    ]


def test_installer_does_nothing_when_every_tool_is_there(tmp_path: Path) -> None:
    # no apt-get on this PATH either: an attempt to install anything would fail
    env = path_without(tmp_path)
    cmd = [sys.executable, "tests/system_tools.py", "install"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
