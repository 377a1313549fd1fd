"""Serving benchmark: the rendered FastAPI app against ``mlflow models serve``, same model.

One command renders a level-2 project, installs it, runs its pipeline (which trains
and registers the model) and its promotion (which runs the validation gate first),
then load-tests two servers of the *same* registered model
(``models:/<slug>@champion``), one after the other, on 127.0.0.1 of this machine,
under the same load:

* **api**: the rendered project's API, started as a user would (``make serve``:
  one uvicorn worker), on ``POST /predict`` (one record) and ``POST /predict/batch``
  (``{"records": [...]}``);
* **mlflow**: ``mlflow models serve -m models:/<slug>@champion --env-manager local
  --workers 1`` on ``POST /invocations`` (``{"dataframe_records": [...]}``).

Each server gets a single-record and a batch payload (held-out rows of the project's
own test split). Before measuring, every payload is sent once and its answer checked,
then the server is warmed up for a second. The load generator is ``wrk`` with a fixed
number of connections (default 8) and duration (default 15 s), one thread, and a Lua
script that POSTs the payload and reports exact latency percentiles at the end; wrk
also runs with ``--latency``, and its full output is kept in the JSON results. Any
socket error or non-2xx answer is reported (and fails the run): a fast error is not
throughput.

Run it from the template repository's root::

    uv run python -m tests.benchmarks.serve_bench                 # 15 s per measurement
    uv run python -m tests.benchmarks.serve_bench --duration 5 --keep
    uv run python -m tests.benchmarks.serve_bench --project /tmp/x/project  # reuse a trained one

It prints progress for each phase, then a table (throughput in requests per second,
p50 and p99 latency in milliseconds, and the api/mlflow ratios), and writes the same
numbers with the machine, the versions and the raw wrk output as JSON (``--output``).
Needs ``wrk`` (``apt-get install wrk``), ``make``, ``git`` and ``uv``. Every server it
starts runs in its own process group and is stopped, children included, on any exit.
The results are measured, never asserted: ``docs/src/benchmark.md`` records a run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.projects import CommandError, Project, project_env, render_project
from tests.services import HOST, HttpService, free_port, http_service, uvicorn_app

FEATURE_TYPES: dict[str, Callable[[str], Any]] = {
    "tenure": int,
    "monthly_charges": float,
    "total_charges": float,
    "gender": str,
    "partner": lambda text: text.strip().lower() in {"true", "1"},
    "dependents": lambda text: text.strip().lower() in {"true", "1"},
    "phone_service": lambda text: text.strip().lower() in {"true", "1"},
}
WRK_THREADS = 1  # one load thread leaves the other core to the server on a 2-core machine
VERSIONS_OF = ("mlflow", "fastapi", "uvicorn", "scikit-learn", "onnxruntime", "pydantic")

LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[@BODY@]==]

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\": %d, \"duration_us\": %d, \"connect\": %d, \"read\": %d, " ..
    "\"write\": %d, \"status\": %d, \"timeout\": %d, \"p50_us\": %d, \"p90_us\": %d, " ..
    "\"p99_us\": %d, \"mean_us\": %.1f, \"max_us\": %d}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


class BenchError(RuntimeError):
    """A phase of the benchmark failed; the message says which and why."""


def say(message: str) -> None:
    """Progress on stderr, so stdout holds only the results table."""
    print(f"[serve-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the project ---------------------------------------------------------------------------


def prepare_project(workdir: Path) -> Project:
    """Render a level-2 project, install it, train, validate and promote its model."""
    say(f"rendering a level-2 project into {workdir / 'project'}")
    proj = render_project(workdir, {"maturity_level": "2"}, echo=say)
    path = proj.path
    say("installing (make install)")
    proj.run("make", "install")
    say("training and registering the model (make pipeline, then make promote: validate first)")
    proj.run("make", "pipeline")
    proj.run("make", "promote")  # the target runs the validation gate (make validate) first
    if not (path / "reports" / "validation.md").is_file():
        msg = "make promote did not run the validation gate (no reports/validation.md)"
        raise BenchError(msg)
    return proj


def held_out_records(project: Path, count: int) -> list[dict[str, Any]]:
    """The first ``count`` held-out rows, as JSON-ready feature records."""
    with (project / "data" / "processed" / "test.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if len(rows) < count:
        msg = f"the test split has {len(rows)} rows, fewer than the batch size {count}"
        raise BenchError(msg)
    return [{name: cast(row[name]) for name, cast in FEATURE_TYPES.items()} for row in rows[:count]]


def project_versions(proj: Project) -> dict[str, str]:
    """Versions of the serving stack in the project's environment."""
    code = (
        "import json, importlib.metadata as m, platform\n"
        f"names = {list(VERSIONS_OF)!r}\n"
        "found = {}\n"
        "for n in names:\n"
        "    try:\n"
        "        found[n] = m.version(n)\n"
        "    except m.PackageNotFoundError:\n"
        "        pass\n"
        "found['python'] = platform.python_version()\n"
        "print(json.dumps(found))\n"
    )
    return json.loads(proj.python(code))


