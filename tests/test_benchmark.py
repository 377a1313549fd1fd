"""Run tier: the serving benchmark works end to end (its numbers are measured, not asserted).

The benchmark (``python -m tests.benchmarks.serve_bench``) renders and trains a level-2
project, then load-tests the rendered API and ``mlflow models serve`` with wrk. Here it
runs with 2-second loads, only to prove the command, its payloads, its wrk parsing and
its clean-up work; docs/src/benchmark.md records a real run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rendering import ROOT

pytestmark = pytest.mark.run


def test_serving_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "MLFLOW_TRACKING_URI"}}
    cmd = [
        sys.executable,
        "-m",
        "tests.benchmarks.serve_bench",
        "--duration",
        "2",
        "--batch-size",
        "20",
        "--output",
        str(output),
        "--workdir",
        str(tmp_path / "work"),
    ]
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"

    results = json.loads(output.read_text(encoding="utf-8"))
    measured = {(r["server"], r["payload"]) for r in results["results"]}
    assert measured == {
        ("api", "single"),
        ("api", "batch20"),
        ("mlflow", "single"),
        ("mlflow", "batch20"),
    }
    for result in results["results"]:
        assert result["requests"] > 0, result
        assert sum(result["errors"].values()) == 0, result
        assert 0 < result["p50_ms"] <= result["p99_ms"], result
    assert set(results["ratios"]) == {"single", "batch20"}, results["ratios"]
    assert results["versions"]["mlflow"], results["versions"]
    # the table on stdout, the progress of each phase on stderr
    assert "| api | single |" in proc.stdout, proc.stdout
    assert "| mlflow | single |" in proc.stdout, proc.stdout
    for phase in ("rendering", "installing", "training", "starting", "stopped"):
        assert phase in proc.stderr, (phase, proc.stderr[-3000:])
