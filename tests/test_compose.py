"""Compose check: the rendered compose.yaml's MLflow settings, started as processes, work.

podman-compose cannot run this stack here: its images (postgres:17-alpine, Prometheus,
Grafana) come from registries this machine cannot reach and have no stand-in recipe
(Alpine is not debootstrap's). So the test reads compose.yaml and starts the same
services from the same configuration, as real processes on 127.0.0.1:

- ``postgres``: a throwaway PostgreSQL cluster whose superuser and database are the
  service's ``POSTGRES_USER`` / ``POSTGRES_DB``;
- ``mlflow``: a virtual environment with exactly ``docker/mlflow/requirements.txt`` (what
  its image installs), running the image's ``CMD`` with the service's environment, after
  ``.env`` is made the way the comments say (``cp docker/env.example .env``, set the
  password). Only what a container network changes is translated: the service names
  ``postgres``/``mlflow`` become 127.0.0.1 and their ports free ones, the container port
  5000 a free port, and the ``mlflow-artifacts`` volume a temporary folder;
- ``api``: the project's API (``uvicorn``) with the service's environment.

Then the project does what the compose file's header tells a user: ``make train promote``
against the server, and the API serves the champion. The checks: the registry is in
PostgreSQL, the model files went through the proxy into the volume's folder (the project
has no local store), the server answers the Host names compose uses and refuses others.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.projects import Project, render_project
from tests.services import (
    HOST,
    PG_USER,
    call,
    free_port,
    http_service,
    mlflow_server_env,
    postgres,
    uvicorn_app,
)

pytestmark = pytest.mark.run

SLUG = "customer-churn"
PASSWORD = "compose-test-password"  # what a user writes into .env
RECORD = {
    "tenure": 3,
    "monthly_charges": 99.0,
    "total_charges": 297.0,
    "gender": "male",
    "partner": False,
    "dependents": False,
    "phone_service": True,
}
# ${NAME}, ${NAME:?message}, ${NAME:-default}: the interpolation forms compose.yaml uses
VARIABLE = re.compile(r"\$\{(\w+)(?::?([?-])([^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Substitute ``${...}`` as docker compose does; a required variable must be set."""

    def value(found: re.Match[str]) -> str:
        name, kind, rest = found.groups()
        if env.get(name):
            return env[name]
        if kind == "-":
            return rest
        msg = f"compose.yaml needs {name}: {rest}"
        raise AssertionError(msg)

    return VARIABLE.sub(value, text).replace("$$", "$")