# --- the servers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One measured load: a server, an endpoint and a payload."""

    server: str
    payload: str
    path: str
    body: str
    expect: Callable[[Any], bool]


def scenarios(records: list[dict[str, Any]]) -> dict[str, list[Scenario]]:
    """The single-record and batch payloads for each server."""
    one, batch = records[:1], records
    n = len(batch)

    def mlflow_ok(size: int) -> Callable[[Any], bool]:
        return lambda answer: len(answer["predictions"]) == size

    return {
        "api": [
            Scenario(
                "api",
                "single",
                "/predict",
                json.dumps(one[0]),
                lambda answer: answer["prediction"] in {0, 1} and 0 <= answer["probability"] <= 1,
            ),
            Scenario(
                "api",
                f"batch{n}",
                "/predict/batch",
                json.dumps({"records": batch}),
                lambda answer: len(answer["predictions"]) == n,
            ),
        ],
        "mlflow": [
            Scenario(
                "mlflow",
                "single",
                "/invocations",
                json.dumps({"dataframe_records": one}),
                mlflow_ok(1),
            ),
            Scenario(
                "mlflow",
                f"batch{n}",
                "/invocations",
                json.dumps({"dataframe_records": batch}),
                mlflow_ok(n),
            ),
        ],
    }


def start_api(proj: Project, log: Path) -> AbstractContextManager[HttpService]:
    """The rendered API as a user starts it: ``make serve`` (one uvicorn worker)."""
    env = dict(proj.env, MODEL_URI=f"models:/{proj.slug}@champion")
    return uvicorn_app(proj.path, env, make=True, log=log)


