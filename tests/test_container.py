"""Container tier: the rendered Dockerfile, unchanged, built with podman and run as production.

A level-3 project (monitoring on, so the prediction log is written) is rendered,
installed and trained against a real MLflow server, then promoted. Its Dockerfile is
built with podman from local stand-ins of its base images (tests/container.py says
what they are), twice: the second, warm-cache build is the one timed. The image then
runs the way the ECS task definition runs it (read-only root, ``/tmp`` the only tmpfs,
no capabilities, no-new-privileges, runc, explicit ulimits) and must:

- run as the non-root user 10001, with no compiler, make or uv on its PATH;
- hold exactly the project's ``serve`` dependency group (from uv.lock) and the package,
  so none of the training-only packages;
- pass its own HEALTHCHECK (``podman healthcheck run``);
- serve ``/ready`` and the same probabilities (1e-5) as the project's own trained
  pipeline, once from a mounted model folder (``MODEL_URI=/app/models``) and once from
  the registry's champion (the image's default ``MODEL_URI``) on the MLflow server;
- write its prediction log inside the read-only container.

The image size and the warm build time are printed (docs/src/benchmark.md records them).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

from tests.benchmarks.serve_bench import held_out_records
from tests.container import (
    Container,
    build_image,
    inspect_image,
    run_container,
    run_once,
    wait_for_http,
)
from tests.projects import Project, render_project
from tests.services import call, mlflow_server, package_name

pytestmark = pytest.mark.container

SLUG = "customer-churn"
# the image's CMD serves on 8000; the container shares the host's network
API = "http://127.0.0.1:8000"
COUNT = 10  # held-out records compared with the project's own model
BUILD_TOOLS = ("gcc", "cc", "c++", "make", "uv", "uvx")

PROJECT_PROBABILITIES = """
import json, joblib
from pathlib import Path
from {package}.core.features import FEATURE_NAMES
from {package}.io.data import read_csv
rows = read_csv(Path("data/processed/test.csv")).head({count})
model = joblib.load("models/model.joblib")
print(json.dumps(model.predict_proba(rows[list(FEATURE_NAMES)])[:, 1].tolist()))
"""
# What a Python inside the image has installed: every distribution of its sys.path.
INSTALLED = (
    "import json, importlib.metadata as m; "
    "print(json.dumps(sorted({d.metadata['Name'] for d in m.distributions()})))"
)
WHICH = "import json, shutil, sys; print(json.dumps([t for t in sys.argv[1:] if shutil.which(t)]))"
PREDICTION_LOG = (
    "import glob, json; print(json.dumps([json.loads(line) for path in "
    "sorted(glob.glob('/tmp/predictions/*.jsonl')) for line in open(path)]))"
)


def normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return name.lower().replace("_", "-").replace(".", "-")


def locked_packages(proj: Project, python: str, *selection: str) -> set[str]:
    """Names of the locked packages ``uv sync <selection>`` installs (not the project).

    Each line's environment marker is evaluated for this platform with the image's
    ``python`` version (e.g. colorama is locked for Windows only).
    """
    out = proj.run(
        "uv",
        "export",
        "--frozen",
        *selection,
        "--no-emit-project",
        "--no-hashes",
        "--no-annotate",
        "--no-header",
    ).stdout
    environment = {
        **default_environment(),
        "python_version": ".".join(python.split(".")[:2]),
        "python_full_version": python,
    }
    names = set()
    for line in out.splitlines():
        if "==" not in line or line.lstrip().startswith("#"):
            continue
        requirement = Requirement(line.strip())
        if requirement.marker is None or requirement.marker.evaluate(environment):
            names.add(normalized(requirement.name))
    return names


def test_image_builds_unchanged_and_runs_as_production(tmp_path: Path) -> None:
    proj = render_project(tmp_path, {"maturity_level": "3"})
    proj.run("make", "install")
    dockerfile = (proj.path / "Dockerfile").read_bytes()
    tag = f"localhost/{SLUG}-test:{tmp_path.name.lower()}"

    # train and promote through a real tracking server (the champion case below)
    with mlflow_server(
        proj.path,
        f"sqlite:///{tmp_path / 'mlflow.db'}",
        tmp_path / "artifacts",
        env=proj.env,
        log=tmp_path / "mlflow-server.log",
        timeout=600,  # its workers import MLflow: minutes on a busy 2-core machine
    ) as server:
        proj.env["MLFLOW_TRACKING_URI"] = server.url
        proj.run("make", "pipeline")
        proj.run("make", "promote")
        expected = json.loads(
            proj.python(PROJECT_PROBABILITIES.format(package=package_name(proj.path), count=COUNT))
        )
        records = held_out_records(proj.path, COUNT)

        cold = build_image(proj.path, tag)
        warm = build_image(proj.path, tag)  # every layer cached: what a rebuild costs
        assert (proj.path / "Dockerfile").read_bytes() == dockerfile, "the build changed it"
        try:
            check_image_contents(proj, tag)
            models = f"{proj.path / 'models'}:/app/models:ro"
            with run_container(tag, env={"MODEL_URI": "/app/models"}, volumes=[models]) as box:
                check_serving(box, records, expected, version=None)
                check_prediction_log(box, expected)
            champion = {"MLFLOW_TRACKING_URI": server.url}  # MODEL_URI: the image's default
            with run_container(tag, env=champion) as box:
                check_serving(box, records, expected, version="1")
        finally:
            # the image is the test's own; the stand-in bases and the layer cache stay
            proj.run("podman", "rmi", "--force", tag)

    size_mb = warm.size / 1e6
    print(
        f"container: image {size_mb:.0f} MB; build {cold.seconds:.1f} s "
        f"(stand-ins made, layer cache as found), warm-cache rebuild {warm.seconds:.1f} s"
    )
    assert warm.seconds < cold.seconds + 1, (cold, warm)


def check_image_contents(proj: Project, tag: str) -> None:
    image = inspect_image(tag)
    assert image["Config"]["User"] == "10001:10001", image["Config"]
    # podman shows a docker-format image's HEALTHCHECK beside Config (OCI has no such field)
    health = (image.get("Healthcheck") or image["Config"].get("Healthcheck") or {}).get("Test")
    assert "http://127.0.0.1:8000/health" in " ".join(health or []), image

    assert run_once(tag, "id", "-u").strip() == "10001"
    found = json.loads(run_once(tag, "python", "-c", WHICH, *BUILD_TOOLS))
    assert found == [], f"build tools in the runtime image: {found}"

    names = json.loads(run_once(tag, "python", "-c", INSTALLED))
    installed = {normalized(name) for name in names}
    python = run_once(tag, "python", "-c", "import platform; print(platform.python_version())")
    serve = locked_packages(proj, python.strip(), "--no-default-groups", "--group", "serve")
    everything = locked_packages(proj, python.strip(), "--all-groups")
    training_only = everything - serve
    assert training_only, "the lock has no training-only packages to look for"
    assert not installed & training_only, f"training-only packages: {installed & training_only}"
    missing = serve - installed
    assert not missing, f"serve packages missing from the image: {missing}"
    # /opt/venv holds the serve group and the package; the base image's pip is the only extra
    extra = installed - serve - {normalized(SLUG), "pip"}
    assert not extra, f"unexpected packages in the image: {extra}"


def check_serving(
    box: Container, records: list[dict], expected: list[float], version: str | None
) -> None:
    wait_for_http(API + "/ready", box)
    assert box.exec("id", "-u").strip() == "10001"
    health = box.healthcheck()
    assert health.returncode == 0, (health.stdout, health.stderr, box.logs()[-3000:])

    ready = call("GET", API + "/ready")
    assert ready.status == 200, ready
    served = []
    for record in records:
        reply = call("POST", API + "/predict", json.dumps(record))
        assert reply.status == 200, reply
        served.append(reply.json()["probability"])
        if version is not None:
            assert reply.json()["model_version"] == version, reply.text
    assert served == pytest.approx(expected, abs=1e-5)
    batch = call("POST", API + "/predict/batch", json.dumps({"records": records}))
    assert batch.status == 200, batch
    in_batch = [p["probability"] for p in batch.json()["predictions"]]
    assert in_batch == pytest.approx(expected, abs=1e-5)

    # the root filesystem is read-only, /tmp is writable (for the service's user)
    touched = box.exec("sh", "-c", "touch /app/probe /tmp/probe 2>&1; true")
    assert "'/app/probe': Read-only file system" in touched, touched
    assert "/tmp/probe" not in touched, touched
    assert "Traceback" not in box.logs(), box.logs()[-4000:]


def check_prediction_log(box: Container, expected: list[float]) -> None:
    """Every record scored above (one by one, then as a batch) has its line under /tmp."""
    deadline = time.monotonic() + 10  # the log's thread writes twice a second
    lines = []
    while len(lines) < 2 * len(expected) and time.monotonic() < deadline:
        time.sleep(0.5)
        lines = json.loads(box.exec("python", "-c", PREDICTION_LOG))
    assert [line["probability"] for line in lines] == pytest.approx(expected * 2, abs=1e-5), (
        lines[:2],
        box.logs()[-3000:],
    )
    metrics = call("GET", API + "/metrics").text
    errors = [m for m in metrics.splitlines() if m.startswith("prediction_log_errors_total{")]
    assert all(m.endswith(" 0.0") for m in errors), errors