def dotenv(path: Path) -> dict[str, str]:
    """KEY=value lines of an env file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def compose_services(proj: Project) -> dict[str, Any]:
    """The services of compose.yaml, read with the .env a user makes from env.example."""
    example = proj.path / "docker" / "env.example"
    env_file = proj.path / ".env"
    shutil.copy(example, env_file)  # cp docker/env.example .env, then set the passwords
    settings = {key: (value or PASSWORD) for key, value in dotenv(env_file).items()}
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()), encoding="utf-8")
    text = (proj.path / "compose.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(interpolate(text, dotenv(env_file)))["services"]


def image_cmd(dockerfile: Path) -> list[str]:
    """The exec-form CMD of a Dockerfile."""
    lines = dockerfile.read_text(encoding="utf-8").splitlines()
    (line,) = [x for x in lines if x.startswith("CMD")]
    return json.loads(line.removeprefix("CMD"))


def with_option(cmd: list[str], option: str, value: str) -> list[str]:
    """``cmd`` with the value of ``option`` replaced (it must be there)."""
    index = cmd.index(option)
    return [*cmd[: index + 1], value, *cmd[index + 2 :]]


def host_accepted(url: str, host: str) -> int:
    """The status of an API call sent with the Host header ``host`` (/health is exempt)."""
    port = int(url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        path = "/api/2.0/mlflow/experiments/search?max_results=1"
        connection.request("GET", path, headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


def test_compose_settings_run_the_stack(tmp_path: Path) -> None:
    proj = render_project(tmp_path, {"maturity_level": "2"})
    services = compose_services(proj)
    assert set(services) == {"postgres", "mlflow", "api", "prometheus"}, sorted(services)
    proj.run("make", "install")

    # the mlflow image: its requirements, in the Python of its base image
    server_dir = proj.path / "docker" / "mlflow"
    base = next(
        line.split()[1]
        for line in (server_dir / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.startswith("FROM")
    )
    python = re.fullmatch(r"python:(3\.\d+)-slim-\w+", base).group(1)
    venv = tmp_path / "mlflow-image"
    proj.run("uv", "venv", "--python", python, str(venv))
    proj.run(
        "uv", "pip", "install", "--python", str(venv / "bin" / "python"),
        "--requirement", str(server_dir / "requirements.txt"),
    )  # fmt: skip

    db = services["postgres"]["environment"]
    assert db["POSTGRES_USER"] == PG_USER, db  # the superuser tests/services.py creates
    with postgres(databases=[db["POSTGRES_DB"]]) as pg:
        mlflow = services["mlflow"]
        env = dict(mlflow["environment"])
        backend = env["MLFLOW_BACKEND_STORE_URI"]
        assert f"@postgres:5432/{db['POSTGRES_DB']}" in backend, backend
        assert f"//{PG_USER}:{PASSWORD}@" in backend, "the URL must carry the .env password"
        env["MLFLOW_BACKEND_STORE_URI"] = backend.replace("@postgres:5432/", f"@{HOST}:{pg.port}/")
        # the named volume, at the path the server writes artifacts to
        (volume,) = [v for v in mlflow["volumes"] if v.startswith("mlflow-artifacts:")]
        artifacts_in_container = volume.split(":")[1]
        assert env["MLFLOW_ARTIFACTS_DESTINATION"] == artifacts_in_container, env
        assert env["MLFLOW_SERVE_ARTIFACTS"] == "true", env
        assert int(env["MLFLOW_WORKERS"]) >= 1, env
        artifacts = tmp_path / "volumes" / "mlflow-artifacts"
        artifacts.mkdir(parents=True)
        env["MLFLOW_ARTIFACTS_DESTINATION"] = str(artifacts)

        port = free_port()
        cmd = image_cmd(server_dir / "Dockerfile")
        assert cmd[:2] == ["mlflow", "server"], cmd
        assert "--backend-store-uri" not in cmd, "the stores come from the environment"
        cmd = with_option(with_option(cmd, "--host", HOST), "--port", str(port))
        cmd[0] = str(venv / "bin" / "mlflow")
        server_env = mlflow_server_env({**proj.env, **env})
        with http_service(
            cmd,
            cwd=tmp_path,
            env=server_env,
            port=port,
            health_path="/health",  # the image's HEALTHCHECK
            log=tmp_path / "mlflow-server.log",
            timeout=600,  # its workers import MLflow: minutes on a busy 2-core machine
        ) as server:
            # the Host names compose's clients use are accepted, others refused
            assert host_accepted(server.url, f"mlflow:{port}") == 200
            assert host_accepted(server.url, f"localhost:{port}") == 200
            assert host_accepted(server.url, f"attacker.example:{port}") >= 400

            # as compose.yaml's header says: MLFLOW_TRACKING_URI=http://localhost:5000 make ...
            proj.env["MLFLOW_TRACKING_URI"] = f"http://localhost:{port}"
            proj.run("make", "train", "promote")

            def sql(query: str) -> list[str]:
                return pg.psql(db["POSTGRES_DB"], query).split()

            assert sql("SELECT name FROM registered_models") == [SLUG]
            assert sql("SELECT alias FROM registered_model_aliases ORDER BY alias") == [
                "challenger",
                "champion",
            ]
            stored = {p.name for p in artifacts.rglob("*") if p.is_file()}
            assert {"MLmodel", "model.onnx"} <= stored, sorted(stored)
            assert not (proj.path / "mlruns").exists(), "artifacts were stored locally"
            assert not (proj.path / "mlartifacts").exists(), "artifacts were stored locally"
            assert not (proj.path / "mlflow.db").exists(), "the project used sqlite"

            # the api service: its environment, the tracking server where compose puts it
            api_env = dict(services["api"]["environment"])
            assert api_env["MLFLOW_TRACKING_URI"] == "http://mlflow:5000", api_env
            api_env["MLFLOW_TRACKING_URI"] = server.url  # the service name mlflow: 127.0.0.1
            env_for_api = {**proj.env, **api_env}
            check_api(proj, env_for_api, tmp_path)
    log = (tmp_path / "mlflow-server.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-4000:]


def check_api(proj: Project, env: dict[str, str], tmp_path: Path) -> None:
    with uvicorn_app(proj.path, env, log=tmp_path / "api.log") as api:
        ready = call("GET", api.url + "/ready")
        assert ready.status == 200, ready
        reply = call("POST", api.url + "/predict", json.dumps(RECORD))
        assert reply.status == 200, reply
        assert reply.json()["model_version"] == "1", reply.text
        metadata = call("GET", api.url + "/metadata").json()
        assert metadata["model_alias"] == "champion", metadata