@contextmanager
def start_mlflow(proj: Project, log: Path) -> Iterator[HttpService]:
    """``mlflow models serve`` on the same registry alias, in the project's environment.

    ``uv run`` puts the project's ``.venv/bin`` first on PATH: mlflow execs ``uvicorn``.
    """
    port = free_port()
    cmd = [
        "uv",
        "run",
        "--frozen",
        "mlflow",
        "models",
        "serve",
        "-m",
        f"models:/{proj.slug}@champion",
        "--env-manager",
        "local",
        "--workers",
        "1",
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    env = dict(proj.env, MLFLOW_TRACKING_URI="sqlite:///mlflow.db")
    with http_service(
        cmd, cwd=proj.path, env=env, port=port, health_path="/ping", log=log, timeout=180
    ) as service:
        yield service


def post(url: str, body: str) -> Any:
    """POST a JSON body; return the decoded answer (raises on a non-2xx status)."""
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


# --- the load ------------------------------------------------------------------------------


@dataclass
class Measurement:
    """What wrk measured for one scenario."""

    server: str
    payload: str
    endpoint: str
    connections: int
    duration_s: float
    requests: int
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: dict[str, int]
    load_average_before: float  # 1-minute load of the machine just before the load test
    wrk_output: str


def wrk_version() -> str:
    """wrk's version line (``wrk -v`` prints it, then exits 1)."""
    proc = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (proc.stdout + proc.stderr).strip().splitlines()[0]


def run_wrk(
    url: str, body: str, *, connections: int, duration: float, scripts: Path
) -> tuple[dict[str, Any], str]:
    """Load ``url`` with POSTs of ``body``; return wrk's summary and its full output."""
    scripts.mkdir(parents=True, exist_ok=True)
    script = scripts / f"post-{abs(hash(body))}.lua"
    if "]==]" in body:
        msg = "the payload cannot be embedded in a Lua long string"
        raise BenchError(msg)
    script.write_text(LUA.replace("@BODY@", body), encoding="utf-8")
    cmd = [
        "wrk",
        f"--threads={WRK_THREADS}",
        f"--connections={connections}",
        f"--duration={max(1, round(duration))}s",
        "--timeout=10s",
        "--latency",
        f"--script={script}",
        url,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=duration + 60)
    if proc.returncode != 0:
        msg = f"`{' '.join(cmd)}` exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        raise BenchError(msg)
    found = re.search(r"^BENCH_JSON (\{.*\})$", proc.stdout, flags=re.MULTILINE)
    if not found:
        msg = f"no summary in wrk's output:\n{proc.stdout}\n{proc.stderr}"
        raise BenchError(msg)
    return json.loads(found.group(1)), proc.stdout


def measure(
    service: HttpService, scenario: Scenario, *, connections: int, duration: float, scripts: Path
) -> Measurement:
    """Check the payload's answer, warm the server up, then measure it with wrk."""
    url = service.url + scenario.path
    answer = post(url, scenario.body)
    if not scenario.expect(answer):
        msg = f"unexpected answer from {url}: {str(answer)[:500]}"
        raise BenchError(msg)
    run_wrk(url, scenario.body, connections=connections, duration=1, scripts=scripts)  # warm-up
    load = os.getloadavg()[0]
    say(
        f"  {scenario.server} {scenario.payload}: wrk {connections} connections, "
        f"{duration:g} s (load average {load:.2f})"
    )
    summary, output = run_wrk(
        url, scenario.body, connections=connections, duration=duration, scripts=scripts
    )
    seconds = summary["duration_us"] / 1e6
    errors = {k: summary[k] for k in ("connect", "read", "write", "status", "timeout")}
    return Measurement(
        server=scenario.server,
        payload=scenario.payload,
        endpoint=f"POST {scenario.path}",
        connections=connections,
        duration_s=round(seconds, 2),
        requests=summary["requests"],
        requests_per_s=round(summary["requests"] / seconds, 1),
        p50_ms=summary["p50_us"] / 1000,
        p90_ms=summary["p90_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        mean_ms=round(summary["mean_us"] / 1000, 3),
        max_ms=summary["max_us"] / 1000,
        errors=errors,
        load_average_before=round(load, 2),
        wrk_output=output,
    )


# --- the report ----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """The machine the numbers were measured on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "system": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
    }


def ratios(results: list[Measurement]) -> dict[str, dict[str, float]]:
    """api / mlflow for each payload: throughput ratio and latency ratios."""
    by_key = {(m.server, m.payload): m for m in results}
    out = {}
    for payload in dict.fromkeys(m.payload for m in results):
        api, peer = by_key.get(("api", payload)), by_key.get(("mlflow", payload))
        if api and peer and peer.requests_per_s and api.p50_ms and api.p99_ms:
            out[payload] = {
                "throughput_x": round(api.requests_per_s / peer.requests_per_s, 1),
                "p50_x_faster": round(peer.p50_ms / api.p50_ms, 1),
                "p99_x_faster": round(peer.p99_ms / api.p99_ms, 1),
            }
    return out


def table(results: list[Measurement], ratio: dict[str, dict[str, float]]) -> str:
    """A Markdown table of the measurements, then the ratios."""
    lines = [
        "| server | payload | endpoint | req/s | p50 ms | p90 ms | p99 ms | errors |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {m.server} | {m.payload} | {m.endpoint} | {m.requests_per_s:,.0f} "
        f"| {m.p50_ms:.2f} | {m.p90_ms:.2f} | {m.p99_ms:.2f} | {sum(m.errors.values())} |"
        for m in results
    ]
    lines += ["", "| payload | throughput api/mlflow | p50 mlflow/api | p99 mlflow/api |"]
    lines += ["|---|---:|---:|---:|"]
    lines += [
        f"| {payload} | {r['throughput_x']}x | {r['p50_x_faster']}x | {r['p99_x_faster']}x |"
        for payload, r in ratio.items()
    ]
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.serve_bench",
        description=(
            "Render a level-2 project, train, validate and promote its model, then load-test "
            "its API (make serve) and `mlflow models serve` on the same registered model with "
            "wrk, on 127.0.0.1, one after the other, under the same load. Prints a table "
            "(req/s, p50, p99, ratios) and writes JSON results."
        ),
    )
    parser.add_argument(
        "--duration", type=float, default=15.0, help="seconds of load per measurement (default: 15)"
    )
    parser.add_argument(
        "--connections", type=int, default=8, help="concurrent connections, wrk -c (default: 8)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=100, help="records in the batch payload (default: 100)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("serve-bench.json"),
        help="where to write the results as JSON (default: ./serve-bench.json)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the work folder (project, server logs, wrk scripts); its path is printed",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="work folder, kept afterwards (default: a temporary folder, deleted unless --keep)",
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=None,
        help="reuse this level-2 project (installed, trained, promoted) instead of rendering one",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the process exit code."""
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        say("wrk is not installed (apt-get install wrk)")
        return 2
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="serve-bench-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load = os.getloadavg()[0]
    if load > 1.0:
        say(f"the machine is busy (load average {load:.2f}): the numbers will be noisy")
    try:
        if args.project:
            proj = Project(args.project.resolve(), project_env(workdir), echo=say)
            say(f"reusing {proj.path}")
        else:
            proj = prepare_project(workdir)
        records = held_out_records(proj.path, args.batch_size)
        versions = project_versions(proj)
        plan = scenarios(records)
        results: list[Measurement] = []
        starters = {"api": start_api, "mlflow": start_mlflow}
        labels = {"api": "the rendered API (make serve)", "mlflow": "mlflow models serve"}
        for server, start in starters.items():
            say(f"starting {labels[server]}")
            with start(proj, workdir / f"{server}.log") as service:
                say(f"  listening on {service.url}")
                for scenario in plan[server]:
                    results.append(
                        measure(
                            service,
                            scenario,
                            connections=args.connections,
                            duration=args.duration,
                            scripts=workdir / "wrk",
                        )
                    )
            say(f"stopped {labels[server]}")
        ratio = ratios(results)
        report = {
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": "python -m tests.benchmarks.serve_bench "
            + " ".join(argv if argv is not None else sys.argv[1:]),
            "machine": machine(),
            "versions": {**versions, "wrk": wrk_version()},
            "settings": {
                "duration_s": args.duration,
                "connections": args.connections,
                "wrk_threads": WRK_THREADS,
                "batch_size": args.batch_size,
                "api_workers": 1,
                "mlflow_workers": 1,
            },
            "ratios": ratio,
            "results": [asdict(m) for m in results],
            "setup_timings_s": proj.timings,
            "total_s": round(time.perf_counter() - started, 1),
        }
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(table(results, ratio))
        say(f"results written to {args.output}")
        errors = sum(sum(m.errors.values()) for m in results)
        if errors:
            say(f"{errors} requests failed during the load: see wrk_output in {args.output}")
            return 1
        return 0
    except (BenchError, CommandError) as error:
        say(f"failed: {error}")
        return 1
    finally:
        if args.keep or args.workdir:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
